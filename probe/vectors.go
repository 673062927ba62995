package probe

import (
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/gdbremote"
)

// handlersFrom names the fault handlers in a vector table's first seven
// words (Thumb bit cleared) into hs.
func handlersFrom(tbl []byte, hs map[uint64]string) {
	for _, v := range faultVectors {
		if len(tbl) < v.num*4+4 {
			return
		}
		a := uint64(binary.LittleEndian.Uint32(tbl[v.num*4:]) &^ 1)
		if a == 0 || a >= 0xE0000000 {
			continue // no handler, or a value that cannot be code
		}
		prev := hs[a]
		if prev == "" {
			hs[a] = v.name
		} else if !strings.Contains("/"+prev+"/", "/"+v.name+"/") {
			hs[a] = prev + "/" + v.name
		}
	}
}

// faultHandlers returns the fault handlers of both the ELF's vector table
// and the live one at VTOR: firmware that moves its table (a bootloader, an
// RTOS, Device OS) often installs other handlers there. It also returns
// VTOR (ok false when unreadable). An error only when neither table gave a
// handler.
func (t *Target) faultHandlers(ctx context.Context) (hs map[uint64]string, vtor uint32, vtorOK bool, err error) {
	hs = map[uint64]string{}
	var errs []string
	if im := t.opts.Image; im != nil {
		if a, ok := elfsym.FindVectorTable(im); ok {
			tbl := make([]byte, 7*4)
			if n, _ := im.ReadMemory(tbl, a); n == len(tbl) {
				handlersFrom(tbl, hs)
			}
		} else {
			errs = append(errs, "no vector table found in the ELF")
		}
	}
	vtor, err = t.readWord(ctx, addrVTOR)
	if err != nil {
		errs = append(errs, fmt.Sprintf("read VTOR: %v", err))
	} else {
		vtorOK = true
		tbl, err := t.c.ReadMemory(ctx, uint64(vtor), 7*4)
		switch {
		case err != nil:
			errs = append(errs, fmt.Sprintf("read vector table at 0x%08x: %v", vtor, err))
		case len(tbl) < 7*4:
			errs = append(errs, fmt.Sprintf("read vector table at 0x%08x: short reply", vtor))
		default:
			n := len(hs)
			handlersFrom(tbl, hs)
			if len(hs) == n && n == 0 {
				errs = append(errs, fmt.Sprintf("vector table at 0x%08x holds no fault handlers", vtor))
			}
		}
	}
	if len(hs) == 0 {
		return nil, vtor, vtorOK, fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return hs, vtor, vtorOK, nil
}

// isVTORWatch reports a stop at the watchpoint on VTOR.
func isVTORWatch(stop gdbremote.StopReply) bool {
	return stop.Watch != "" && stop.WatchAddr == addrVTOR
}

// onVTORWrite handles the stop at VTOR's watchpoint. ARM stubs stop before
// the write (QEMU does, and a step with the watchpoint in place stops at
// it again), so the watchpoint comes out for one step over the write, then
// the handlers of the new table get breakpoints too. The caller resumes.
func (t *Target) onVTORWrite(ctx context.Context) error {
	if err := t.c.ClearBreakpoint(ctx, gdbremote.WatchWrite, addrVTOR, 4); err != nil {
		return fmt.Errorf("lift the VTOR watchpoint: %w", err)
	}
	if _, err := t.c.Step(ctx); err != nil {
		return fmt.Errorf("step over the VTOR write: %w", err)
	}
	if err := t.c.SetBreakpoint(ctx, gdbremote.WatchWrite, addrVTOR, 4); err != nil {
		t.mu.Lock()
		t.vtorWatch = false // further moves are noticed at stops
		t.mu.Unlock()
	}
	return t.rearmIfMoved(ctx)
}

// rearmIfMoved re-reads VTOR and, if the table moved since fault catching
// was armed with breakpoints, sets breakpoints on the new table's handlers
// too.
func (t *Target) rearmIfMoved(ctx context.Context) error {
	t.mu.Lock()
	armed, last := t.bpArmed, t.vtor
	t.mu.Unlock()
	if !armed {
		return nil
	}
	vtor, err := t.readWord(ctx, addrVTOR)
	if err != nil || vtor == last {
		return nil
	}
	hs, _, _, err := t.faultHandlers(ctx)
	if err != nil {
		return fmt.Errorf("re-arm after VTOR moved to 0x%08x: %w", vtor, err)
	}
	if err := t.setHandlerBreakpoints(ctx, hs); err != nil {
		return fmt.Errorf("re-arm after VTOR moved to 0x%08x: %w", vtor, err)
	}
	t.mu.Lock()
	t.vtor = vtor
	t.mu.Unlock()
	t.event(EventTargetState, fmt.Sprintf("VTOR moved to 0x%08x: fault-handler breakpoints re-armed (%d)", vtor, len(hs)), nil)
	return nil
}

// setHandlerBreakpoints sets a breakpoint on each handler of hs that has
// none yet (hardware first, software where the slots ran out). Breakpoints
// on the handlers of a table the firmware left stay: the ELF's table, or
// the one found at attach, may come back (a reset, a bootloader).
func (t *Target) setHandlerBreakpoints(ctx context.Context, hs map[uint64]string) error {
	addrs := make([]uint64, 0, len(hs))
	for a := range hs {
		addrs = append(addrs, a)
	}
	sort.Slice(addrs, func(i, j int) bool { return addrs[i] < addrs[j] })
	for _, a := range addrs {
		t.mu.Lock()
		t.handlers[a] = hs[a]
		have := slices.Contains(t.bps, a)
		t.mu.Unlock()
		if have {
			continue
		}
		err := t.c.SetBreakpoint(ctx, gdbremote.BreakHardware, a, 2)
		if err != nil {
			err = t.c.SetBreakpoint(ctx, gdbremote.BreakSoftware, a, 2)
		}
		if err != nil {
			return fmt.Errorf("breakpoint on %s handler at 0x%08x: %w", hs[a], a, err)
		}
		t.mu.Lock()
		t.bps = append(t.bps, a)
		t.mu.Unlock()
	}
	return nil
}

// DEMCR vector catch bits (FACTS.md section 1): VC_MMERR..VC_HARDERR.
const (
	addrDEMCR   = 0xE000EDFC
	demcrVCBits = 0x7F0
)

// armDEMCR sets the vector catch bits in DEMCR directly, for servers that
// write the debug registers (real cores behind pyOCD, J-Link, Black Magic
// Probe). It reports whether the bits stuck: QEMU reads DEMCR as 0.
func (t *Target) armDEMCR(ctx context.Context) bool {
	if !usesDEMCR(t.c.Stub()) {
		return false
	}
	d, err := t.readWord(ctx, addrDEMCR)
	if err != nil {
		return false
	}
	if err := t.writeWord(ctx, addrDEMCR, d|demcrVCBits); err != nil {
		return false
	}
	got, err := t.readWord(ctx, addrDEMCR)
	if err != nil || got&demcrVCBits != demcrVCBits {
		return false
	}
	t.mu.Lock()
	t.demcrSet = demcrVCBits &^ d
	t.mu.Unlock()
	return true
}

func (t *Target) writeWord(ctx context.Context, addr uint64, v uint32) error {
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], v)
	return t.c.WriteMemory(ctx, addr, b[:])
}
