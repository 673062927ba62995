package probe

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/faultline-dev/faultline/capture"
	"github.com/faultline-dev/faultline/capture/crashcatcher"
	"github.com/faultline-dev/faultline/capture/zephyrdump"
)

// A device with no debug probe can still print its whole post-mortem:
// CrashCatcher's HexDump module prints registers and memory as hex lines
// after "CRASH ENCOUNTERED", Zephyr's coredump logging back end as "#CD:"
// lines after its fatal error. The session collects that block and decodes it
// into a full capture, so the report has frames and findings, not just the
// marker line.

// dumpIdle is how long the console may stay silent inside a dump before
// the dump counts as cut short (HexDump prints without pauses).
const dumpIdle = 3 * time.Second

// CollectDump gathers the console lines after start (a crash marker line)
// up to and including the line end accepts, in order. It returns when that
// line arrives, when no line came for idle (the text so far and an error
// saying it was cut), or when ctx ends.
func CollectDump(ctx context.Context, c *Console, start Line, end func(string) bool, idle time.Duration) (string, error) {
	var (
		mu      sync.Mutex
		pending []Line
	)
	wake := make(chan struct{}, 1)
	stop := c.Watch(func(l Line, _ []Detection) {
		mu.Lock()
		pending = append(pending, l)
		mu.Unlock()
		select {
		case wake <- struct{}{}:
		default:
		}
	})
	defer stop()
	var b strings.Builder
	last := start.Seq
	take := func(ls []Line) bool {
		for _, l := range ls {
			if l.Seq <= last {
				continue // seen in the scrollback already
			}
			last = l.Seq
			b.WriteString(l.Text)
			b.WriteByte('\n')
			if end(l.Text) {
				return true
			}
		}
		return false
	}
	b.WriteString(start.Text + "\n")
	if take(c.Lines()) {
		return b.String(), nil
	}
	timer := time.NewTimer(idle)
	defer timer.Stop()
	for {
		mu.Lock()
		ls := pending
		pending = nil
		mu.Unlock()
		if len(ls) > 0 {
			if take(ls) {
				return b.String(), nil
			}
			timer.Reset(idle)
		}
		select {
		case <-wake:
		case <-timer.C:
			return b.String(), fmt.Errorf("console silent for %v inside the dump: cut short", idle)
		case <-c.done:
			return b.String(), fmt.Errorf("console closed inside the dump: %w", ErrConsoleClosed)
		case <-ctx.Done():
			return b.String(), ctx.Err()
		}
	}
}

// crashCatcherSnapshot collects the HexDump block that follows the
// "CRASH ENCOUNTERED" line start and decodes it; nil when there is no
// dump to read (the device printed only the prompt).
//
// HexDump prompts "Enable logging and then press any key to start dump."
// and waits: faultline is the logging, so it presses the key (a carriage
// return; firmware whose getc does not wait just prints on).
func (s *Session) crashCatcherSnapshot(ctx context.Context, start Line) (*capture.Snapshot, error) {
	var keyErr error
	if _, err := s.con.Write([]byte("\r")); err != nil {
		keyErr = fmt.Errorf("answer HexDump's prompt: %w", err)
	}
	text, cerr := CollectDump(ctx, s.con, start, crashcatcher.IsEnd, dumpIdle)
	cerr = errors.Join(keyErr, cerr)
	dump, err := crashcatcher.DecodeHex(text)
	if dump == nil {
		return nil, errors.Join(cerr, err)
	}
	if cerr != nil && !complete(text) {
		dump.Meta.Missing = append(dump.Meta.Missing, "CrashCatcher hex dump: "+cerr.Error())
	}
	return dump, err
}

// complete reports whether a collected HexDump block has its last line.
func complete(text string) bool {
	_, ok, _ := crashcatcher.FromHex(text)
	return ok
}

// zephyrHalt is the line Zephyr's default fatal error policy prints last
// (k_sys_fatal_error_handler): after the "#CD:" dump when there is one.
const zephyrHalt = "Halting system"

// zephyrSnapshot collects what follows a Zephyr fatal error line up to
// "#CD:END#" (or "Halting system", when the firmware has no core dump) and
// decodes the "#CD:" dump in it; nil when there is none. last is the Seq of
// the last line taken, so the fatal error's later lines are not another
// crash.
func (s *Session) zephyrSnapshot(ctx context.Context, start Line) (dump *capture.Snapshot, last uint64, err error) {
	end := func(l string) bool { return zephyrdump.IsEnd(l) || strings.Contains(l, zephyrHalt) }
	text, cerr := CollectDump(ctx, s.con, start, end, dumpIdle)
	last = start.Seq
	if ls := s.con.Lines(); len(ls) > 0 {
		last = ls[len(ls)-1].Seq
	}
	if !zephyrdump.LooksLog([]byte(text)) {
		return nil, last, nil // a fatal error without a core dump
	}
	dump, err = zephyrdump.DecodeLog(text)
	if dump == nil {
		return nil, last, errors.Join(cerr, err)
	}
	if cerr != nil {
		dump.Meta.Missing = append(dump.Meta.Missing, "Zephyr #CD: dump: "+cerr.Error())
	}
	return dump, last, errors.Join(cerr, err)
}

// mergeConsoleDump puts a dump decoded from the console into the
// serial-only snapshot: its registers and memory, and what it lacks in
// place of "no GDB connection".
func mergeConsoleDump(snap, dump *capture.Snapshot, source string) {
	snap.Registers = dump.Registers
	snap.Memory = dump.Memory
	snap.Meta.Target = "serial-only (" + source + " printed on the console)"
	snap.Meta.Missing = dump.Meta.Missing
	for k, v := range dump.Meta.Extra {
		if snap.Meta.Extra == nil {
			snap.Meta.Extra = map[string]string{}
		}
		snap.Meta.Extra[k] = v
	}
}
