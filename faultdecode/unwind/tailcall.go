package unwind

import (
	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/faultdecode/fault"
)

// callSites is what tail-call recovery needs from the image: DWARF
// call-site information. *elfsym.Image implements it; a Program without it
// simply gets no tail-call frames.
type callSites interface {
	CallSiteAt(returnPC uint64) (elfsym.CallSite, bool)
	TailCalls(entry uint64) []elfsym.CallSite
	FuncEntry(pc uint64) (entry uint64, name string, ok bool)
}

// Bounds of the tail-call search: chains are short in practice, and a
// search that finds a second path stops, because then nothing is certain.
const (
	maxTailDepth = 8
	maxTailPaths = 2
)

// tailCalls returns the frames a chain of tail calls removed between
// callee and its caller, innermost first, the way gdb restores them: the
// caller's call site names the function it called; when that is not the
// callee's function and exactly one chain of tail calls leads from it to
// the callee, the functions on that chain are frames too. Nothing is
// returned when the chain is not unique: a guess here would put a
// function in the backtrace that may never have run.
func (u *Unwinder) tailCalls(callee, caller Frame) []Frame {
	cs, ok := u.prog.(callSites)
	if !ok || callee.NotCode {
		return nil
	}
	target, base := uint64(0), caller
	switch {
	case caller.Exception != nil:
		// The callee returned through an exception: the vector table
		// names the handler the core entered, which may have
		// tail-called the callee (an ISR ending in `return work();`).
		// The restored frames sit on the handler's stack.
		target, base = uint64(u.handlerOf(u.ipsr)), callee
	case caller.Lookup == caller.PC:
		return nil
	default:
		if site, ok := cs.CallSiteAt(uint64(caller.PC)); ok && !site.Tail {
			target = site.Target
		}
		if target == 0 {
			// Not every compiler describes plain calls (clang 14
			// describes only tail calls on ARM): the call names its
			// callee itself.
			target = uint64(u.calleeOf(caller))
		}
	}
	if target == 0 {
		return nil
	}
	entry, _, ok := cs.FuncEntry(uint64(callee.Lookup))
	if !ok || entry == target {
		return nil
	}
	var paths [][]elfsym.CallSite
	var path []elfsym.CallSite
	onPath := map[uint64]bool{}
	var walk func(fn uint64)
	walk = func(fn uint64) {
		if len(paths) >= maxTailPaths || len(path) >= maxTailDepth || onPath[fn] {
			return
		}
		onPath[fn] = true
		defer delete(onPath, fn)
		seen := map[uint64]bool{} // several sites to one target are one path
		for _, tc := range cs.TailCalls(fn) {
			if tc.Target == 0 {
				// A tail call through a register (clang's DW_AT_call_target
				// DW_OP_regN) is followed when the code loaded it with a
				// constant address.
				tc.Target = uint64(fault.RegTarget(u.prog, uint32(fn), uint32(tc.ReturnPC)))
			}
			if tc.Target == 0 || seen[tc.Target] {
				continue
			}
			seen[tc.Target] = true
			path = append(path, tc)
			if tc.Target == entry {
				paths = append(paths, append([]elfsym.CallSite(nil), path...))
			} else {
				walk(tc.Target)
			}
			path = path[:len(path)-1]
		}
	}
	walk(target)
	if len(paths) != 1 {
		return nil
	}
	chain := paths[0]
	out := make([]Frame, 0, len(chain))
	for i := len(chain) - 1; i >= 0; i-- {
		r := base.Regs
		pc := uint32(chain[i].ReturnPC) &^ 1
		r.Set(fault.RegPC, pc)
		f := u.makeFrame(r, true, HowTailCall, minConf(base.Confidence, Likely))
		out = append(out, f)
	}
	return out
}

// calleeOf is the function the call before frame f's return address went
// to, read from the code: a direct BL's target, or for a BLX Rm the address
// the caller loaded Rm with (-mlong-calls: ldr r3, =f; blx r3); 0 when the
// code does not say (a function pointer, not a call).
func (u *Unwinder) calleeOf(f Frame) uint32 {
	if c := fault.BLCallee(u.prog, f.PC); c != 0 {
		return c
	}
	cs, ok := u.prog.(callSites)
	if !ok {
		return 0
	}
	fn, _, ok := cs.FuncEntry(uint64(f.PC - 2))
	if !ok {
		return 0
	}
	return fault.RegTarget(u.prog, uint32(fn), f.PC)
}

// handlerOf is the handler entry the image's vector table gives for
// exception n, 0 when unknown (thread mode, no table, not code).
func (u *Unwinder) handlerOf(n uint32) uint32 {
	if !u.start.HaveVectorTable {
		return 0
	}
	return HandlerEntry(u.prog, u.start.VectorTable, n)
}

// HandlerEntry is the handler entry (Thumb bit clear) the vector table at
// vt in the image gives for exception n, 0 when unknown (thread mode, not
// code).
func HandlerEntry(prog Program, vt, n uint32) uint32 {
	if n < 2 || prog == nil {
		return 0
	}
	v, err := fault.Read32(prog, uint64(vt)+4*uint64(n))
	if err != nil || v&1 == 0 || !prog.IsCode(uint64(v&^1)) {
		return 0
	}
	return v &^ 1
}
