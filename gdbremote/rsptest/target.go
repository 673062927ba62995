package rsptest

// Request handling shared by both flavours, with the differences switched
// on fk.flavor where they are small.

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/faultline-dev/faultline/gdbremote"
)

type action int

const (
	actReply action = iota
	actClose
	actResume
	actNoAck
	actMonitor
	actAttach
)

const (
	openocdSupported = "PacketSize=4000;qXfer:memory-map:read-;qXfer:features:read+;qXfer:threads:read+;QStartNoAckMode+;vContSupported+"
	qemuSupported    = "PacketSize=1000;qXfer:features:read+;vContSupported+;multiprocess+"
	qemuThread       = "thread:p01.01;"
)

// handle answers one request while halted. Caller does not hold fk.mu.
func (fk *Fake) handle(pkt string) ([]byte, action) {
	fk.mu.Lock()
	defer fk.mu.Unlock()
	if fk.flavor >= flavorJLink {
		if r, act, ok := fk.dialectHandle(pkt); ok {
			return r, act
		}
	}
	switch {
	case strings.HasPrefix(pkt, "qSupported"):
		if fk.flavor == flavorQEMU {
			return []byte(qemuSupported), actReply
		}
		return []byte(openocdSupported), actReply
	case pkt == "QStartNoAckMode":
		if fk.flavor == flavorQEMU {
			return []byte{}, actReply // 7.2 does not know it
		}
		return []byte("OK"), actNoAck
	case strings.HasPrefix(pkt, "qXfer:features:read:"):
		return fk.xfer(strings.TrimPrefix(pkt, "qXfer:features:read:")), actReply
	case pkt == "vCont?":
		return []byte("vCont;c;C;s;S"), actReply
	case pkt == "?":
		if !fk.attached {
			fk.attached = true
			if fk.cfg.AttachStop != "" {
				return []byte(fk.stopText(fk.cfg.AttachStop)), actReply
			}
			if fk.flavor == flavorOpenOCD {
				return []byte("S02"), actReply
			}
		}
		return []byte(fk.haltedStop()), actReply
	case pkt == "g":
		return fk.gReply(), actReply
	case strings.HasPrefix(pkt, "p"):
		n, err := strconv.ParseUint(pkt[1:], 16, 16)
		r, ok := fk.regByNum(int(n))
		if err != nil || !ok {
			if fk.flavor == flavorOpenOCD {
				fk.closeReason = fmt.Sprintf("p for regnum %s not in target.xml", pkt[1:])
				return nil, actClose
			}
			return []byte("E14"), actReply
		}
		return regHex(fk.state.Regs[r.Name], r.Bytes()), actReply
	case strings.HasPrefix(pkt, "P"):
		num, val, ok := strings.Cut(pkt[1:], "=")
		n, err := strconv.ParseUint(num, 16, 16)
		r, found := fk.regByNum(int(n))
		if !ok || err != nil || !found {
			if fk.flavor == flavorOpenOCD {
				fk.closeReason = fmt.Sprintf("P for regnum %s not in target.xml", num)
				return nil, actClose
			}
			return []byte("E14"), actReply
		}
		b, err := gdbremote.DecodeHex([]byte(val))
		if err != nil {
			return []byte("E01"), actReply
		}
		var v uint64
		for i := len(b) - 1; i >= 0; i-- {
			v = v<<8 | uint64(b[i])
		}
		fk.state.Regs[r.Name] = v
		return []byte("OK"), actReply
	case strings.HasPrefix(pkt, "m"):
		fk.mu.Unlock()
		r := fk.handleRead(pkt)
		fk.mu.Lock()
		return r, actReply
	case strings.HasPrefix(pkt, "M"):
		return fk.handleWrite(pkt), actReply
	case strings.HasPrefix(pkt, "Z"), strings.HasPrefix(pkt, "z"):
		parts := strings.Split(pkt[1:], ",")
		t, err := strconv.Atoi(parts[0])
		if err != nil || len(parts) != 3 {
			return []byte("E01"), actReply
		}
		if t > 4 {
			if fk.flavor == flavorOpenOCD {
				fk.closeReason = fmt.Sprintf("Z type %d", t)
				return nil, actClose
			}
			return []byte{}, actReply
		}
		if t >= 2 && fk.cfg.NoWatchpoints {
			return []byte{}, actReply
		}
		key := strings.Join(parts, ",")
		if pkt[0] == 'Z' && t <= 1 && fk.cfg.MaxBreakpoints > 0 && !fk.bps[key] {
			n := 0
			for k := range fk.bps {
				if k[0] == '0' || k[0] == '1' {
					n++
				}
			}
			if n >= fk.cfg.MaxBreakpoints {
				return []byte("E0E"), actReply
			}
		}
		if pkt[0] == 'Z' {
			fk.bps[key] = true
		} else {
			delete(fk.bps, key)
		}
		return []byte("OK"), actReply
	case pkt == "c", pkt == "s", strings.HasPrefix(pkt, "vCont;c"), strings.HasPrefix(pkt, "vCont;s"), strings.HasPrefix(pkt, "C"):
		return nil, actResume
	case strings.HasPrefix(pkt, "qRcmd,"):
		return nil, actMonitor
	case strings.HasPrefix(pkt, "H"), pkt == "D":
		return []byte("OK"), actReply
	case pkt == "qAttached":
		return []byte("1"), actReply
	case pkt == "qC":
		if fk.flavor == flavorQEMU {
			return []byte("QCp01.01"), actReply
		}
		return []byte("QC1"), actReply
	}
	return []byte{}, actReply
}

