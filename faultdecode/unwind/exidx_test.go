package unwind

import (
	"fmt"
	"slices"
	"testing"

	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/faultdecode/fault"
	"github.com/faultline-dev/faultline/faultdecode/internal/fdtest"
)

// exidxProg is codeProg with an EHABI entry for nocfi, decoded from ops
// by elfsym's decoder (nil ops: no entry).
type exidxProg struct {
	codeProg
	ops []byte
}

func (p exidxProg) ExidxRule(pc uint64) (elfsym.ExidxRule, error) {
	if p.ops == nil || pc < fdtest.NoCFI || pc >= fdtest.NoCFI+0x100 {
		return elfsym.ExidxRule{}, fmt.Errorf("%#x: %w", pc, elfsym.ErrNoExidx)
	}
	r, err := elfsym.DecodeExidxOps(p.ops)
	r.Start = fdtest.NoCFI
	return r, err
}

// A caller frame without CFI whose EHABI entry gives the rule: the entry
// is exact at a call, so it is used even where the prologue cannot be
// followed (SP set from a register), and a stack scan would have taken
// the stale return address into b.
func TestUnwindStepsACallerWithoutCFIByItsEHABIEntry(t *testing.T) {
	pushSub := []uint16{0xb510, 0xb082}   // push {r4, lr}; sub sp, #8
	spFromReg := []uint16{0xb510, 0x46bd} // push {r4, lr}; mov sp, r7
	fpFrame := []uint16{0xb580, 0x466f}   // push {r7, lr}; mov r7, sp
	vspAddPop := []byte{0x01, 0xa8}       // vsp += 8; pop {r4, r14}
	fromR7 := []byte{0x97, 0x84, 0x08}    // vsp = r7; pop {r7, r14}
	refused := []byte{0x80, 0x00}         // refuse to unwind
	tests := []struct {
		name string
		code []uint16
		ops  []byte
		r7   uint32
		want []string
	}{
		{"the prologue cannot be followed: the entry", spFromReg, vspAddPop, 0, []string{"c/fault-pc", "nocfi/cfi", "a/exidx", "main/cfi"}},
		{"the prologue agrees: the entry", pushSub, vspAddPop, 0, []string{"c/fault-pc", "nocfi/cfi", "a/exidx", "main/cfi"}},
		{"vsp from r7", fpFrame, fromR7, 0x20001008, []string{"c/fault-pc", "nocfi/cfi", "a/exidx", "main/cfi"}},
		{"a refused entry: prologue analysis", pushSub, refused, 0, []string{"c/fault-pc", "nocfi/cfi", "a/prologue", "main/cfi"}},
		{"no entry, no prologue: the scan as before", spFromReg, nil, 0, []string{"c/fault-pc", "nocfi/cfi", "b/stack-scan", "a/stack-scan", "main/cfi"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := fdtest.NewStack()
			s.Put(0x20001000, fdtest.B+0x21)    // stale: after a BL in b
			s.Put(0x20001008, 0x44444444)       // nocfi's saved r4 (or r7)
			s.Put(0x2000100c, fdtest.A+0x21)    // nocfi's saved LR
			s.Put(0x2000101c, fdtest.Main+0x21) // a's saved LR
			s.Put(0x20001024, 0xFFFFFFFF)       // main's: the bottom
			p := exidxProg{codeProg{fdtest.NewProg(), tt.code}, tt.ops}
			r := startRegs(fdtest.C+0x10, 0x20001000, fdtest.NoCFI+0x21)
			r.Set(fault.RegFP, tt.r7)
			u := NewUnwinder(s.Snapshot(nil), p, UnwindStart{Regs: r})
			var got []Frame
			for u.Next() {
				got = append(got, u.Frame())
			}
			var ns []string
			for _, f := range got {
				ns = append(ns, f.Funcs[len(f.Funcs)-1].Function+"/"+f.How)
			}
			if !slices.Equal(ns, tt.want) {
				t.Fatalf("frames %v, want %v", ns, tt.want)
			}
			if tt.want[2] != "a/exidx" {
				return
			}
			a := got[2]
			reg := 4
			if tt.r7 != 0 {
				reg = fault.RegFP
			}
			if a.SP != 0x20001010 || a.Confidence != Certain {
				t.Errorf("a: SP 0x%08x, %s; want 0x20001010 (nocfi's CFA), certain (a call site)", a.SP, a.Confidence)
			}
			if v, _ := a.Regs.Get(reg); v != 0x44444444 {
				t.Errorf("a's r%d 0x%08x, want nocfi's saved 0x44444444", reg, v)
			}
		})
	}
}

// The faulting frame may be stopped inside its prologue, where the entry
// (which describes the finished prologue) is wrong: it is used only where
// prologue analysis puts the caller's SP at the same place, and then only
// as likely.
func TestUnwindUsesEHABIInTheFaultingFrameOnlyPastItsPrologue(t *testing.T) {
	code := []uint16{0xb510, 0xb082} // push {r4, lr}; sub sp, #8
	ops := []byte{0x01, 0xa8}        // vsp += 8; pop {r4, r14}
	tests := []struct {
		name     string
		pc, sp   uint32
		want     []string
		wantConf string
	}{
		{"in the body: the entry", fdtest.NoCFI + 0x8, 0x20001000, []string{"nocfi/fault-pc", "a/exidx", "main/cfi"}, Likely},
		{"between push and sub: the prologue", fdtest.NoCFI + 0x2, 0x20001008, []string{"nocfi/fault-pc", "a/prologue", "main/cfi"}, Likely},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := fdtest.NewStack()
			s.Put(0x20001008, 0x44444444)       // nocfi's saved r4
			s.Put(0x2000100c, fdtest.A+0x21)    // nocfi's saved LR
			s.Put(0x20001014, fdtest.B+0x21)    // what the entry would read from SP+16 mid-prologue
			s.Put(0x2000101c, fdtest.Main+0x21) // a's saved LR
			s.Put(0x20001024, 0xFFFFFFFF)       // main's: the bottom
			p := exidxProg{codeProg{fdtest.NewProg(), code}, ops}
			// LR holds no return address: the leaf rule does not apply.
			u := NewUnwinder(s.Snapshot(nil), p, UnwindStart{Regs: startRegs(tt.pc, tt.sp, 0xFFFFFFFF)})
			got := collect(t, u)
			if !slices.Equal(names(got), tt.want) {
				t.Fatalf("frames %v, want %v", names(got), tt.want)
			}
			if got[1].sp != 0x20001010 {
				t.Errorf("a's SP 0x%08x, want 0x20001010", got[1].sp)
			}
			u = NewUnwinder(s.Snapshot(nil), p, UnwindStart{Regs: startRegs(tt.pc, tt.sp, 0xFFFFFFFF)})
			u.Next()
			u.Next()
			if c := u.Frame().Confidence; c != tt.wantConf {
				t.Errorf("a's confidence %s, want %s", c, tt.wantConf)
			}
		})
	}
}
