package faultdecode

import (
	"errors"
	"fmt"

	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/faultdecode/fault"
	"github.com/faultline-dev/faultline/faultdecode/forensics"
	"github.com/faultline-dev/faultline/faultdecode/report"
	"github.com/faultline-dev/faultline/faultdecode/unwind"
)

// stackFill names the words RTOSes paint unused stack with (FreeRTOS 0xa5,
// Zephyr's CONFIG_INIT_STACKS 0xaa, ThreadX 0xef, RTX 0xcc... as bytes): a
// slot holding one was never written, so reading it as a return address
// means the unwinder looked at unused stack, not that something overran.
func stackFill(v uint32) (string, bool) {
	switch v {
	case 0xa5a5a5a5:
		return "FreeRTOS's stack fill", true
	case 0xaaaaaaaa:
		return "Zephyr's stack fill", true
	case 0xefefefef:
		return "ThreadX's stack fill", true
	case 0xcccccccc:
		return "a stack fill", true
	}
	return "", false
}

// badPCSource says how a wild PC was reached, from the instruction before
// the LR that the fallback frame used: fault.CallViaReg for a call through a
// pointer, fault.CallDirect when the function had made a direct call that
// returned (so the jump came from a return or branch after it), fault.CallNone
// when unknown.
func (a *analysis) badPCSource() string {
	if a.img == nil || len(a.frames) < 2 || len(a.rep.Frames) < 2 || !a.frames[0].NotCode || a.frames[1].How != unwind.HowLR {
		return fault.CallNone
	}
	return fault.CallKind(a.img, a.frames[1].PC)
}

// faultPC is the PC of the faulting context and whether it is known.
func (a *analysis) faultPC() (uint32, bool) { return a.ctx.Get(fault.RegPC) }

// badPC reports whether the faulting PC cannot be code.
func (a *analysis) badPC() bool {
	if len(a.frames) > 0 {
		return a.frames[0].NotCode
	}
	pc, ok := a.faultPC()
	return ok && fault.NeverExecutable(pc)
}

func (a *analysis) add(kind, summary string, addr uint32, haveAddr bool, sym string) {
	f := report.Finding{Kind: kind, Summary: summary, Symbol: sym}
	if haveAddr {
		f.Address = report.Hex(addr)
	}
	a.rep.Findings = append(a.rep.Findings, f)
}

// dataSymbol names the object an address falls in, "" if none.
func (a *analysis) dataSymbol(v uint32) string {
	if a.img == nil {
		return ""
	}
	if s, off, ok := a.img.SymbolAt(uint64(v)); ok {
		if off == 0 {
			return s.Name
		}
		return fmt.Sprintf("%s+0x%x", s.Name, off)
	}
	return ""
}

func (a *analysis) findings() {
	f := a.fault
	pc, havePC := a.faultPC()
	if a.fault.Lockup {
		s := "the core locked up: a fault it could not escalate (a fault inside HardFault or NMI, or a failed vector table read); the original fault survives only in CFSR/HFSR, MMFAR/BFAR and the stacked frames"
		a.add(report.FindLockup, s, a.stop.R[fault.RegPC], a.stop.Known&(1<<fault.RegPC) != 0, "")
	}
	if havePC && a.badPC() && !fault.IsLockupPC(a.core, pc) {
		s := fmt.Sprintf("PC 0x%08x is not code (%s)", pc, fault.RegionName(pc))
		switch a.badPCSource() {
		case fault.CallViaReg:
			s += fmt.Sprintf("; %s jumped there through a bad function pointer or corrupt vtable", a.rep.Frames[1].Where())
		case fault.CallDirect:
			s += fmt.Sprintf("; %s was running when control went there: a corrupt return address (a stack overwrite) or a wild branch", a.rep.Frames[1].Where())
		}
		if why := forensics.Suspicious(pc | 1); why != "" {
			s += fmt.Sprintf("; the value looks like data (%s)", why)
		}
		a.add(report.FindBadPC, s, pc, true, a.dataSymbol(pc))
		if a.badPCSource() == fault.CallViaReg {
			a.rep.Findings = append(a.rep.Findings, a.pointerSources(pc)...)
		}
	}
	_, invstate := f.Cause("INVSTATE")
	if invstate || (a.exc != nil && a.frameOK && !a.exc.XPSR.Thumb() && !a.fault.FetchFault()) {
		s := "the Thumb bit was clear (EPSR.T=0): code branched with BX/BLX or a POP into PC to an address with bit 0 clear"
		sym := ""
		if havePC {
			s = fmt.Sprintf("the Thumb bit was clear when executing 0x%08x: a BX/BLX or POP into PC used an even address; a function pointer lost its |1 or points at data", pc)
			if a.img != nil {
				if fn, _, ok := a.img.SymbolAt(uint64(pc)); ok && fn.Func {
					sym = fn.Name
				}
			}
		}
		a.add(report.FindThumbBit, s, pc, havePC, sym)
	}
	if c, ok := f.Cause("IMPRECISERR"); ok {
		s := c.Text
		if len(a.rep.Frames) > 0 {
			s = fmt.Sprintf("%s; the failing store happened shortly before %s", s, a.rep.Frames[0].Where())
		}
		a.add(report.FindImprecise, s, 0, false, "")
	}
	a.stackFindings()
}

