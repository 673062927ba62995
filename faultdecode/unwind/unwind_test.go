package unwind

import (
	"errors"
	"slices"
	"testing"

	"github.com/faultline-dev/faultline/faultdecode/fault"
	"github.com/faultline-dev/faultline/faultdecode/internal/fdtest"
)

func startRegs(pc, sp, lr uint32) fault.Regs {
	var r fault.Regs
	r.Set(fault.RegPC, pc)
	r.Set(fault.RegSP, sp)
	r.Set(fault.RegLR, lr)
	r.Set(fault.RegFP, 0)
	return r
}

type frameSummary struct {
	fn, how string
	pc, sp  uint32
}

func collect(t *testing.T, u *Unwinder) []frameSummary {
	t.Helper()
	var out []frameSummary
	for u.Next() {
		f := u.Frame()
		name := "?"
		if len(f.Funcs) > 0 {
			name = f.Funcs[len(f.Funcs)-1].Function
		}
		out = append(out, frameSummary{name, f.How, f.PC, f.SP})
		if len(out) > 200 {
			t.Fatal("unwinder did not stop")
		}
	}
	return out
}

func names(fs []frameSummary) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.fn+"/"+f.how)
	}
	return out
}

func TestUnwindPreciseChainThroughCFI(t *testing.T) {
	s := fdtest.NewStack()
	s.Put(0x20001004, fdtest.A+0x21)    // b saved LR
	s.Put(0x20001014, fdtest.Main+0x21) // a saved LR
	s.Put(0x2000101c, 0xFFFFFFFF)       // main saved LR: reset value, the bottom
	snap := s.Snapshot(nil)
	u := NewUnwinder(snap, fdtest.NewProg(), UnwindStart{Regs: startRegs(fdtest.C+0x10, 0x20001000, fdtest.B+0x21)})
	got := collect(t, u)
	want := []string{"c/fault-pc", "b/cfi", "a/cfi", "main/cfi"}
	if !slices.Equal(names(got), want) {
		t.Fatalf("frames %v, want %v", names(got), want)
	}
	if u.Err() != nil || !u.Frame().Bottom {
		t.Errorf("Err = %v, Bottom %v: want a clean bottom", u.Err(), u.Frame().Bottom)
	}
	// b's frame is found at the return address; lookups use the call before it.
	if got[1].pc != fdtest.B+0x20 || got[3].sp != 0x20001018 {
		t.Errorf("b pc 0x%08x main sp 0x%08x", got[1].pc, got[3].sp)
	}
}

func TestUnwindLookupUsesCallInstruction(t *testing.T) {
	// A return address at the very end of b (a call to a noreturn
	// function) must still be attributed to b, not to what follows.
	p := fdtest.NewProg()
	p.Calls[fdtest.B+0x100] = true
	s := fdtest.NewStack()
	s.Put(0x20001004, 0xFFFFFFFF)
	u := NewUnwinder(s.Snapshot(nil), p, UnwindStart{Regs: startRegs(fdtest.C+0x10, 0x20001000, fdtest.B+0x101)})
	got := collect(t, u)
	if len(got) < 2 || got[1].fn != "b" {
		t.Fatalf("frames %v: the caller must be b", names(got))
	}
}

func TestUnwindBadPCFallsBackToLR(t *testing.T) {
	s := fdtest.NewStack()
	s.Put(0x20001004, fdtest.A+0x21)
	s.Put(0x20001014, 0xFFFFFFFF)
	u := NewUnwinder(s.Snapshot(nil), fdtest.NewProg(), UnwindStart{Regs: startRegs(0xae094710, 0x20001000, fdtest.B+0x41)})
	got := collect(t, u)
	want := []string{"?/fault-pc", "b/lr", "a/cfi"}
	if !slices.Equal(names(got), want) {
		t.Fatalf("frames %v, want %v", names(got), want)
	}
	// A call through a null function pointer: PC 0 is frame 0, not the
	// bottom of the stack.
	u0 := NewUnwinder(s.Snapshot(nil), fdtest.NewProg(), UnwindStart{Regs: startRegs(0, 0x20001000, fdtest.B+0x41)})
	if got := names(collect(t, u0)); !slices.Equal(got, want) {
		t.Fatalf("null call: frames %v, want %v", got, want)
	}
	u2 := NewUnwinder(s.Snapshot(nil), fdtest.NewProg(), UnwindStart{Regs: startRegs(0xae094710, 0x20001000, fdtest.B+0x41)})
	u2.Next()
	if f := u2.Frame(); !f.NotCode {
		t.Error("frame 0 must be marked NotCode")
	}
	u2.Next()
	if f := u2.Frame(); f.Confidence != Likely {
		t.Errorf("the LR frame's confidence is %s, want likely", f.Confidence)
	}
}

