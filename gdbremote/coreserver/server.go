package coreserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"

	"github.com/faultline-dev/faultline/capture"
	"github.com/faultline-dev/faultline/gdbremote"
)

// Memory is what the ELF gives: its loaded contents by target address,
// io.ReaderAt-style (elfsym.Image satisfies it).
type Memory interface {
	ReadMemory(buf []byte, addr uint64) (int, error)
}

// Config is what a Server serves.
type Config struct {
	Snapshot *capture.Snapshot // required
	Flash    Memory            // the ELF's contents; nil: captured memory only
	// Log gets one line per refused request and per connection; nil: none.
	Log io.Writer
	// Trace gets the RSP wire trace; nil: none.
	Trace io.Writer
}

// PacketSize is the largest packet the server accepts and sends (hex
// digits of an 'm' reply included): 16 KiB of payload keeps gdb's memory
// reads in few round trips.
const PacketSize = 0x4000

// A Server answers gdb clients over one frozen capture.
type Server struct {
	cfg   Config
	regs  []reg
	xml   []byte
	logMu sync.Mutex
}

// reg is one register in target.xml and the 'g' packet.
type reg struct {
	name   string
	regnum int
	typ    string
	value  uint32
	ok     bool // captured
}

// mProfile is the register layout served: r0-pc at 0-15, xpsr at 25 (gdb's
// ARM_PS_REGNUM, as QEMU numbers it), the system registers after it.
var mProfile = []struct {
	name, typ string
	regnum    int
	system    bool
}{
	{"r0", "int", 0, false}, {"r1", "int", 1, false}, {"r2", "int", 2, false}, {"r3", "int", 3, false},
	{"r4", "int", 4, false}, {"r5", "int", 5, false}, {"r6", "int", 6, false}, {"r7", "int", 7, false},
	{"r8", "int", 8, false}, {"r9", "int", 9, false}, {"r10", "int", 10, false}, {"r11", "int", 11, false},
	{"r12", "int", 12, false}, {"sp", "data_ptr", 13, false}, {"lr", "int", 14, false}, {"pc", "code_ptr", 15, false},
	{"xpsr", "int", 25, false},
	{"msp", "data_ptr", 26, true}, {"psp", "data_ptr", 27, true}, {"primask", "int", 28, true},
	{"basepri", "int", 29, true}, {"faultmask", "int", 30, true}, {"control", "int", 31, true},
}

// New makes a server over cfg.Snapshot.
func New(cfg Config) (*Server, error) {
	if cfg.Snapshot == nil {
		return nil, errors.New("coreserver: no snapshot")
	}
	s := &Server{cfg: cfg}
	var b strings.Builder
	b.WriteString(`<?xml version="1.0"?>` + "\n" + `<!DOCTYPE target SYSTEM "gdb-target.dtd">` + "\n")
	b.WriteString("<target>\n  <architecture>arm</architecture>\n  <feature name=\"org.gnu.gdb.arm.m-profile\">\n")
	inSystem := false
	for _, r := range mProfile {
		if r.system && !inSystem {
			b.WriteString("  </feature>\n  <feature name=\"org.gnu.gdb.arm.m-system\">\n")
			inSystem = true
		}
		fmt.Fprintf(&b, "    <reg name=%q bitsize=\"32\" regnum=\"%d\" type=%q/>\n", r.name, r.regnum, r.typ)
		v, ok := cfg.Snapshot.Registers[r.name]
		s.regs = append(s.regs, reg{name: r.name, regnum: r.regnum, typ: r.typ, value: v, ok: ok})
	}
	b.WriteString("  </feature>\n</target>\n")
	s.xml = []byte(b.String())
	return s, nil
}

// TargetXML is the target description served as target.xml.
func (s *Server) TargetXML() []byte { return s.xml }

// Serve accepts clients on ln until ctx ends (then it closes ln and the
// open connections and returns nil) or ln fails.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	for {
		nc, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("accept gdb client: %w", err)
		}
		wg.Go(func() {
			if err := s.ServeConn(ctx, nc); err != nil {
				s.logf("client %s: %v", nc.RemoteAddr(), err)
			}
		})
	}
}

