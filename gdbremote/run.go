package gdbremote

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// A StopReply is a parsed S, T, W or X packet.
type StopReply struct {
	Kind      byte // 'S','T','W','X'
	Signal    int  // signal for S/T/X, exit status for W
	Thread    string
	Watch     string // "watch","rwatch","awatch" or ""
	WatchAddr uint64
	Values    map[string]string // other n:r pairs (register numbers in hex, "swbreak", "core", ...)
	Raw       string
}

func (s StopReply) String() string { return s.Raw }

// Exited reports a W or X reply: the process (QEMU: the machine) is gone.
func (s StopReply) Exited() bool { return s.Kind == 'W' || s.Kind == 'X' }

// ParseStopReply parses a stop reply packet.
func ParseStopReply(pkt string) (StopReply, error) {
	sr := StopReply{Raw: pkt}
	if len(pkt) < 3 {
		return sr, fmt.Errorf("stop reply %q too short", pkt)
	}
	sr.Kind = pkt[0]
	if !strings.ContainsRune("STWX", rune(sr.Kind)) {
		return sr, fmt.Errorf("%q is not a stop reply", truncate([]byte(pkt)))
	}
	sig, err := strconv.ParseUint(pkt[1:3], 16, 8)
	if err != nil {
		return sr, fmt.Errorf("stop reply %q: bad signal: %w", pkt, err)
	}
	sr.Signal = int(sig)
	rest := pkt[3:]
	switch sr.Kind {
	case 'S':
		if rest != "" {
			return sr, fmt.Errorf("stop reply %q: trailing data after S", pkt)
		}
		return sr, nil
	case 'W', 'X':
		rest = strings.TrimPrefix(rest, ";")
	}
	for _, pair := range strings.Split(rest, ";") {
		if pair == "" {
			continue
		}
		k, v, ok := strings.Cut(pair, ":")
		if !ok {
			return sr, fmt.Errorf("stop reply %q: pair %q without ':'", pkt, pair)
		}
		switch k {
		case "thread":
			sr.Thread = v
		case "watch", "rwatch", "awatch":
			a, err := strconv.ParseUint(v, 16, 64)
			if err != nil {
				return sr, fmt.Errorf("stop reply %q: bad %s address: %w", pkt, k, err)
			}
			sr.Watch, sr.WatchAddr = k, a
		default:
			if sr.Values == nil {
				sr.Values = map[string]string{}
			}
			sr.Values[k] = v
		}
	}
	return sr, nil
}

// StopRegisters decodes the register values a T reply carries (keys that
// are regnums of target.xml) by name.
func (cl *Client) StopRegisters(sr StopReply) map[string]uint64 {
	out := map[string]uint64{}
	for k, v := range sr.Values {
		n, err := strconv.ParseUint(k, 16, 16)
		if err != nil {
			continue
		}
		r, ok := cl.desc.ByRegnum(int(n))
		if !ok || len(v) != 2*r.Bytes() {
			continue
		}
		if val, err := decodeRegister([]byte(v)); err == nil {
			out[r.Name] = val
		}
	}
	return out
}

// noteStop records a stop reply; caller holds rmu.
func (cl *Client) noteStop(sr StopReply) {
	cl.lastStop = sr
	cl.stopSeq.Add(1)
	cl.running.Store(false)
}

// Continue resumes the target (vCont;c when the stub supports it, else c)
// and returns once the request is sent. The target then runs until
// WaitStop or Interrupt reads its stop reply; meanwhile every other command
// fails with ErrRunning.
func (cl *Client) Continue(ctx context.Context) error {
	req := "c"
	if cl.vCont {
		req = "vCont;c"
	}
	return cl.resume(ctx, "continue", req)
}

func (cl *Client) resume(ctx context.Context, op, req string) error {
	if cl.running.Load() {
		return fmt.Errorf("%s: %w", op, ErrRunning)
	}
	cl.rmu.Lock()
	defer cl.rmu.Unlock()
	done, err := cl.c.armRead(ctx, true)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	defer done()
	if err := cl.c.send(ctx, []byte(req)); err != nil {
		return fmt.Errorf("%s: send %s: %w", op, req, mapNetErr(ctx, err))
	}
	cl.staleStops = 0
	cl.running.Store(true)
	return nil
}

// Step executes one instruction (vCont;s or s) and returns its stop reply.
func (cl *Client) Step(ctx context.Context) (StopReply, error) {
	req := "s"
	if cl.vCont {
		req = "vCont;s"
	}
	if err := cl.resume(ctx, "step", req); err != nil {
		return StopReply{}, err
	}
	return cl.waitStop(ctx, "step", true)
}

// WaitStop blocks until the running target stops and returns the stop
// reply. Console output meanwhile goes to Options.OnConsole. It is bounded
// by ctx only (a target may run for hours); pass a context with a
// deadline. When the target is not running it returns the last stop reply.
func (cl *Client) WaitStop(ctx context.Context) (StopReply, error) {
	return cl.waitStop(ctx, "wait for stop", false)
}