func TestUnwindStackScanWhenCFIMissing(t *testing.T) {
	s := fdtest.NewStack()
	s.Put(0x20001000, 0x12345679)       // odd but not code
	s.Put(0x20001004, fdtest.C+0x21)    // code, but not after a call
	s.Put(0x20001008, fdtest.A+0x21)    // after a BL: the hit
	s.Put(0x20001018, fdtest.Main+0x21) // a's saved LR (CFA 0x2000101c)
	s.Put(0x20001020, 0xFFFFFFFF)       // main's saved LR
	u := NewUnwinder(s.Snapshot(nil), fdtest.NewProg(), UnwindStart{Regs: startRegs(fdtest.NoCFI+0x10, 0x20001000, 0)})
	got := collect(t, u)
	want := []string{"nocfi/fault-pc", "a/stack-scan", "main/cfi"}
	if !slices.Equal(names(got), want) {
		t.Fatalf("frames %v, want %v", names(got), want)
	}
	if got[1].sp != 0x2000100c {
		t.Errorf("scanned frame SP 0x%08x, want just above the return address", got[1].sp)
	}
}

func TestUnwindScanWithIndirectCall(t *testing.T) {
	s := fdtest.NewStack()
	s.Put(0x20001004, fdtest.B+0x41) // after a BLX r3
	s.Put(0x2000100c, 0xFFFFFFFF)
	u := NewUnwinder(s.Snapshot(nil), fdtest.NewProg(), UnwindStart{Regs: startRegs(fdtest.NoCFI+0x10, 0x20001000, 0)})
	got := collect(t, u)
	if len(got) < 2 || got[1].fn != "b" || got[1].how != HowStackScan {
		t.Fatalf("frames %v", names(got))
	}
}

func TestUnwindTerminates(t *testing.T) {
	t.Run("same frame forever", func(t *testing.T) {
		s := fdtest.NewStack()
		u := NewUnwinder(s.Snapshot(nil), fdtest.NewProg(), UnwindStart{Regs: startRegs(fdtest.Loop+0x10, 0x20001000, fdtest.Loop+0x31)})
		got := collect(t, u)
		if len(got) > 3 || u.Err() == nil {
			t.Errorf("frames %v err %v: must stop with an error", names(got), u.Err())
		}
	})
	t.Run("endless recursion hits the depth cap", func(t *testing.T) {
		s := fdtest.NewStack()
		for sp := uint32(0x20000100); sp < 0x20003f00; sp += 8 {
			s.Put(sp+4, fdtest.B+0x21)
		}
		u := NewUnwinder(s.Snapshot(nil), fdtest.NewProg(), UnwindStart{Regs: startRegs(fdtest.B+0x10, 0x20000100, 0)})
		got := collect(t, u)
		if len(got) != 64 || !errors.Is(u.Err(), ErrDepth) {
			t.Errorf("%d frames, err %v: want the depth cap (64)", len(got), u.Err())
		}
	})
	t.Run("cap is configurable", func(t *testing.T) {
		s := fdtest.NewStack()
		for sp := uint32(0x20000100); sp < 0x20003f00; sp += 8 {
			s.Put(sp+4, fdtest.B+0x21)
		}
		u := NewUnwinder(s.Snapshot(nil), fdtest.NewProg(), UnwindStart{Regs: startRegs(fdtest.B+0x10, 0x20000100, 0), MaxDepth: 5})
		if got := collect(t, u); len(got) != 5 {
			t.Errorf("%d frames, want 5", len(got))
		}
	})
	t.Run("SP going down", func(t *testing.T) {
		p := fdtest.NewProg()
		p.Funcs[2].CFA = -16 // b claims its CFA is below SP
		s := fdtest.NewStack()
		u := NewUnwinder(s.Snapshot(nil), p, UnwindStart{Regs: startRegs(fdtest.B+0x10, 0x20001000, 0)})
		got := collect(t, u)
		if len(got) != 1 || !errors.Is(u.Err(), ErrCorrupt) {
			t.Errorf("frames %v err %v", names(got), u.Err())
		}
	})
	t.Run("leaving RAM", func(t *testing.T) {
		s := fdtest.NewStack()
		u := NewUnwinder(s.Snapshot(nil), fdtest.NewProg(), UnwindStart{Regs: startRegs(fdtest.B+0x10, 0x20003ffc, 0)})
		got := collect(t, u)
		if len(got) != 1 || u.Err() == nil {
			t.Errorf("frames %v err %v", names(got), u.Err())
		}
	})
	t.Run("return address is data", func(t *testing.T) {
		s := fdtest.NewStack()
		s.Put(0x20001004, 0x41414141)
		u := NewUnwinder(s.Snapshot(nil), fdtest.NewProg(), UnwindStart{Regs: startRegs(fdtest.B+0x10, 0x20001000, 0)})
		got := collect(t, u)
		var nc *NotCodeError
		if len(got) != 1 || !errors.As(u.Err(), &nc) || nc.Addr != 0x41414141 {
			t.Errorf("frames %v err %v", names(got), u.Err())
		}
	})
	t.Run("pc zero", func(t *testing.T) {
		u := NewUnwinder(fdtest.NewStack().Snapshot(nil), fdtest.NewProg(), UnwindStart{Regs: startRegs(0, 0x20001000, 0)})
		if got := collect(t, u); len(got) != 1 || u.Err() != nil {
			t.Errorf("frames %v err %v", names(got), u.Err())
		}
	})
	t.Run("no image", func(t *testing.T) {
		u := NewUnwinder(fdtest.NewStack().Snapshot(nil), nil, UnwindStart{Regs: startRegs(fdtest.C, 0x20001000, 0)})
		if got := collect(t, u); len(got) != 1 {
			t.Errorf("frames %v", names(got))
		}
	})
}