// ServeConn answers one client until it disconnects, detaches, kills or
// ctx ends; it closes nc.
func (s *Server) ServeConn(ctx context.Context, nc net.Conn) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer nc.Close()
	stop := context.AfterFunc(ctx, func() { nc.Close() })
	defer stop()
	s.logf("gdb connected from %s", nc.RemoteAddr())
	sc := gdbremote.NewServerConn(nc, gdbremote.ServerOptions{Trace: s.cfg.Trace})
	h := &handler{s: s, sc: sc, done: cancel}
	err := sc.Serve(ctx, h)
	s.logf("gdb %s disconnected", nc.RemoteAddr())
	if ctx.Err() != nil || errors.Is(err, gdbremote.ErrClosed) {
		return nil
	}
	return err
}

func (s *Server) logf(format string, args ...any) {
	if s.cfg.Log == nil {
		return
	}
	s.logMu.Lock()
	defer s.logMu.Unlock()
	fmt.Fprintf(s.cfg.Log, "faultline serve: "+format+"\n", args...)
}

// handler answers one connection's packets.
type handler struct {
	s    *Server
	sc   *gdbremote.ServerConn
	done func() // ends the connection after the reply (D, k)
}

// Errors sent to gdb.
var (
	errReply    = []byte("E01") // refused: the capture is read-only
	faultReply  = []byte("E14") // memory not captured and not in the ELF
	unsupported = []byte{}
)

const readOnlyMsg = "faultline serve: this is a capture of a crashed target, not a live one: it cannot run, step or be written\n"

func (h *handler) HandlePacket(ctx context.Context, pkt []byte) ([]byte, error) {
	if pkt == nil {
		return nil, nil // ^C: the target is never running
	}
	p := string(pkt)
	if p == "" {
		return unsupported, nil
	}
	switch {
	case strings.HasPrefix(p, "qSupported"):
		return fmt.Appendf(nil, "PacketSize=%x;qXfer:features:read+;QStartNoAckMode+", PacketSize), nil
	case strings.HasPrefix(p, "qXfer:features:read:"):
		return h.xfer(strings.TrimPrefix(p, "qXfer:features:read:")), nil
	case p == "?":
		return []byte("S05"), nil
	case p == "g":
		return h.gReply(), nil
	case p[0] == 'p':
		n, err := strconv.ParseUint(p[1:], 16, 16)
		if err != nil {
			return errReply, nil
		}
		for _, r := range h.s.regs {
			if r.regnum == int(n) {
				return regHex(r), nil
			}
		}
		return faultReply, nil
	case p[0] == 'm':
		return h.readMemory(p[1:]), nil
	case p[0] == 'M', p[0] == 'X', p[0] == 'P', p[0] == 'G':
		// No O message here: gdb would take it as the reply (doc.go).
		h.s.logf("refused %s: the capture is read-only", truncate(p, 40))
		return errReply, nil
	case p[0] == 'Z', p[0] == 'z':
		h.s.logf("refused breakpoint %s: the capture cannot run", p)
		return errReply, nil
	case p == "c", p == "s", p[0] == 'C', p[0] == 'S', strings.HasPrefix(p, "vCont;"):
		// gdb reads O packets while it waits for a stop reply, so the
		// reason reaches the user; E01 then leaves the target stopped.
		h.s.logf("refused %s: the capture cannot run", p)
		if err := h.sc.WriteConsole(readOnlyMsg); err != nil {
			return nil, err
		}
		return errReply, nil
	case p == "vCont?":
		return []byte("vCont;c;C;s;S"), nil
	case strings.HasPrefix(p, "qRcmd,"):
		return h.monitor(p[len("qRcmd,"):])
	case p[0] == 'H':
		return []byte("OK"), nil
	case p == "qC":
		return []byte("QC1"), nil
	case p == "qfThreadInfo":
		return []byte("m1"), nil
	case p == "qsThreadInfo":
		return []byte("l"), nil
	case strings.HasPrefix(p, "qAttached"):
		return []byte("1"), nil
	case p[0] == 'T': // thread alive?
		return []byte("OK"), nil
	case p == "qSymbol::":
		return []byte("OK"), nil
	case p[0] == 'D', p == "vKill;1", strings.HasPrefix(p, "vKill"):
		h.done()
		return []byte("OK"), nil
	case p == "k":
		h.done()
		return nil, nil // no reply to k
	}
	return unsupported, nil
}

