package unwind

import (
	"slices"
	"testing"

	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/faultdecode/fault"
	"github.com/faultline-dev/faultline/faultdecode/internal/fdtest"
)

// Where an unwind must end cleanly, and where a scan must not go: the
// cases that printed junk frames after a task entry or a main loop.

func TestUnwindEndsAtFunctionThatNeverSavedLR(t *testing.T) {
	// b -> a, where a (a task entry or a main loop that never returns)
	// made its call without saving LR: LR in a's frame is the return
	// address into a itself, so a is the bottom, not a's "caller" a again.
	p := fdtest.NewProg()
	p.Funcs[1].LROff = 0 // a keeps no saved LR
	s := fdtest.NewStack()
	s.Put(0x20001004, fdtest.A+0x21) // b's saved LR
	u := NewUnwinder(s.Snapshot(nil), p, UnwindStart{Regs: startRegs(fdtest.B+0x10, 0x20001000, 0)})
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
	p := fdtest.NewProg()
	const fExit = 0x08000900
	p.Funcs = append(p.Funcs, fdtest.Func{Name: "prvTaskExitError", Start: fExit, End: fExit + 0x40, CFA: 8, LROff: -4})
	p.Funcs = append(p.Funcs, fdtest.Func{Name: "before_exit", Start: fExit - 0x40, End: fExit, CFA: 8, LROff: -4})
	s := fdtest.NewStack()
	s.Put(0x20001004, fdtest.Thread+0x21) // b's saved LR: into the task entry
	s.Put(0x2000100c, fExit|1)            // thread_fn's saved LR: planted
	u := NewUnwinder(s.Snapshot(nil), p, UnwindStart{Regs: startRegs(fdtest.B+0x10, 0x20001000, 0), OnPSP: true})
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
	p := fdtest.NewProg()
	const fReset = 0x08000a00
	p.Funcs = append(p.Funcs, fdtest.Func{Name: "Reset_Handler", Start: fReset, End: fReset + 0x40, NoCFI: true})
	p.Calls[fReset+0x20] = true
	s := fdtest.NewStack()
	s.Put(0x20001004, fReset+0x21)   // b called from Reset_Handler
	s.Put(0x20001010, fdtest.A+0x21) // junk above: a scan would take it
	u := NewUnwinder(s.Snapshot(nil), p, UnwindStart{Regs: startRegs(fdtest.B+0x10, 0x20001000, 0)})
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
	s := fdtest.NewStack()
	s.Put(0x20001014, fdtest.A+0x21)
	tests := []struct {
		name  string
		start UnwindStart
		want  []string
	}{
		{"psp top bounds the scan", UnwindStart{Regs: startRegs(fdtest.NoCFI+0x10, 0x20001000, 0), OnPSP: true, PSPTop: 0x20001010},
			[]string{"nocfi/fault-pc"}},
		{"msp top bounds the scan", UnwindStart{Regs: startRegs(fdtest.NoCFI+0x10, 0x20001000, 0), StackTop: 0x20001010},
			[]string{"nocfi/fault-pc"}},
		{"without a top the scan finds it", UnwindStart{Regs: startRegs(fdtest.NoCFI+0x10, 0x20001000, 0)},
			[]string{"nocfi/fault-pc", "a/stack-scan"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := NewUnwinder(s.Snapshot(nil), fdtest.NewProg(), tt.start)
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
	s := fdtest.NewStack()
	s.Put(0x20001004, fdtest.A+0x21)
	s.Put(0x20001018, fdtest.Main+0x21) // a's saved LR (CFA 0x2000101c... a's cfa is 16)
	s.Put(0x20001020, 0xFFFFFFFF)
	snap := s.Snapshot(nil)
	// Drop the first 4 KiB: the guard region.
	snap.Memory[0].Addr += 0x1000
	snap.Memory[0].Data = snap.Memory[0].Data[0x1000:]
	var r fault.Regs
	r.Set(fault.RegSP, 0x20000fe0)
	u := NewUnwinder(snap, fdtest.NewProg(), UnwindStart{Regs: r, ScanFirst: true})
	got := collect(t, u)
	if len(got) == 0 || got[0].fn != "a" || got[0].how != HowStackScan {
		t.Fatalf("frames %v: want a found by the scan first", names(got))
	}
}

func TestUnwindFollowsANakedContextSwitchIntoTheTask(t *testing.T) {
	// c faulted, called from pendsv: a naked handler whose CFI says
	// nothing (CFA = SP, LR never saved). It had pushed {r3, lr} with
	// EXC_RETURN 0xFFFFFFFD; the switched-out task's frame is at PSP and
	// its r4-r11 right below it, as RTOS ports save them.
	p := fdtest.NewProg()
	const fPendSV = 0x08000b00
	p.Funcs = append(p.Funcs, fdtest.Func{Name: "pendsv", Start: fPendSV, End: fPendSV + 0x40, CFA: 0})
	p.Calls[fPendSV+0x20] = true
	s := fdtest.NewStack()
	s.Put(0x20001000, 0x33, 0xFFFFFFFD)                                                 // pendsv's stmdb {r3, lr}
	s.Put(0x20002fe0, 4, 5, 6, 7, 8, 9, 10, 11)                                         // r4-r11 of the task
	s.Put(0x20003000, 0, 1, 2, 3, 12, fdtest.Main+0x21, fdtest.Thread+0x10, 0x01000000) // the task's frame
	s.Put(0x20003024, fdtest.Main+0x21)                                                 // thread_fn's saved LR
	s.Put(0x2000302c, 0xFFFFFFFF)
	u := NewUnwinder(s.Snapshot(nil), p, UnwindStart{
		Regs: startRegs(fdtest.C+0x10, 0x20001000, fPendSV+0x21), PSP: 0x20003000, HavePSP: true,
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
	u := &Unwinder{prog: selfInlineProg{fdtest.NewProg()}}
	in := []elfsym.Frame{
		{Function: "f", Line: 40, Inlined: true, Entry: fdtest.A},
		{Function: "f", Line: 9, Entry: fdtest.A},
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
	// f has no out-of-line copy: both f frames are inlined into g, and
	// Entry is the outer inlined copy's own first address, where f's
	// first line is f's frame there, inlined into g (not g's line).
	for _, tc := range []struct {
		callLine int
		kept     int
	}{{9, 2}, {10, 2}, {30, 3}} {
		in := []elfsym.Frame{
			{Function: "f", Line: 40, Inlined: true, Entry: fdtest.B},
			{Function: "f", Line: tc.callLine, Inlined: true, Entry: fdtest.B},
			{Function: "g", Line: 3, Entry: fdtest.C},
		}
		if got := u.selfInlineless(in); len(got) != tc.kept || got[len(got)-1].Function != "g" {
			t.Errorf("f inlined into f at line %d, both inlined into g: got %+v, want %d frames", tc.callLine, got, tc.kept)
		}
	}
}

// selfInlineProg says f's first line is 10: at A, its out-of-line copy's
// entry; at B, the entry of a copy of f inlined into g at g's line 50.
type selfInlineProg struct{ *fdtest.Prog }

func (p selfInlineProg) Frames(addr uint64) []elfsym.Frame {
	switch addr {
	case fdtest.A:
		return []elfsym.Frame{{Function: "f", Line: 10, Entry: fdtest.A}}
	case fdtest.B:
		return []elfsym.Frame{{Function: "f", Line: 10, Inlined: true, Entry: fdtest.B}, {Function: "g", Line: 50, Entry: fdtest.C}}
	}
	return p.Prog.Frames(addr)
}

func TestUnwindAfterAWildReturnNamesTheOpenCall(t *testing.T) {
	// A smashed return left PC wild and LR useless. The scan finds main's
	// call of a still open on the stack: a (or a function it called) made
	// the wild return, so a is a frame too, before main.
	tests := []struct {
		name string
		code map[uint32]uint16 // main's call, over the fake's BL
	}{
		{"a BL", nil},
		// -mlong-calls: ldr r3, [pc, #32]; blx r3, the literal at
		// main+0x40 being a|1 (smash clang-O2lc lost net_rx).
		{"a long call's blx", map[uint32]uint16{fdtest.Main + 0x1c: 0x4B08, fdtest.Main + 0x1e: 0x4798, fdtest.Main + 0x40: fdtest.A&0xFFFF | 1, fdtest.Main + 0x42: fdtest.A >> 16}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &tailProg{Prog: fdtest.NewProg()}
			p.BLTargets = map[uint32]uint32{fdtest.Main + 0x20: fdtest.A}
			p.Code = tt.code
			s := fdtest.NewStack()
			s.Put(0x20001008, fdtest.Main+0x21) // a's saved LR, above the popped frame
			s.Put(0x20001010, 0xFFFFFFFF)
			u := NewUnwinder(s.Snapshot(nil), p, UnwindStart{Regs: startRegs(0x41414140, 0x20001000, 0)})
			got := names(collect(t, u))
			want := []string{"?/fault-pc", "a/stack-scan", "main/stack-scan"}
			if len(got) < len(want) || !slices.Equal(got[:len(want)], want) {
				t.Fatalf("frames %v, want %v first", got, want)
			}
		})
	}
}

// A frame whose CFA is the very top of the stack (main called by a reset
// handler that pushed nothing: its CFA is the initial SP, one past the
// last RAM word) steps there by CFI. Taking that SP for "outside RAM" sent
// the frame to the stack scan, which picked up a stale return address.
func TestUnwindStepsToACFAAtTheStackTop(t *testing.T) {
	const top = fdtest.RAMBase + 0x4000 // the end of the fake's RAM
	s := fdtest.NewStack()
	s.Put(top-8, fdtest.B+0x21) // stale, where main keeps r7
	s.Put(top-4, fdtest.A+0x21) // main's saved LR: into a, which called it
	tests := []struct {
		name  string
		start UnwindStart
		want  []string
	}{
		{"stack top known", UnwindStart{StackTop: top, RAM: []Range{{fdtest.RAMBase, top}}}, []string{"c/fault-pc", "main/cfi", "a/cfi"}},
		{"stack top unknown", UnwindStart{RAM: []Range{{fdtest.RAMBase, top}}}, []string{"c/fault-pc", "main/cfi", "a/cfi"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := tt.start
			st.Regs = startRegs(fdtest.C+0x10, top-8, fdtest.Main+0x21)
			got := collect(t, NewUnwinder(s.Snapshot(nil), fdtest.NewProg(), st))
			if n := names(got); len(n) < len(tt.want) || !slices.Equal(n[:len(tt.want)], tt.want) {
				t.Fatalf("frames %v, want %v first", n, tt.want)
			}
			if got[2].sp != top {
				t.Errorf("a's SP 0x%08x, want the stack top 0x%08x", got[2].sp, top)
			}
		})
	}
}