func TestUnwindCrossesExceptionFrame(t *testing.T) {
	// isr (on MSP) returns with EXC_RETURN 0xFFFFFFFD: the next frame is the
	// thread context stacked on PSP.
	s := fdtest.NewStack()
	s.Put(0x20002004, 0xFFFFFFFD)                                                       // isr's saved LR (CFA 0x20002008)
	s.Put(0x20003000, 1, 2, 3, 4, 12, fdtest.Main+0x21, fdtest.Thread+0x10, 0x01000000) // thread frame on PSP
	s.Put(0x20003024, fdtest.Main+0x21)                                                 // thread_fn's saved LR
	s.Put(0x2000302c, 0xFFFFFFFF)
	u := NewUnwinder(s.Snapshot(nil), fdtest.NewProg(), UnwindStart{
		Regs: startRegs(fdtest.ISR+0x10, 0x20002000, 0), PSP: 0x20003000, HavePSP: true,
	})
	got := collect(t, u)
	want := []string{"isr/fault-pc", "thread_fn/exception-frame", "main/cfi"}
	if !slices.Equal(names(got), want) {
		t.Fatalf("frames %v, want %v (err %v)", names(got), want, u.Err())
	}
	if got[1].sp != 0x20003020 {
		t.Errorf("thread SP 0x%08x, want 0x20003020", got[1].sp)
	}
}

func TestUnwindFollowsAnInterruptNestedOverAnotherHandlersEntry(t *testing.T) {
	// An ISR of higher priority preempted another handler (a tick) before
	// its first instruction: the ISR returns with EXC_RETURN 0xFFFFFFF1 to
	// a frame on MSP whose PC is the tick's entry and whose LR is the
	// tick's own EXC_RETURN, 0xFFFFFFFD, back to the thread on PSP. The
	// tick is in the chain (QEMU's 8-bit NVIC priorities make this real
	// when firmware sets an ISR to 0xe0 and the kernel to 0xff); the
	// thread follows it.
	const tick = 0x08000900
	prog := fdtest.NewProg()
	prog.Funcs = append(prog.Funcs, fdtest.Func{Name: "tick", Start: tick, End: tick + 0x40, CFA: 0, LROff: 0})
	s := fdtest.NewStack()
	s.Put(0x20002004, 0xFFFFFFF1)                                                       // isr's saved LR (CFA 0x20002008)
	s.Put(0x20002008, 4, 0x20, 0x20, 5, 12, 0xFFFFFFFD, tick, 0x0100000F)               // tick's frame on MSP, at its entry
	s.Put(0x20003000, 1, 2, 3, 4, 12, fdtest.Main+0x21, fdtest.Thread+0x10, 0x01000000) // thread frame on PSP
	s.Put(0x20003024, fdtest.Main+0x21)                                                 // thread_fn's saved LR
	s.Put(0x2000302c, 0xFFFFFFFF)
	u := NewUnwinder(s.Snapshot(nil), prog, UnwindStart{
		Regs: startRegs(fdtest.ISR+0x10, 0x20002000, 0), PSP: 0x20003000, HavePSP: true,
	})
	got := collect(t, u)
	want := []string{"isr/fault-pc", "tick/exception-frame", "thread_fn/exception-frame", "main/cfi"}
	if !slices.Equal(names(got), want) {
		t.Fatalf("frames %v, want %v (err %v)", names(got), want, u.Err())
	}
	if got[1].pc != tick || got[1].sp != 0x20002028 {
		t.Errorf("tick frame pc 0x%08x sp 0x%08x, want 0x%08x and 0x20002028", got[1].pc, got[1].sp, tick)
	}
}