func (fk *Fake) stopText(s string) string {
	if fk.flavor == flavorQEMU && strings.HasPrefix(s, "T") && !strings.Contains(s, "thread:") {
		return s + qemuThread
	}
	return s
}

func (fk *Fake) regByNum(n int) (gdbremote.Register, bool) {
	for _, r := range fk.regs {
		if r.Regnum == n {
			return r, true
		}
	}
	return gdbremote.Register{}, false
}

func regHex(v uint64, size int) []byte {
	b := make([]byte, size)
	for i := range b {
		if i < 8 {
			b[i] = byte(v >> (8 * i))
		}
	}
	return gdbremote.EncodeHex(b)
}

// gReply: both send r0-r15 and xPSR (17 registers; observed on QEMU 10).
// Before target.xml was read QEMU uses the legacy layout (r0-r15, eight
// 12-byte FPA registers, fps, cpsr).
func (fk *Fake) gReply() []byte {
	var out []byte
	switch {
	case fk.flavor >= flavorJLink:
		for _, r := range fk.regs[:fk.gCount()] {
			out = append(out, regHex(fk.state.Regs[r.Name], r.Bytes())...)
		}
	case fk.flavor == flavorOpenOCD || fk.xmlRead:
		for _, r := range fk.regs[:17] {
			out = append(out, regHex(fk.state.Regs[r.Name], r.Bytes())...)
		}
	case !fk.xmlRead:
		for _, r := range fk.regs[:16] {
			out = append(out, regHex(fk.state.Regs[r.Name], 4)...)
		}
		out = append(out, make([]byte, 2*(8*12+4))...)
		for i := len(out) - 2*(8*12+4); i < len(out); i++ {
			out[i] = '0'
		}
		out = append(out, regHex(fk.state.Regs["xpsr"], 4)...)
	}
	return out
}

// xfer serves qXfer:features:read:<annex>:<off>,<len>.
func (fk *Fake) xfer(args string) []byte {
	i := strings.LastIndex(args, ":")
	if i < 0 {
		return []byte("E00")
	}
	annex := args[:i]
	offS, lenS, ok := strings.Cut(args[i+1:], ",")
	off, err1 := strconv.ParseUint(offS, 16, 32)
	n, err2 := strconv.ParseUint(lenS, 16, 32)
	data, found := fk.xml[annex]
	if !ok || err1 != nil || err2 != nil || !found {
		return []byte("E00")
	}
	if annex == "target.xml" {
		fk.xmlRead = true
	}
	if off >= uint64(len(data)) {
		return []byte("l")
	}
	end := min(off+n, uint64(len(data)))
	prefix := byte('m')
	if end == uint64(len(data)) {
		prefix = 'l'
	}
	return append([]byte{prefix}, data[off:end]...)
}

func parseAddrLen(s string) (uint64, int, error) {
	a, l, ok := strings.Cut(s, ",")
	if !ok {
		return 0, 0, fmt.Errorf("no ','")
	}
	addr, err := strconv.ParseUint(a, 16, 64)
	if err != nil {
		return 0, 0, err
	}
	n, err := strconv.ParseUint(l, 16, 32)
	if err != nil || n > 1<<20 {
		return 0, 0, fmt.Errorf("bad length")
	}
	return addr, int(n), nil
}

