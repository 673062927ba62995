package unwind

import (
	"errors"
	"fmt"

	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/faultdecode/fault"
)

// HowExidx is a frame found by the ARM EHABI unwind index (.ARM.exidx):
// code without DWARF CFI built with exceptions or -funwind-tables.
const HowExidx = "exidx"

// ExidxProgram is a Program that can also read the EHABI unwind index
// (*elfsym.Image can); a Program without it is unwound without.
type ExidxProgram interface {
	ExidxRule(pc uint64) (elfsym.ExidxRule, error)
}

// exidxRule returns the EHABI rule at pc, if the program has one.
func (u *Unwinder) exidxRule(pc uint32) (elfsym.ExidxRule, error) {
	xp, ok := u.prog.(ExidxProgram)
	if !ok {
		return elfsym.ExidxRule{}, fmt.Errorf("0x%08x: %w", pc, elfsym.ErrNoExidx)
	}
	return xp.ExidxRule(uint64(pc))
}

// exidxStep finds the caller of a frame without CFI from its function's
// EHABI entry. The entry describes the frame once the prologue has run and
// until the epilogue starts: exact at a call (a caller frame, f.Lookup is
// the call), as gdb relies on. A frame stopped anywhere else (the faulting
// frame, a frame an exception interrupted) may be inside its prologue or
// epilogue, so there the entry is used only when prologue analysis (the
// instructions from the function's start to PC) puts the caller's SP
// where the entry does; gdb does not use the entry there at all.
func (u *Unwinder) exidxStep(f Frame) (*Frame, error) {
	rule, err := u.exidxRule(f.Lookup)
	if err != nil {
		return nil, err
	}
	base, ok := f.Regs.Get(rule.CFAReg)
	if rule.CFAReg > 15 || !ok {
		return nil, fmt.Errorf("exidx: CFA register r%d unknown at 0x%08x", rule.CFAReg, f.Lookup)
	}
	cfa := uint32(int64(base) + int64(rule.CFAOffset))
	conf := minConf(f.Confidence, Certain)
	if f.Lookup == f.PC {
		if err := u.exidxAgreesWithPrologue(f, rule, cfa); err != nil {
			return nil, err
		}
		conf = minConf(f.Confidence, Likely)
	}
	caller := f.Regs
	for reg := 0; reg <= 15; reg++ {
		if off, ok := rule.SavedAt(reg); ok {
			v, err := fault.Read32(u.mem, uint64(int64(cfa)+int64(off)))
			if err != nil {
				return nil, fmt.Errorf("exidx: restore r%d: %w", reg, err)
			}
			caller.Set(reg, v)
		}
	}
	_, lrSaved := rule.SavedAt(fault.RegLR)
	_, pcSaved := rule.SavedAt(fault.RegPC)
	retReg := fault.RegLR
	if pcSaved {
		retReg = fault.RegPC
		if !lrSaved {
			caller.Known &^= 1 << fault.RegLR
		}
	} else if !lrSaved && f.Lookup != f.PC && f.Exception == nil {
		// The frame made a call, which overwrote LR, and its entry
		// says LR was never saved: LR names this frame again.
		return nil, errors.New("exidx: LR not saved by a frame that made a call")
	}
	ret, ok := caller.Get(retReg)
	if !ok {
		return nil, errors.New("exidx: return address unknown")
	}
	return u.toCaller(f, caller, cfa, ret, HowExidx, conf)
}

// exidxAgreesWithPrologue checks, for a frame stopped at PC rather than at
// a call, that PC is past its function's prologue and not in an epilogue:
// prologue analysis must follow the code to PC and find the caller's SP
// where the EHABI rule does.
func (u *Unwinder) exidxAgreesWithPrologue(f Frame, rule elfsym.ExidxRule, cfa uint32) error {
	fn := uint32(rule.Start) &^ 1
	if len(f.Funcs) > 0 {
		if e := f.Funcs[len(f.Funcs)-1].Entry; e != 0 {
			fn = uint32(e) &^ 1
		}
	}
	pr, err := fault.AnalyzePrologue(u.prog, fn, f.PC, true)
	if err != nil {
		return fmt.Errorf("exidx: not used at 0x%08x, which is not a call: prologue analysis cannot confirm it: %w", f.PC, err)
	}
	if pr.Epilogue {
		return fmt.Errorf("exidx: not used at 0x%08x: an epilogue's return", f.PC)
	}
	if r7, ok := f.Regs.Get(fault.RegFP); pr.FP && ok && r7+pr.FPOffset == cfa {
		return nil
	}
	if sp, ok := f.Regs.Get(fault.RegSP); ok && !pr.SPLost && sp+pr.CFA == cfa {
		return nil
	}
	return fmt.Errorf("exidx: not used at 0x%08x: the prologue has not finished or the epilogue has begun (CFA 0x%08x by the entry, not by the code)", f.PC, cfa)
}

// hasCallerRule reports whether the code at lookup (a call) has an exact
// unwind rule: CFI, or an EHABI entry.
func (u *Unwinder) hasCallerRule(lookup uint32) bool {
	if _, err := u.prog.FrameContext(uint64(lookup)); err == nil {
		return true
	}
	_, err := u.exidxRule(lookup)
	return err == nil
}