func (cl *Client) waitStop(ctx context.Context, op string, bounded bool) (StopReply, error) {
	cl.rmu.Lock()
	defer cl.rmu.Unlock()
	if !cl.running.Load() {
		if cl.lastStop.Kind == 0 {
			return StopReply{}, fmt.Errorf("%s: target is not running", op)
		}
		return cl.lastStop, nil
	}
	return cl.readStopLocked(ctx, op, bounded)
}

func (cl *Client) readStopLocked(ctx context.Context, op string, bounded bool) (StopReply, error) {
	done, err := cl.c.armRead(ctx, bounded)
	if err != nil {
		return StopReply{}, fmt.Errorf("%s: %w", op, err)
	}
	defer done()
	for {
		reply, err := cl.c.recv(ctx)
		if err != nil {
			if errors.Is(err, ErrClosed) {
				// QEMU aborts on lockup: '+' then end of file.
				cl.running.Store(false)
			}
			return StopReply{}, fmt.Errorf("%s: %w", op, mapNetErr(ctx, err))
		}
		if len(reply) == 0 {
			continue
		}
		if !looksLikeStop(reply) && cl.owesLateAnswer() {
			cl.lateReplies--
			cl.c.tracef("--", []byte("(late answer to an earlier request skipped)"))
			continue
		}
		if re, ok := parseErrorReply(op, reply); ok {
			cl.running.Store(false)
			return StopReply{}, re
		}
		sr, err := ParseStopReply(string(reply))
		if err != nil {
			cl.running.Store(false)
			return StopReply{}, fmt.Errorf("%s: %w", op, err)
		}
		cl.noteStop(sr)
		return sr, nil
	}
}

// Interrupt stops a running target: the 0x03 byte alone (written under the
// same lock as packets, and nothing else: on QEMU any byte stops the guest
// and a packet would be lost), then its stop reply. On a halted target it
// asks '?' instead.
func (cl *Client) Interrupt(ctx context.Context) (StopReply, error) {
	if !cl.running.Load() {
		return cl.Halted(ctx)
	}
	seq := cl.stopSeq.Load()
	if err := cl.c.write(ctx, []byte{0x03}); err != nil {
		return StopReply{}, fmt.Errorf("interrupt: %w", err)
	}
	cl.rmu.Lock()
	defer cl.rmu.Unlock()
	if cl.stopSeq.Load() != seq || !cl.running.Load() {
		// A concurrent WaitStop read the stop reply: the target stopped by
		// itself, so the 0x03 may still bring one of its own.
		cl.staleStops = 1
		return cl.lastStop, nil
	}
	sr, err := cl.readStopLocked(ctx, "interrupt", true)
	if err == nil && sr.Signal != 2 {
		// Stopped for another reason before the 0x03 arrived.
		cl.staleStops = 1
	}
	return sr, err
}

// Halted asks why the target stopped ('?').
func (cl *Client) Halted(ctx context.Context) (StopReply, error) {
	reply, err := cl.exchange(ctx, "query halt reason (?)", []byte("?"))
	if err != nil {
		return StopReply{}, err
	}
	sr, err := ParseStopReply(string(reply))
	if err != nil {
		return sr, fmt.Errorf("query halt reason: %w", err)
	}
	cl.rmu.Lock()
	cl.noteStop(sr)
	cl.rmu.Unlock()
	return sr, nil
}

// Monitor runs a monitor command (qRcmd). The O output and the final
// hex-encoded result are joined; "OK" means no result. An "E NN" answer
// is a *RemoteError whose Text holds the output. O packets during the
// command go to the result, not to OnConsole.
func (cl *Client) Monitor(ctx context.Context, cmd string) (string, error) {
	op := fmt.Sprintf("monitor %s", cmd)
	if cl.running.Load() {
		return "", fmt.Errorf("%s: %w", op, ErrRunning)
	}
	cl.rmu.Lock()
	defer cl.rmu.Unlock()
	cl.c.collect = []string{}
	defer func() { cl.c.collect = nil }()
	reply, err := cl.exchangeLocked(ctx, op, append([]byte("qRcmd,"), EncodeHex([]byte(cmd))...))
	out := strings.Join(cl.c.collect, "")
	if err != nil {
		return out, err
	}
	if len(reply) == 0 {
		return out, fmt.Errorf("%s: %w", op, ErrUnsupported)
	}
	if re, ok := parseErrorReply(op, reply); ok {
		re.Text = strings.TrimSpace(out)
		return out, re
	}
	if string(reply) == "OK" {
		return out, nil
	}
	b, err := DecodeHex(reply)
	if err != nil {
		return out, fmt.Errorf("%s: result: %w", op, err)
	}
	return out + string(b), nil
}