func (a *analysis) stackFindings() {
	f := a.fault
	if f.StackingError {
		sp, ok := a.stackAt, a.haveAt
		if !ok {
			sp, ok = a.stop.Get(fault.RegSP)
		}
		s := "stacking the exception frame failed: the stack pointer was outside writable memory (a stack overflow or a corrupt SP); the interrupted code's r0-r3, r12, lr and pc are lost"
		a.add(report.FindStackCorruption, s, sp, ok, "")
		if ok && !a.inRAM(sp) {
			a.add(report.FindStackOverflow, fmt.Sprintf("the stack pointer 0x%08x is below or outside RAM: the stack overflowed", sp), sp, true, "")
		}
	}
	a.stackLimitFinding()
	if f.Unstacking {
		a.add(report.FindStackCorruption, "unstacking on exception return failed: the stack pointer or the stacked frame was corrupted while the handler ran", 0, false, "")
	}
	if sp, ok := a.ctx.Get(fault.RegSP); ok && !f.StackingError && len(a.snap.Registers) > 0 && !a.inRAM(sp) {
		if a.ramEndsAt(sp) {
			// Memory below SP was captured, the stack above it was not
			// (gdb's gcore dumps up to SP when it cannot unwind): the SP
			// itself is not in question.
			a.note("the stack above SP 0x%08x is not in the capture", sp)
		} else {
			a.add(report.FindStackCorruption, fmt.Sprintf("SP 0x%08x is outside RAM: the stack pointer is corrupt or the stack overflowed", sp), sp, true, "")
		}
	}
	check := func(what string, v uint32) {
		if fill, ok := stackFill(v); ok {
			a.note("%s 0x%08x is %s: that stack slot was never written (unused stack, not an overrun)", what, v, fill)
			return
		}
		if why := forensics.Suspicious(v); why != "" {
			a.add(report.FindStackCorruption, fmt.Sprintf("%s 0x%08x looks like data (%s), not an address: the stack was probably overwritten (a buffer overrun on the stack)", what, v, why), v, true, "")
		}
	}
	// A bad PC a BLX/BX through a register reached came from a function
	// pointer (the pointer-source finding follows it), not from a return
	// address the stack held: data there says nothing about the stack.
	if pc, ok := a.faultPC(); ok && a.badPC() && a.badPCSource() != fault.CallViaReg {
		if forensics.Suspicious(pc) == "" && forensics.Suspicious(pc|1) != "" {
			pc |= 1 // the Thumb bit was cleared on the way into PC
		}
		check("the PC", pc)
	}
	if lr, ok := a.ctx.Get(fault.RegLR); ok && a.exc != nil && !fault.IsExcReturn(lr) && (a.img == nil || !a.img.IsCode(uint64(lr&^1))) {
		check("the stacked LR", lr)
	}
	if a.unwErr != nil {
		for _, fr := range a.frames {
			if fr.Err == nil {
				continue
			}
			var nc *unwind.NotCodeError
			if errors.As(fr.Err, &nc) {
				check("a return address on the stack,", nc.Addr)
			}
		}
	}
}

// stackLimitFinding reports a main-stack SP below the linker's stack limit.
// Only MSP contexts are checked: thread stacks on PSP live elsewhere.
func (a *analysis) stackLimitFinding() {
	if a.img == nil || a.onPSP {
		return
	}
	sp, ok := a.faultSP()
	if !ok {
		return
	}
	for _, name := range elfsym.StackBottomSymbols {
		sym, found := a.img.LookupSymbol(name)
		if !found || sym.Addr == 0 {
			continue
		}
		if uint64(sp) < sym.Addr && uint64(sp)+0x10000 > sym.Addr {
			a.add(report.FindStackOverflow, fmt.Sprintf("SP 0x%08x is %d bytes below the stack limit %s (0x%08x): the main stack overflowed into the memory below it (heap or globals)", sp, sym.Addr-uint64(sp), name, sym.Addr), sp, true, name)
		}
		return
	}
}

// rootCause hands what the analysis found to the forensics (package
// forensics), which explain why rather than where. They need DWARF
// variables (an *elfsym.Image); without them nothing happens.
func (a *analysis) rootCause() {
	if a.img == nil {
		return
	}
	img, ok := a.img.(forensics.Image)
	if !ok {
		return
	}
	c := &forensics.Crash{
		Snap: a.snap, Image: img, Core: a.core, Fault: a.fault,
		Stop: a.stop, Ctx: a.ctx, Frames: a.frames, RAM: a.ram,
		OnPSP: a.onPSP, StackAt: a.stackAt, HaveStackAt: a.haveAt,
		BadPC: a.badPC(), Returned: a.badPCSource() == fault.CallDirect, Tasks: a.sys,
	}
	c.FaultSP, c.HaveFaultSP = a.faultSP()
	forensics.Run(c, a.rep)
}

// faultSP is the stack pointer of the faulting context: where stacking was
// attempted when it failed (the frame is not valid then), else the SP.
func (a *analysis) faultSP() (uint32, bool) {
	if a.fault.StackingError && a.haveAt {
		return a.stackAt, true
	}
	return a.ctx.Get(fault.RegSP)
}
