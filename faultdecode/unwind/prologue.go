package unwind

import (
	"errors"
	"fmt"

	"github.com/faultline-dev/faultline/faultdecode/fault"
)

// errHasCFI says the frame has CFI: prologue analysis is only for code
// without it.
var errHasCFI = errors.New("the frame has CFI")

// prologueStep finds the caller of a frame whose code has no CFI (built
// without -g, assembly, a vendor library) by analysing the function's
// prologue from its symbol's start to the PC (fault.AnalyzePrologue), the
// way gdb does for such code; a function that keeps r7 as its frame
// pointer is stepped from r7, as gdb does. The result is at best Likely, and passes
// the checks a CFI step does (SP grows, the return address follows a
// call); any failure, a bottom included, leaves the frame to the stack
// scan.
func (u *Unwinder) prologueStep(f Frame) (*Frame, error) {
	if _, err := u.prog.FrameContext(uint64(f.Lookup)); err == nil {
		return nil, errHasCFI
	}
	if len(f.Funcs) == 0 || f.Funcs[len(f.Funcs)-1].Entry == 0 {
		return nil, fmt.Errorf("no function symbol at 0x%08x", f.Lookup)
	}
	fn := uint32(f.Funcs[len(f.Funcs)-1].Entry) &^ 1
	sp, ok := f.Regs.Get(fault.RegSP)
	if !ok {
		return nil, errors.New("SP unknown")
	}
	inFunc := true
	if f.Lookup != f.PC {
		at := u.prog.Frames(uint64(f.PC))
		inFunc = len(at) > 0 && uint32(at[len(at)-1].Entry)&^1 == fn
	}
	rule, err := fault.AnalyzePrologue(u.prog, fn, f.PC, inFunc)
	if err != nil {
		return nil, err
	}
	// The frame pointer holds wherever SP went (a VLA, alloca, code the
	// analysis did not walk), so it comes first, as in gdb; SP's rule is
	// the fallback where r7 is unknown or gives no caller.
	var cfas []uint32
	if r7, ok := f.Regs.Get(fault.RegFP); rule.FP && ok {
		cfas = append(cfas, r7+rule.FPOffset)
	}
	if !rule.SPLost && (len(cfas) == 0 || cfas[0] != sp+rule.CFA) {
		cfas = append(cfas, sp+rule.CFA)
	}
	if len(cfas) == 0 {
		return nil, errors.New("SP moved by a run-time amount and r7 is unknown")
	}
	var firstErr error
	for _, cfa := range cfas {
		nf, err := u.callerAt(f, rule, cfa)
		if err == nil {
			return nf, nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	return nil, firstErr
}

// callerAt builds f's caller from a prologue rule and the CFA it gives.
func (u *Unwinder) callerAt(f Frame, rule fault.FrameRule, cfa uint32) (*Frame, error) {
	caller := f.Regs
	if err := u.restoreSaved(&caller, rule, cfa); err != nil {
		return nil, err
	}
	if _, saved := rule.SavedAt(fault.RegLR); !saved && f.Lookup != f.PC && f.Exception == nil {
		// The frame made a call, which overwrote LR, and never saved
		// it: LR names this frame again, not its caller.
		return nil, errors.New("LR not saved by a frame that made a call")
	}
	ret, ok := caller.Get(fault.RegLR)
	if !ok {
		return nil, errors.New("return address unknown")
	}
	return u.toCaller(f, caller, cfa, ret, HowPrologue, minConf(f.Confidence, Likely))
}
