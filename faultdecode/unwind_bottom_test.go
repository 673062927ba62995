package faultdecode

import (
	"slices"
	"testing"

	"github.com/faultline-dev/faultline/elfsym"
)

// Where an unwind must end cleanly, and where a scan must not go: the
// cases that printed junk frames after a task entry or a main loop.

func TestUnwindEndsAtFunctionThatNeverSavedLR(t *testing.T) {
	// b -> a, where a (a task entry or a main loop that never returns)
	// made its call without saving LR: LR in a's frame is the return
	// address into a itself, so a is the bottom, not a's "caller" a again.
	p := newFakeProg()
	p.funcs[1].lrOff = 0 // a keeps no saved LR
	s := newStack()
	s.put(0x20001004, fA+0x21) // b's saved LR
	u := NewUnwinder(s.snapshot(nil), p, UnwindStart{Regs: startRegs(fB+0x10, 0x20001000, 0)})
	got := collect(t, u)
	want := []string{"b/fault-pc", "a/cfi"}
	if !slices.Equal(names(got), want) {
		t.Fatalf("frames %v, want %v", names(got), want)
	}
	if u.Err() != nil || !u.Frame().Bottom {
		t.Errorf("err %v bottom %v: want a clean bottom", u.Err(), u.Frame().Bottom)
	}
}

func TestUnwindEndsAtPlantedTaskExitAddress(t *testing.T) {
	// A FreeRTOS task's entry saves the LR the port planted in the task's
	// initial frame: the first instruction of prvTaskExitError, which no
	// call precedes. The task entry is the bottom; the function before
	// prvTaskExitError in memory must not appear.
	p := newFakeProg()
	const fExit = 0x08000900
	p.funcs = append(p.funcs, fakeFunc{name: "prvTaskExitError", start: fExit, end: fExit + 0x40, cfa: 8, lrOff: -4})
	p.funcs = append(p.funcs, fakeFunc{name: "before_exit", start: fExit - 0x40, end: fExit, cfa: 8, lrOff: -4})
	s := newStack()
	s.put(0x20001004, fThread+0x21) // b's saved LR: into the task entry
	s.put(0x2000100c, fExit|1)      // thread_fn's saved LR: planted
	u := NewUnwinder(s.snapshot(nil), p, UnwindStart{Regs: startRegs(fB+0x10, 0x20001000, 0), OnPSP: true})
	got := collect(t, u)
	want := []string{"b/fault-pc", "thread_fn/cfi"}
	if !slices.Equal(names(got), want) {
		t.Fatalf("frames %v, want %v", names(got), want)
	}
	if u.Err() != nil {
		t.Errorf("err %v: a planted return address is a clean bottom", u.Err())
	}
}

func TestUnwindEndsAtResetHandler(t *testing.T) {
	p := newFakeProg()
	const fReset = 0x08000a00
	p.funcs = append(p.funcs, fakeFunc{name: "Reset_Handler", start: fReset, end: fReset + 0x40, noCFI: true})
	p.calls[fReset+0x20] = true
	s := newStack()
	s.put(0x20001004, fReset+0x21) // b called from Reset_Handler
	s.put(0x20001010, fA+0x21)     // junk above: a scan would take it
	u := NewUnwinder(s.snapshot(nil), p, UnwindStart{Regs: startRegs(fB+0x10, 0x20001000, 0)})
	got := collect(t, u)
	want := []string{"b/fault-pc", "Reset_Handler/cfi"}
	if !slices.Equal(names(got), want) || u.Err() != nil {
		t.Fatalf("frames %v err %v, want %v and a clean end", names(got), u.Err(), want)
	}
}

