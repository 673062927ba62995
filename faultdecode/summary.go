package faultdecode

import (
	"fmt"
	"strings"

	"github.com/faultline-dev/faultline/faultdecode/fault"
)

// causePhrase is the short phrase for the primary cause, used in the summary.
func (a *analysis) causePhrase(c fault.Cause) string {
	f := a.fault
	addr := ""
	if f.HasAddress {
		addr = fmt.Sprintf(" 0x%08x", f.FaultAddress)
	}
	pc, havePC := a.faultPC()
	switch c.Name {
	case "IACCVIOL", "IBUSERR":
		if havePC && a.badPC() {
			return fmt.Sprintf("instruction fetch from 0x%08x, which is not code", pc)
		}
		if c.Name == "IBUSERR" {
			return "bus error on an instruction fetch"
		}
		return "instruction fetch from a region the MPU forbids"
	case "DACCVIOL":
		if addr != "" {
			return "memory access violation at" + addr
		}
		return "memory access violation (MMFAR not valid)"
	case "PRECISERR":
		if addr != "" {
			return "bus error on a data access to" + addr
		}
		return "bus error on a data access"
	case "IMPRECISERR":
		return "imprecise bus error from an earlier buffered store"
	case "UNDEFINSTR":
		if in, ok := a.insnAt(pc); havePC && ok && in.Kind == fault.InsnUDF {
			return fmt.Sprintf("%s, a trap placed on purpose (__builtin_trap())", in.Text)
		}
		return "undefined instruction"
	case "INVSTATE":
		if havePC {
			return fmt.Sprintf("branch to 0x%08x with the Thumb bit clear", pc)
		}
		return "execution with the Thumb bit clear"
	case "INVPC":
		return "invalid exception return (EXC_RETURN or stack)"
	case "NOCP":
		return "floating-point instruction with the FPU disabled"
	case "UNALIGNED":
		return "unaligned memory access"
	case "DIVBYZERO":
		return "integer divide by zero"
	case "MSTKERR", "STKERR":
		return "stacking the exception frame failed (stack overflow or corrupt SP)"
	case "MUNSTKERR", "UNSTKERR":
		return "unstacking on exception return failed (corrupt SP)"
	case "MLSPERR", "LSPERR":
		return "lazy FP state preservation failed"
	case "STKOF":
		return "stack overflow (stack limit)"
	case "VECTTBL":
		return "vector table read failed while taking an exception"
	case "DEBUGEVT":
		return "debug event (BKPT) with no debugger attached"
	}
	return strings.ToLower(c.Name)
}

// primaryCause is the most telling cause: the first CFSR bit, else an HFSR
// bit other than FORCED.
func (a *analysis) primaryCause() (fault.Cause, bool) {
	for _, c := range a.fault.Causes {
		if c.Register == "CFSR" {
			return c, true
		}
	}
	for _, c := range a.fault.Causes {
		if c.Name != "FORCED" {
			return c, true
		}
	}
	return fault.Cause{}, false
}

// summary is one or two sentences a person can act on.
func (a *analysis) summary() string {
	f := a.fault
	var b strings.Builder
	head := f.Exception
	switch {
	case f.Lockup:
		head = "Lockup"
	case f.Forced && f.EscalatedFrom != 0:
		head = fmt.Sprintf("%s (escalated from %s)", f.Exception, fault.ExceptionName(f.EscalatedFrom))
	}
	if f.Exception == "None" && !f.Lockup && len(a.snap.Registers) == 0 && len(a.fr.Registers()) == 0 {
		b.WriteString("Nothing to decode: neither registers nor fault registers were captured")
		if t := a.snap.Meta.Trigger; t.Kind != "" {
			fmt.Fprintf(&b, "; the trigger was %s", t.Kind)
			if t.Detail != "" {
				fmt.Fprintf(&b, " (%q)", t.Detail)
			}
		}
		b.WriteString(".")
		return a.mismatchPrefix() + b.String()
	}
	if f.Exception == "None" && !f.Lockup {
		b.WriteString("No fault is recorded")
		if len(a.rep.Frames) > 0 {
			fmt.Fprintf(&b, "; the core was stopped in %s", a.rep.Frames[0].Where())
		}
		b.WriteString(".")
		return a.mismatchPrefix() + b.String()
	}
	b.WriteString(head)
	b.WriteString(a.taskPhrase())
	b.WriteString(": ")
	c, ok := a.primaryCause()
	switch {
	case f.Lockup && ok:
		fmt.Fprintf(&b, "the core stopped on a fault it could not escalate; the original fault was %s", a.causePhrase(c))
	case f.Lockup:
		b.WriteString("the core stopped on a fault it could not escalate (a fault inside HardFault or NMI, or a failed vector fetch)")
	case ok:
		b.WriteString(a.causePhrase(c))
	case !a.core.HasCFSR():
		b.WriteString(a.noCausePhrase()) // from the faulting instruction (v6m.go)
	case !a.fr.Has(fault.AddrCFSR):
		b.WriteString("the cause is unknown: the fault status registers were not captured")
	default:
		if c, ok := a.bkptCause(); ok {
			b.WriteString(c.phrase)
		} else {
			b.WriteString("no cause bits are set")
		}
	}
	b.WriteString(a.locationPhrase(c, ok))
	b.WriteString(".")
	if f.StackingError {
		b.WriteString(" The exception frame is not valid, so the faulting code's registers and call chain are lost.")
	}
	return a.mismatchPrefix() + b.String()
}

func (a *analysis) locationPhrase(c fault.Cause, ok bool) string {
	if len(a.rep.Frames) == 0 {
		return ""
	}
	top := a.rep.Frames[0]
	switch a.badPCSource() {
	case fault.CallViaReg:
		return fmt.Sprintf("; called from %s through a bad function pointer", a.rep.Frames[1].Where())
	case fault.CallDirect:
		return fmt.Sprintf("; reached from %s, probably through a corrupt return address", a.rep.Frames[1].Where())
	}
	if a.frames[0].NotCode {
		if len(a.rep.Frames) > 1 {
			return fmt.Sprintf("; the last known code is %s", a.rep.Frames[1].Where())
		}
		return ""
	}
	if ok && c.Name == "IMPRECISERR" {
		return fmt.Sprintf(", shortly before %s (the stacked PC is past the failing store)", top.Where())
	}
	if (top.Function == "" || top.Function == "??") && top.File == "" {
		return fmt.Sprintf(" at 0x%s", strings.TrimPrefix(top.PC, "0x"))
	}
	if top.Inlined {
		for _, f := range a.rep.Frames[1:] {
			if !f.Inlined {
				return fmt.Sprintf(" in %s, inlined into %s", top.Where(), f.Where())
			}
		}
	}
	return " in " + top.Where()
}

func (a *analysis) mismatchPrefix() string {
	if m := a.rep.ELF.MatchesTarget; m != nil && !*m {
		return "(ELF does not match the target) "
	}
	return ""
}
