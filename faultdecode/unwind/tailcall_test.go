package unwind

import (
	"slices"
	"testing"

	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/faultdecode/internal/fdtest"
)

// tailProg adds DWARF call-site information to the fake image: main calls
// a (the call site at main's return address fdtest.Main+0x20 names a); a's frame
// is gone because a tail-called b (and maybe more).
type tailProg struct {
	*fdtest.Prog
	sites map[uint64]elfsym.CallSite   // by return address
	tails map[uint64][]elfsym.CallSite // by caller entry
}

func (p *tailProg) CallSiteAt(ret uint64) (elfsym.CallSite, bool) {
	s, ok := p.sites[ret&^1]
	return s, ok
}

func (p *tailProg) TailCalls(entry uint64) []elfsym.CallSite { return p.tails[entry] }

func (p *tailProg) FuncEntry(pc uint64) (uint64, string, bool) {
	f, ok := p.Fn(pc)
	return uint64(f.Start), f.Name, ok
}

func TestUnwindRestoresTailCalledFrames(t *testing.T) {
	tail := func(from, to uint32, at uint32) elfsym.CallSite {
		return elfsym.CallSite{ReturnPC: uint64(at), Caller: uint64(from), Target: uint64(to), Tail: true}
	}
	mainCallsA := map[uint64]elfsym.CallSite{fdtest.Main + 0x20: {ReturnPC: fdtest.Main + 0x20, Caller: fdtest.Main, Target: fdtest.A}}
	tests := []struct {
		name  string
		sites map[uint64]elfsym.CallSite
		tails map[uint64][]elfsym.CallSite
		code  map[uint32]uint16 // halfwords over the fake code
		want  []string
	}{
		{"one tail call", mainCallsA,
			map[uint64][]elfsym.CallSite{fdtest.A: {tail(fdtest.A, fdtest.B, fdtest.A+0x30)}}, nil,
			[]string{"b/fault-pc", "a/tail-call", "main/cfi"}},
		{"a chain of two", mainCallsA,
			map[uint64][]elfsym.CallSite{fdtest.A: {tail(fdtest.A, fdtest.C, fdtest.A+0x30)}, fdtest.C: {tail(fdtest.C, fdtest.B, fdtest.C+0x30)}}, nil,
			[]string{"b/fault-pc", "c/tail-call", "a/tail-call", "main/cfi"}},
		{"two chains: no guess", mainCallsA,
			map[uint64][]elfsym.CallSite{fdtest.A: {tail(fdtest.A, fdtest.B, fdtest.A+0x30), tail(fdtest.A, fdtest.C, fdtest.A+0x40)}, fdtest.C: {tail(fdtest.C, fdtest.B, fdtest.C+0x30)}}, nil,
			[]string{"b/fault-pc", "main/cfi"}},
		{"no chain reaches the callee", mainCallsA,
			map[uint64][]elfsym.CallSite{fdtest.A: {tail(fdtest.A, fdtest.C, fdtest.A+0x30)}}, nil,
			[]string{"b/fault-pc", "main/cfi"}},
		{"a cycle is not followed forever", mainCallsA,
			map[uint64][]elfsym.CallSite{fdtest.A: {tail(fdtest.A, fdtest.C, fdtest.A+0x30)}, fdtest.C: {tail(fdtest.C, fdtest.A, fdtest.C+0x30)}}, nil,
			[]string{"b/fault-pc", "main/cfi"}},
		{"the call site names the callee: nothing to add",
			map[uint64]elfsym.CallSite{fdtest.Main + 0x20: {ReturnPC: fdtest.Main + 0x20, Caller: fdtest.Main, Target: fdtest.B}},
			map[uint64][]elfsym.CallSite{fdtest.A: {tail(fdtest.A, fdtest.B, fdtest.A+0x30)}}, nil,
			[]string{"b/fault-pc", "main/cfi"}},
		{"no call site: the BL names the callee", nil,
			map[uint64][]elfsym.CallSite{fdtest.A: {tail(fdtest.A, fdtest.B, fdtest.A+0x30)}}, nil,
			[]string{"b/fault-pc", "a/tail-call", "main/cfi"}},
		{"no call site: a long call's blx names the callee through its literal", nil,
			map[uint64][]elfsym.CallSite{fdtest.A: {tail(fdtest.A, fdtest.B, fdtest.A+0x30)}},
			// main: ldr r3, [pc, #32]; blx r3; the literal at main+0x40 is a|1.
			map[uint32]uint16{fdtest.Main + 0x1c: 0x4B08, fdtest.Main + 0x1e: 0x4798, fdtest.Main + 0x40: fdtest.A&0xFFFF | 1, fdtest.Main + 0x42: fdtest.A >> 16},
			[]string{"b/fault-pc", "a/tail-call", "main/cfi"}},
		{"a tail call through a register (DW_OP_reg1 target) loaded from a literal", mainCallsA,
			map[uint64][]elfsym.CallSite{fdtest.A: {{ReturnPC: fdtest.A + 0x30, Caller: fdtest.A, Tail: true}}},
			// a: ldr r1, [pc, #0]; bx r1; the literal after it is b|1.
			map[uint32]uint16{fdtest.A + 0x2c: 0x4900, fdtest.A + 0x2e: 0x4708, fdtest.A + 0x30: fdtest.B&0xFFFF | 1, fdtest.A + 0x32: fdtest.B >> 16},
			[]string{"b/fault-pc", "a/tail-call", "main/cfi"}},
		{"a tail call through a register loaded from memory: unknown", mainCallsA,
			map[uint64][]elfsym.CallSite{fdtest.A: {{ReturnPC: fdtest.A + 0x30, Caller: fdtest.A, Tail: true}}},
			// a: ldr r1, [r0, #0]; bx r1.
			map[uint32]uint16{fdtest.A + 0x2c: 0x6801, fdtest.A + 0x2e: 0x4708},
			[]string{"b/fault-pc", "main/cfi"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &tailProg{Prog: fdtest.NewProg(), sites: tt.sites, tails: tt.tails}
			p.Code = tt.code
			// main's BL at fdtest.Main+0x1c targets a: hw1 0xF000, hw2 0xF800 + imm.
			p.BLTargets = map[uint32]uint32{fdtest.Main + 0x20: fdtest.A}
			s := fdtest.NewStack()
			s.Put(0x20001004, fdtest.Main+0x21) // b's saved LR: into main
			s.Put(0x2000100c, 0xFFFFFFFF)       // main's saved LR
			u := NewUnwinder(s.Snapshot(nil), p, UnwindStart{Regs: startRegs(fdtest.B+0x10, 0x20001000, 0)})
			got := names(collect(t, u))
			if !slices.Equal(got, tt.want) {
				t.Fatalf("frames %v, want %v", got, tt.want)
			}
		})
	}
}