func TestUnwindScanStaysBelowTheStackTop(t *testing.T) {
	// nocfi has no CFI, so its caller is found by scanning. The thread's
	// stack ends at 0x20001010; above it lies another task's stack with a
	// return address into a, which must not become a caller.
	s := newStack()
	s.put(0x20001014, fA+0x21)
	tests := []struct {
		name  string
		start UnwindStart
		want  []string
	}{
		{"psp top bounds the scan", UnwindStart{Regs: startRegs(fNoCFI+0x10, 0x20001000, 0), OnPSP: true, PSPTop: 0x20001010},
			[]string{"nocfi/fault-pc"}},
		{"msp top bounds the scan", UnwindStart{Regs: startRegs(fNoCFI+0x10, 0x20001000, 0), StackTop: 0x20001010},
			[]string{"nocfi/fault-pc"}},
		{"without a top the scan finds it", UnwindStart{Regs: startRegs(fNoCFI+0x10, 0x20001000, 0)},
			[]string{"nocfi/fault-pc", "a/stack-scan"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := NewUnwinder(s.snapshot(nil), newFakeProg(), tt.start)
			got := names(collect(t, u))
			if len(got) < len(tt.want) || !slices.Equal(got[:len(tt.want)], tt.want) {
				t.Fatalf("frames %v, want %v first", got, tt.want)
			}
			if len(tt.want) == 1 && len(got) != 1 {
				t.Fatalf("frames %v: the scan went past the stack's top", got)
			}
		})
	}
}

func TestUnwindScanFirstWhenStackingFailed(t *testing.T) {
	// Stacking failed: frame 0 is lost, but the return addresses above
	// the failed frame are still there. The part of the stack below
	// 0x20001000 was not captured (an MPU guard).
	s := newStack()
	s.put(0x20001004, fA+0x21)
	s.put(0x20001018, fMain+0x21) // a's saved LR (CFA 0x2000101c... a's cfa is 16)
	s.put(0x20001020, 0xFFFFFFFF)
	snap := s.snapshot(nil)
	// Drop the first 4 KiB: the guard region.
	snap.Memory[0].Addr += 0x1000
	snap.Memory[0].Data = snap.Memory[0].Data[0x1000:]
	var r Regs
	r.Set(RegSP, 0x20000fe0)
	u := NewUnwinder(snap, newFakeProg(), UnwindStart{Regs: r, ScanFirst: true})
	got := collect(t, u)
	if len(got) == 0 || got[0].fn != "a" || got[0].how != HowStackScan {
		t.Fatalf("frames %v: want a found by the scan first", names(got))
	}
}

func TestLockupInsideHandlerFindsTheOriginalFrame(t *testing.T) {
	// Found already locked up: PC is the lockup address, LR still holds
	// the handler's EXC_RETURN, but the handler had pushed 8 bytes before
	// it faulted again, so the first fault's frame is above SP.
	s := newStack()
	s.put(0x20001008, 1, 2, 3, 4, 12, fA+0x21, fB+0x10, 0x01000000) // the first fault's frame, in b
	s.put(0x2000102c, fMain+0x21)                                   // b's saved LR above the frame (b's CFA 0x20001030)
	s.put(0x20001034, 0xFFFFFFFF)
	regs := map[string]uint32{"pc": 0xFFFFFFFE, "lr": 0xFFFFFFF9, "sp": 0x20001000, "xpsr": 0x01000003, "msp": 0x20001000}
	for i := range 13 {
		regs[stopRegNames[i]] = uint32(i)
	}
	snap := s.snapshot(regs, scbRegion(map[uint64]uint32{AddrHFSR: 1 << 30, AddrCFSR: 1 << 25}), dhcsrRegion(1<<19|1<<17))
	snap.Meta.Trigger.Kind = "lockup"
	rep := analyze(snap, newFakeProg())
	if !rep.Fault.Lockup {
		t.Fatalf("not a lockup: %+v", rep.Fault)
	}
	if len(rep.Frames) == 0 || rep.Frames[0].Function != "b" {
		t.Fatalf("frames %v: want the first fault's frame in b first\nnotes %v", rep.Frames, rep.Notes)
	}
}