// monitor answers "monitor ..." with what this server is.
func (h *handler) monitor(hexCmd string) ([]byte, error) {
	b, err := gdbremote.DecodeHex([]byte(hexCmd))
	if err != nil {
		return errReply, nil
	}
	meta := h.s.cfg.Snapshot.Meta
	msg := fmt.Sprintf("faultline serve: capture taken %s from %s (trigger %s: %s); read-only.\n",
		meta.CapturedAt.Format("2006-01-02 15:04:05Z07:00"), meta.Target, meta.Trigger.Kind, meta.Trigger.Detail)
	if strings.TrimSpace(string(b)) != "info" {
		msg += fmt.Sprintf("unknown monitor command %q; try \"monitor info\"\n", string(b))
	}
	return gdbremote.EncodeHex([]byte(msg)), nil
}

// xfer answers "target.xml:OFFSET,LENGTH" ('m' more, 'l' last).
func (h *handler) xfer(arg string) []byte {
	annex, rng, ok := strings.Cut(arg, ":")
	if !ok || annex != "target.xml" {
		return []byte("E00")
	}
	offS, lenS, ok := strings.Cut(rng, ",")
	off, err1 := strconv.ParseUint(offS, 16, 32)
	n, err2 := strconv.ParseUint(lenS, 16, 32)
	if !ok || err1 != nil || err2 != nil {
		return []byte("E00")
	}
	if off >= uint64(len(h.s.xml)) {
		return []byte("l")
	}
	end := min(off+n, uint64(len(h.s.xml)))
	mark := byte('m')
	if end == uint64(len(h.s.xml)) {
		mark = 'l'
	}
	return append([]byte{mark}, h.s.xml[off:end]...)
}

func (h *handler) gReply() []byte {
	var b []byte
	for _, r := range h.s.regs {
		b = append(b, regHex(r)...)
	}
	return b
}

// regHex is a register in target byte order, "xxxxxxxx" when not captured.
func regHex(r reg) []byte {
	if !r.ok {
		return []byte("xxxxxxxx")
	}
	v := r.value
	return gdbremote.EncodeHex([]byte{byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24)})
}

// readMemory answers "ADDR,LEN": as many bytes from ADDR on as are
// readable (gdb asks again for the rest), E14 when none is.
func (h *handler) readMemory(arg string) []byte {
	aS, nS, ok := strings.Cut(arg, ",")
	addr, err1 := strconv.ParseUint(aS, 16, 32)
	n, err2 := strconv.ParseUint(nS, 16, 32)
	if !ok || err1 != nil || err2 != nil {
		return errReply
	}
	n = min(n, PacketSize/2-8, 1<<32-addr)
	buf := make([]byte, n)
	got := h.s.read(buf, addr)
	if got == 0 && n > 0 {
		return faultReply
	}
	return gdbremote.EncodeHex(buf[:got])
}

// read fills buf from addr on, captured memory first and the ELF's for
// what the capture lacks, and returns how many leading bytes it could
// read.
func (s *Server) read(buf []byte, addr uint64) int {
	snap := s.cfg.Snapshot
	n := 0
	for n < len(buf) {
		a := addr + uint64(n)
		k, _ := snap.ReadMemory(buf[n:], a)
		n += k
		if n == len(buf) {
			break
		}
		a = addr + uint64(n)
		// Not captured at a: the ELF may have it, up to the next
		// captured region (which wins: it is the target's own copy).
		end := addr + uint64(len(buf))
		for _, r := range snap.Memory {
			if uint64(r.Addr) > a && uint64(r.Addr) < end {
				end = uint64(r.Addr)
				break
			}
		}
		if s.cfg.Flash == nil {
			break
		}
		k, _ = s.cfg.Flash.ReadMemory(buf[n:n+int(end-a)], a)
		n += k
		if k < int(end-a) {
			break
		}
	}
	return n
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}