func (fk *Fake) handleRead(pkt string) []byte {
	fk.mu.Lock()
	defer fk.mu.Unlock()
	addr, n, err := parseAddrLen(pkt[1:])
	if err != nil {
		return []byte("E01")
	}
	data, ok := fk.read(addr, n)
	if !ok {
		switch {
		case fk.flavor >= flavorJLink:
			return fk.unreadable()
		case fk.flavor == flavorQEMU:
			return []byte("E14")
		case fk.dataAbort:
			return []byte("E0E")
		}
	}
	return gdbremote.EncodeHex(data)
}

func (fk *Fake) handleWrite(pkt string) []byte {
	head, hex, ok := strings.Cut(pkt[1:], ":")
	addr, n, err := parseAddrLen(head)
	if !ok || err != nil {
		return []byte("E01")
	}
	data, err := gdbremote.DecodeHex([]byte(hex))
	if err != nil || len(data) != n {
		return []byte("E01")
	}
	if !fk.write(addr, data) && (fk.dataAbort || fk.flavor != flavorOpenOCD) {
		return []byte("E0E")
	}
	return []byte("OK")
}

// resume starts a Run (or a single step).
func (s *session) resume(pkt string) error {
	fk := s.fk
	if pkt == "s" || strings.HasPrefix(pkt, "vCont;s") {
		fk.mu.Lock()
		fk.state.Regs["pc"] += 2
		fk.mu.Unlock()
		return s.stopNow(fk.haltedStop(), true)
	}
	fk.mu.Lock()
	s.run = Run{}
	if len(fk.script) > 0 {
		s.run = fk.script[0]
		fk.script = fk.script[1:]
	}
	fk.runSince = time.Now()
	fk.mu.Unlock()
	s.running = true
	s.runStart = time.Now()
	if fk.flavor == flavorOpenOCD {
		for _, line := range s.run.Console {
			if err := s.sc.WriteConsole(line); err != nil {
				return err
			}
		}
	}
	if s.run.Stop != "" || s.run.Silent {
		s.stopAt = time.NewTimer(s.run.Delay)
	}
	return nil
}

// scriptedStop ends the current Run: its state changes, then its stop
// reply, unless the Run is silent or (dialects.go) the server would not
// have stopped: a fault nobody catches runs the firmware's handler.
func (s *session) scriptedStop() error {
	fk := s.fk
	fk.mu.Lock()
	s.applyRun()
	reply, stops := s.run.Stop, !s.run.Silent
	if stops && fk.flavor >= flavorJLink {
		reply, stops = fk.faultStop(reply)
	}
	fk.mu.Unlock()
	if !stops {
		return nil // running on, until interrupted
	}
	return s.stopNow(reply, false)
}

// applyRun writes the current Run's registers and memory. fk.mu is held.
func (s *session) applyRun() {
	fk := s.fk
	for k, v := range s.run.Regs {
		fk.state.Regs[k] = v
	}
	for _, r := range s.run.Memory {
		if !fk.write(r.Addr, r.Data) {
			fk.state.Memory = append(fk.state.Memory, Region{Addr: r.Addr, Data: append([]byte(nil), r.Data...)})
		}
	}
	s.run.Regs, s.run.Memory = nil, nil
}

// stop halts the target and sends the stop reply; scripted applies the
// current Run's state changes.
func (s *session) stop(reply string, scripted bool) error {
	fk := s.fk
	if s.stopAt != nil {
		s.stopAt.Stop()
		s.stopAt = nil
		if !scripted && fk.flavor >= flavorJLink {
			// Halted before the Run was done (a look for a lockup, an
			// LED sample): the rest of it runs after the next resume.
			fk.mu.Lock()
			rest := s.run
			rest.Delay = max(0, s.run.Delay-time.Since(s.runStart))
			fk.script = append([]Run{rest}, fk.script...)
			fk.mu.Unlock()
		}
	}
	if scripted {
		fk.mu.Lock()
		s.applyRun()
		fk.mu.Unlock()
	}
	return s.stopNow(reply, !scripted)
}

// stopNow halts the target and sends reply; answer says it answers a
// request (a step, an interrupt), which costs a round trip on the Link.
func (s *session) stopNow(reply string, answer bool) error {
	s.running = false
	fk := s.fk
	fk.mu.Lock()
	fk.ran = fk.ranNow()
	fk.runSince = time.Time{}
	fk.mu.Unlock()
	s.delay()
	data := []byte(s.fk.stopText(reply))
	if answer {
		s.linkWait(data)
	}
	if err := s.sc.WritePacket(data); err != nil {
		return err
	}
	fk.mu.Lock()
	fk.stops = append(fk.stops, time.Now())
	fk.mu.Unlock()
	return nil
}
