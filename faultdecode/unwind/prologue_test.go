package unwind

import (
	"encoding/binary"
	"slices"
	"testing"

	"github.com/faultline-dev/faultline/faultdecode/fault"
	"github.com/faultline-dev/faultline/faultdecode/internal/fdtest"
)

// codeProg is the fake image with real instructions at the start of nocfi
// (a function without CFI); the rest of its code is the fake's.
type codeProg struct {
	*fdtest.Prog
	code []uint16 // halfwords from fdtest.NoCFI on
}

func (p codeProg) ReadMemory(buf []byte, addr uint64) (int, error) {
	n, err := p.Prog.ReadMemory(buf, addr)
	for i := 0; i+1 < n; i += 2 {
		if k := (uint32(addr) + uint32(i) - fdtest.NoCFI) / 2; uint32(addr)+uint32(i) >= fdtest.NoCFI && k < uint32(len(p.code)) {
			binary.LittleEndian.PutUint16(buf[i:], p.code[k])
		}
	}
	return n, err
}

// A function without CFI between two with CFI: its prologue (push {r4, lr};
// sub sp, #8) says where its return address is, past a stale return
// address a stack scan would take.
func TestUnwindStepsThroughCodeWithoutCFIByItsPrologue(t *testing.T) {
	tests := []struct {
		name string
		code []uint16
		want []string
		sp   uint32 // a's SP
	}{
		{"push and sub sp", []uint16{0xb510, 0xb082}, []string{"c/fault-pc", "nocfi/cfi", "a/prologue", "main/cfi"}, 0x20001010},
		{"push.w and sub.w sp", []uint16{0xe92d, 0x4010, 0xf1ad, 0x0d08}, []string{"c/fault-pc", "nocfi/cfi", "a/prologue", "main/cfi"}, 0x20001010},
		{"SP from a register: the scan as before", []uint16{0xb510, 0x46bd}, []string{"c/fault-pc", "nocfi/cfi", "b/stack-scan", "a/stack-scan", "main/cfi"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := fdtest.NewStack()
			s.Put(0x20001000, fdtest.B+0x21)    // stale: after a BL in b
			s.Put(0x20001008, 0x44444444)       // nocfi's saved r4
			s.Put(0x2000100c, fdtest.A+0x21)    // nocfi's saved LR
			s.Put(0x2000101c, fdtest.Main+0x21) // a's saved LR
			s.Put(0x20001024, 0xFFFFFFFF)       // main's: the bottom
			p := codeProg{fdtest.NewProg(), tt.code}
			u := NewUnwinder(s.Snapshot(nil), p, UnwindStart{Regs: startRegs(fdtest.C+0x10, 0x20001000, fdtest.NoCFI+0x21)})
			got := collect(t, u)
			if !slices.Equal(names(got), tt.want) {
				t.Fatalf("frames %v, want %v", names(got), tt.want)
			}
			if tt.sp == 0 {
				return
			}
			if got[2].sp != tt.sp {
				t.Errorf("a's SP 0x%08x, want 0x%08x (nocfi's CFA)", got[2].sp, tt.sp)
			}
			u = NewUnwinder(s.Snapshot(nil), p, UnwindStart{Regs: startRegs(fdtest.C+0x10, 0x20001000, fdtest.NoCFI+0x21)})
			for range 3 {
				u.Next()
			}
			f := u.Frame()
			if r4, _ := f.Regs.Get(4); r4 != 0x44444444 || f.Confidence != Likely {
				t.Errorf("a's r4 0x%08x, confidence %s; want nocfi's saved 0x44444444, likely", r4, f.Confidence)
			}
			if lr, ok := f.Regs.Get(fault.RegLR); !ok || lr != fdtest.A+0x21 {
				t.Errorf("a's LR 0x%08x (%v), want the saved return address", lr, ok)
			}
		})
	}
}

