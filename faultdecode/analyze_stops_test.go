package faultdecode

import (
	"strings"
	"testing"

	"github.com/faultline-dev/faultline/faultdecode/fault"
	"github.com/faultline-dev/faultline/faultdecode/internal/fdtest"
)

// Stops and captures that are not the plain "halted at the handler's
// first instruction" case.

func TestStopDeepInsideTheHandlerReportsTheFaultingCode(t *testing.T) {
	// The core stopped in b while the fault handler isr had called it
	// (a breakpoint in a function the handler called): LR is a return
	// into isr, not an EXC_RETURN. isr saved EXC_RETURN 0xFFFFFFF9, and
	// the faulting code's frame (in a, called from main) is above that.
	p := fdtest.NewProg()
	p.Calls[fdtest.ISR+0x20] = true
	s := fdtest.NewStack()
	s.Put(0x20001004, fdtest.ISR+0x21)                                             // b's saved LR: into isr
	s.Put(0x2000100c, 0xFFFFFFF9)                                                  // isr's saved LR: EXC_RETURN, MSP
	s.Put(0x20001010, 0, 1, 2, 3, 12, fdtest.Main+0x21, fdtest.A+0x10, 0x01000000) // the faulting frame, in a
	s.Put(0x2000103c, fdtest.Main+0x21)                                            // a's saved LR (a's CFA 0x20001040)
	s.Put(0x20001044, 0xFFFFFFFF)
	regs := map[string]uint32{"pc": fdtest.B + 0x10, "lr": fdtest.ISR + 0x21, "sp": 0x20001000, "xpsr": 0x01000003, "msp": 0x20001000}
	snap := s.Snapshot(regs, fdtest.SCBRegion(map[uint64]uint32{fault.AddrHFSR: 1 << 30, fault.AddrCFSR: 1 << 25}))
	rep := analyze(snap, p)
	var got []string
	for _, f := range rep.Frames {
		got = append(got, f.Function)
	}
	if len(got) < 2 || got[0] != "a" || got[1] != "main" {
		t.Fatalf("frames %v: want the faulting code first (a, main), not the handler's\nnotes %v", got, rep.Notes)
	}
	if strings.Contains(rep.Fault.Summary, "isr") || !strings.Contains(rep.Fault.Summary, "a()") {
		t.Errorf("summary %q: must name a, never the handler", rep.Fault.Summary)
	}
}

func TestStackFillIsUnusedStackNotAnOverrun(t *testing.T) {
	// b's saved LR slot still holds FreeRTOS's 0xa5a5a5a5 fill: the
	// unwinder read stack that was never written. That is no buffer
	// overrun, and the report must not call it one.
	s := fdtest.NewStack()
	s.Put(0x20001000, 0, 1, 2, 3, 12, 0xa5a5a5a5, fdtest.B+0x10, 0x01000000)
	s.Put(0x20001024, 0xa5a5a5a5)
	regs := map[string]uint32{"pc": fdtest.C, "lr": 0xFFFFFFF9, "sp": 0x20001000, "xpsr": 0x01000006, "msp": 0x20001000}
	snap := s.Snapshot(regs, fdtest.SCBRegion(map[uint64]uint32{fault.AddrCFSR: 1 << 25}))
	rep := analyze(snap, fdtest.NewProg())
	for _, f := range rep.Findings {
		if strings.Contains(f.Summary, "0xa5a5a5a5") {
			t.Errorf("finding %s: %s: the fill pattern is not an overrun", f.Kind, f.Summary)
		}
	}
	if !strings.Contains(strings.Join(rep.Notes, "\n"), "never written") {
		t.Errorf("no note says the slot was never written: %v", rep.Notes)
	}
}

func TestCaptureWithoutStackMemorySaysSo(t *testing.T) {
	// Registers only: no RAM region at all. Frame 0 comes from the
	// registers; the rest cannot be known, and the notes say why.
	regs := map[string]uint32{"pc": fdtest.B + 0x10, "lr": 0xFFFFFFF9, "sp": 0x20001000, "xpsr": 0x01000003, "msp": 0x20001000}
	snap := fdtest.NewStack().Snapshot(regs)
	snap.Memory = nil
	rep := analyze(snap, fdtest.NewProg())
	if len(rep.Notes) == 0 {
		t.Fatal("no notes: the missing stack must be explained")
	}
	if !strings.Contains(strings.Join(rep.Notes, "\n"), "not readable") {
		t.Errorf("notes %v: want the unreadable exception frame named", rep.Notes)
	}
}