func TestUnwindFollowsANakedContextSwitchIntoTheTask(t *testing.T) {
	// c faulted, called from pendsv: a naked handler whose CFI says
	// nothing (CFA = SP, LR never saved). It had pushed {r3, lr} with
	// EXC_RETURN 0xFFFFFFFD; the switched-out task's frame is at PSP and
	// its r4-r11 right below it, as RTOS ports save them.
	p := newFakeProg()
	const fPendSV = 0x08000b00
	p.funcs = append(p.funcs, fakeFunc{name: "pendsv", start: fPendSV, end: fPendSV + 0x40, cfa: 0})
	p.calls[fPendSV+0x20] = true
	s := newStack()
	s.put(0x20001000, 0x33, 0xFFFFFFFD)                                     // pendsv's stmdb {r3, lr}
	s.put(0x20002fe0, 4, 5, 6, 7, 8, 9, 10, 11)                             // r4-r11 of the task
	s.put(0x20003000, 0, 1, 2, 3, 12, fMain+0x21, fThread+0x10, 0x01000000) // the task's frame
	s.put(0x20003024, fMain+0x21)                                           // thread_fn's saved LR
	s.put(0x2000302c, 0xFFFFFFFF)
	u := NewUnwinder(s.snapshot(nil), p, UnwindStart{
		Regs: startRegs(fC+0x10, 0x20001000, fPendSV+0x21), PSP: 0x20003000, HavePSP: true,
	})
	var frames []Frame
	for u.Next() {
		frames = append(frames, u.Frame())
	}
	var got []string
	for _, f := range frames {
		got = append(got, f.Funcs[len(f.Funcs)-1].Function+"/"+f.How)
	}
	want := []string{"c/fault-pc", "pendsv/cfi", "thread_fn/exception-frame", "main/cfi"}
	if !slices.Equal(got, want) {
		t.Fatalf("frames %v, want %v (err %v)", got, want, u.Err())
	}
	if r7, ok := frames[2].Regs.Get(7); !ok || r7 != 7 {
		t.Errorf("the task's r7 = %d (known %v), want 7 from below its exception frame", r7, ok)
	}
}

func TestUnwindDropsSelfInlinedSplitCopies(t *testing.T) {
	// GCC describes a split part of f as f inlined into f at f's
	// declaration line: one frame in the source, one in the report.
	u := &Unwinder{prog: selfInlineProg{newFakeProg()}}
	in := []elfsym.Frame{
		{Function: "f", Line: 40, Inlined: true, Entry: fA},
		{Function: "f", Line: 9, Entry: fA},
		{Function: "g", Line: 3},
	}
	got := u.selfInlineless(in)
	if len(got) != 2 || got[0].Line != 40 || got[0].Inlined || got[1].Function != "g" {
		t.Fatalf("got %+v", got)
	}
	// A recursive call inlined into itself is real: its call line is in
	// the body.
	in[1].Line = 30
	if got := u.selfInlineless(in); len(got) != 3 {
		t.Fatalf("a real inlined recursion was dropped: %+v", got)
	}
}

// selfInlineProg says f's first line is 10.
type selfInlineProg struct{ *fakeProg }

func (p selfInlineProg) Frames(addr uint64) []elfsym.Frame {
	if addr == fA {
		return []elfsym.Frame{{Function: "f", Line: 10, Entry: fA}}
	}
	return p.fakeProg.Frames(addr)
}

func TestUnwindAfterAWildReturnNamesTheOpenCall(t *testing.T) {
	// A smashed return left PC wild and LR useless. The scan finds main's
	// call of a still open on the stack: a (or a function it called) made
	// the wild return, so a is a frame too, before main.
	p := newFakeProg()
	p.blTargets = map[uint32]uint32{fMain + 0x20: fA}
	s := newStack()
	s.put(0x20001008, fMain+0x21) // a's saved LR, above the popped frame
	s.put(0x20001010, 0xFFFFFFFF)
	u := NewUnwinder(s.snapshot(nil), p, UnwindStart{Regs: startRegs(0x41414140, 0x20001000, 0)})
	got := names(collect(t, u))
	want := []string{"?/fault-pc", "a/stack-scan", "main/stack-scan"}
	if len(got) < len(want) || !slices.Equal(got[:len(want)], want) {
		t.Fatalf("frames %v, want %v first", got, want)
	}
}