// A function without CFI that keeps r7 as its frame pointer and moved SP
// by a run-time amount (a VLA: push {r7, lr}; mov r7, sp; sub.w sp, sp,
// r3) is stepped from r7; SP, now below a stale return address, says
// nothing. Where r7 gives no caller, SP's rule is the fallback.
func TestUnwindStepsAFramePointerFrameFromR7(t *testing.T) {
	vla := []uint16{0xb580, 0x466f, 0xebad, 0x0d03}
	// push {r7, lr}; mov r7, sp; b.n to the next instruction: the walk
	// stops at the branch, so r7's rule comes first.
	noVLA := []uint16{0xb580, 0x466f, 0xe7ff}
	tests := []struct {
		name string
		code []uint16
		r7   uint32
		want []string
	}{
		{"VLA: the CFA from r7", vla, 0x20001008, []string{"c/fault-pc", "nocfi/cfi", "a/prologue", "main/cfi"}},
		{"VLA, r7 gives no caller: the scan", vla, 0x10, []string{"c/fault-pc", "nocfi/cfi", "b/stack-scan", "a/stack-scan", "main/cfi"}},
		{"a branch before PC, r7 wrong: SP's rule", noVLA, 0x10, []string{"c/fault-pc", "nocfi/cfi", "a/prologue", "main/cfi"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := fdtest.NewStack()
			s.Put(0x20001000, fdtest.B+0x21) // stale: after a BL in b, in the VLA
			s.Put(0x20001008, 0x77777777)    // nocfi's saved r7
			s.Put(0x2000100c, fdtest.A+0x21) // nocfi's saved LR
			s.Put(0x2000101c, fdtest.Main+0x21)
			s.Put(0x20001024, 0xFFFFFFFF)
			p := codeProg{fdtest.NewProg(), tt.code}
			sp := uint32(0x20001000)
			if len(tt.code) == len(noVLA) {
				sp = 0x20001008 // SP right below the push
			}
			r := startRegs(fdtest.C+0x10, sp, fdtest.NoCFI+0x21)
			r.Set(fault.RegFP, tt.r7)
			got := collect(t, NewUnwinder(s.Snapshot(nil), p, UnwindStart{Regs: r}))
			if !slices.Equal(names(got), tt.want) {
				t.Fatalf("frames %v, want %v", names(got), tt.want)
			}
			if tt.want[2] == "a/prologue" && got[2].sp != 0x20001010 {
				t.Errorf("a's SP 0x%08x, want 0x20001010 (nocfi's CFA)", got[2].sp)
			}
		})
	}
}

// A first frame without CFI whose caller has CFI is stepped through LR,
// but a leaf may have pushed registers first (newlib's strlen for
// ARMv7E-M: strd r4, r5, [sp, #-8]!): the caller's SP is above them, and
// they are the caller's r4 and r5. Taking the leaf's SP for the caller's
// made the caller's CFI read a wrong slot for its return address.
func TestUnwindStepsOutOfALeafThatPushed(t *testing.T) {
	s := fdtest.NewStack()
	s.Put(0x20001000, 0x44444444, 0x55555555) // the leaf's strd: a's r4, r5
	s.Put(0x2000100c, fdtest.B+0x21)          // where a's LR would be if a's SP were the leaf's
	s.Put(0x20001014, fdtest.Main+0x21)       // a's saved LR (a: CFA = SP+16)
	s.Put(0x2000101c, 0xFFFFFFFF)             // main's: the bottom
	// pld [r0]; strd r4, r5, [sp, #-8]!; bic.w r1, r0, #7
	p := codeProg{fdtest.NewProg(), []uint16{0xf890, 0xf000, 0xe96d, 0x4502, 0xf020, 0x0107}}
	u := NewUnwinder(s.Snapshot(nil), p, UnwindStart{Regs: startRegs(fdtest.NoCFI+0x8, 0x20001000, fdtest.A+0x21)})
	got := collect(t, u)
	if want := []string{"nocfi/fault-pc", "a/lr", "main/cfi"}; !slices.Equal(names(got), want) {
		t.Fatalf("frames %v, want %v", names(got), want)
	}
	if got[1].sp != 0x20001008 {
		t.Errorf("a's SP 0x%08x, want 0x20001008 (above the leaf's strd)", got[1].sp)
	}
	u = NewUnwinder(s.Snapshot(nil), p, UnwindStart{Regs: startRegs(fdtest.NoCFI+0x8, 0x20001000, fdtest.A+0x21)})
	u.Next()
	u.Next()
	if r5, _ := u.Frame().Regs.Get(5); r5 != 0x55555555 {
		t.Errorf("a's r5 0x%08x, want the leaf's saved 0x55555555", r5)
	}
}