func TestUnwindCrossesIntoANullCallFromAFaultHandlerFoundMidway(t *testing.T) {
	// A thread called a null function pointer (BLX to 0: INVSTATE, so the
	// stacked xPSR has its T bit clear and the stacked PC is 0), and the
	// UsageFault handler was found running (Zephyr's, printing its dump),
	// not at its entry: the unwind leaves the handler through its saved
	// EXC_RETURN and must go on to the null call and, through the stacked
	// LR, the thread that made it. The same frame under an interrupt's
	// handler cannot be real: it is left to the stack scan, as before.
	frames := func(ipsr, xpsr uint32) []string {
		s := fdtest.NewStack()
		s.Put(0x20002004, 0xFFFFFFFD)                                  // handler's saved LR (CFA 0x20002008)
		s.Put(0x20003000, 1, 2, 3, 4, 12, fdtest.Thread+0x11, 0, xpsr) // thread frame on PSP
		s.Put(0x20003024, fdtest.Main+0x21)                            // thread_fn's saved LR
		s.Put(0x2000302c, 0xFFFFFFFF)
		u := NewUnwinder(s.Snapshot(nil), fdtest.NewProg(), UnwindStart{
			Regs: startRegs(fdtest.ISR+0x10, 0x20002000, 0), PSP: 0x20003000, HavePSP: true, IPSR: ipsr,
		})
		return names(collect(t, u))
	}
	for _, tt := range []struct {
		name       string
		ipsr, xpsr uint32
		want       []string
	}{
		{"usage fault", 6, 0x60000000, []string{"isr/fault-pc", "?/exception-frame", "thread_fn/lr", "main/cfi"}},
		{"hard fault", 3, 0x60000000, []string{"isr/fault-pc", "?/exception-frame", "thread_fn/lr", "main/cfi"}},
		{"interrupt", 16 + 5, 0x60000000, []string{"isr/fault-pc", "main/stack-scan"}},
		// A reserved exception number was never stacked: words read
		// from the wrong place (a thread resumed from a shifted SP).
		{"reserved IPSR", 6, 0x00000008, []string{"isr/fault-pc", "main/stack-scan"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := frames(tt.ipsr, tt.xpsr); !slices.Equal(got, tt.want) {
				t.Errorf("frames %v, want %v", got, tt.want)
			}
		})
	}
}

func TestUnwindPCInTheVectorTableIsNotCode(t *testing.T) {
	// The vector table sits in an executable section (the image calls it
	// code), but its 16 system words are addresses: a PC among them (a
	// small integer called as a function, a task resumed from a zeroed
	// context) is a wild jump, stepped from LR like any other, not a
	// function named after the table. Past them (the IRQ entries) the
	// image's own answer stands.
	const vt = 0x08000000
	prog := fdtest.NewProg()
	prog.Funcs = append(prog.Funcs, fdtest.Func{Name: "g_pfnVectors", Start: vt, End: vt + 0x100, NoCFI: true})
	s := fdtest.NewStack()
	s.Put(0x20001004, fdtest.A+0x21)
	s.Put(0x20001014, 0xFFFFFFFF)
	for _, tt := range []struct {
		pc   uint32
		want string
	}{
		{vt + 0x2, "?/fault-pc"},
		{vt + 0x3c, "?/fault-pc"},
		{vt + 0x40, "g_pfnVectors/fault-pc"},
	} {
		u := NewUnwinder(s.Snapshot(nil), prog, UnwindStart{
			Regs: startRegs(tt.pc, 0x20001000, fdtest.B+0x41), VectorTable: vt, HaveVectorTable: true,
		})
		got := names(collect(t, u))
		if len(got) == 0 || got[0] != tt.want {
			t.Errorf("PC 0x%08x: frames %v, want %s first", tt.pc, got, tt.want)
			continue
		}
		if tt.want == "?/fault-pc" && !slices.Equal(got, []string{"?/fault-pc", "b/lr", "a/cfi"}) {
			t.Errorf("PC 0x%08x: frames %v, want the caller from LR", tt.pc, got)
		}
	}
}
