package fault

import "fmt"

// A Cause is one set fault status bit, named as in the ARM manuals, with a
// sentence a firmware engineer can act on.
type Cause struct {
	Name      string // ARM bit name, e.g. "IACCVIOL", "FORCED"
	Register  string // "CFSR" or "HFSR"
	Bit       uint
	Exception int    // the fault exception this bit belongs to (ExcMemManage, ...; ExcHardFault for HFSR)
	Precise   bool   // the stacked PC is the instruction that faulted
	Text      string // what it means and what to do
}

// bitInfo is the static knowledge about one status bit.
type bitInfo struct {
	name    string
	bit     uint
	exc     int
	precise bool
	text    string
}

// cfsrBits is the ARMv7-M/ARMv8-M Mainline CFSR in bit order. The VALID bits
// are not causes: they only say whether MMFAR/BFAR may be believed.
var cfsrBits = []bitInfo{
	{"IACCVIOL", 0, ExcMemManage, true, "an instruction fetch hit a region the MPU (or the default memory map: 0xA0000000 and up is never executable) forbids; the stacked PC is the bad target, usually a corrupt function pointer, vtable or return address"},
	{"DACCVIOL", 1, ExcMemManage, true, "a load or store hit a region the MPU forbids; the stacked PC is the instruction and MMFAR (when MMARVALID) the address: check the pointer it used (NULL guard region, stack guard, freed object)"},
	{"MUNSTKERR", 3, ExcMemManage, false, "the MPU refused the pop of an exception frame on return: the stack pointer was corrupted while the handler ran"},
	{"MSTKERR", 4, ExcMemManage, false, "the MPU refused the push of the exception frame (often the stack guard region: a stack overflow); the frame in memory is not valid and r0-r3, r12, lr, pc of the interrupted code are lost"},
	{"MLSPERR", 5, ExcMemManage, false, "the MPU refused lazy floating-point state preservation: the FP context area on the stack is not writable"},
	{"IBUSERR", 8, ExcBusFault, true, "an instruction fetch got a bus error: the PC points at memory that does not exist or is not executable from this bus"},
	{"PRECISERR", 9, ExcBusFault, true, "a load or store got a bus error; the stacked PC is the instruction and BFAR (when BFARVALID) the address: an unmapped address, a peripheral whose clock is off, or a wild pointer"},
	{"IMPRECISERR", 10, ExcBusFault, false, "an earlier buffered store failed; the stacked PC is past it and BFAR is not valid; set ACTLR.DISDEFWBUF (0xE000E008 bit 1) to make it precise"},
	{"UNSTKERR", 11, ExcBusFault, false, "the pop of an exception frame on return got a bus error: the stack pointer was corrupted while the handler ran"},
	{"STKERR", 12, ExcBusFault, false, "the push of the exception frame got a bus error (SP below RAM: a stack overflow or a corrupt SP); the frame in memory is not valid and r0-r3, r12, lr, pc of the interrupted code are lost"},
	{"LSPERR", 13, ExcBusFault, false, "lazy floating-point state preservation got a bus error: the FP context area on the stack is not writable"},
	{"UNDEFINSTR", 16, ExcUsageFault, true, "the core fetched an undefined instruction: a jump into data or the middle of an instruction, corrupted flash, or code built for a different core (e.g. FPU code on an M3)"},
	{"INVSTATE", 17, ExcUsageFault, true, "an instruction ran with the Thumb bit clear (EPSR.T=0): a BX/BLX or a POP into PC with an even address, typically a function pointer missing its |1 or a corrupt return address"},
	{"INVPC", 18, ExcUsageFault, true, "an exception return used an invalid EXC_RETURN value or an inconsistent stack: LR was overwritten in a handler, or the handler returned with the wrong stack"},
	{"NOCP", 19, ExcUsageFault, true, "a coprocessor (FPU) instruction ran while the coprocessor is disabled: enable CP10/CP11 in CPACR (0xE000ED88) before using floating point, or build without FPU instructions"},
	{"STKOF", 20, ExcUsageFault, false, "a push or an SP update went below the stack limit register (MSPLIM for the main stack, PSPLIM for a thread's): a stack overflow, caught before it wrote below the limit"},
	{"UNALIGNED", 24, ExcUsageFault, true, "an unaligned access trapped (CCR.UNALIGN_TRP is set, or LDM/STM/LDRD/STRD, which always need alignment): check casts of byte buffers to wider types"},
	{"DIVBYZERO", 25, ExcUsageFault, true, "an SDIV/UDIV divided by zero with CCR.DIV_0_TRP set: check the divisor"},
}

var hfsrBits = []bitInfo{
	{"VECTTBL", 1, ExcHardFault, false, "reading the vector table failed while taking an exception: VTOR (0xE000ED08) points at an invalid table, or the vector for this exception is outside memory"},
	{"FORCED", 30, ExcHardFault, false, "a configurable fault (MemManage, BusFault, UsageFault) was escalated to HardFault because its handler is disabled in SHCSR or it could not run at its priority; the real cause is in CFSR"},
	{"DEBUGEVT", 31, ExcHardFault, false, "a debug event (e.g. a BKPT instruction) happened with no debugger attached (halting debug disabled), which escalates to HardFault"},
}

// sfsrBits is the ARMv8-M SecureFault Status Register (Security Extension).
var sfsrBits = []bitInfo{
	{"INVEP", 0, ExcSecureFault, true, "Non-secure code called or branched into Secure memory at an address that is not a valid entry point (no SG instruction in a Non-secure-callable region)"},
	{"INVIS", 1, ExcSecureFault, false, "an exception return found an integrity signature that does not match the frame: the Secure stack was corrupted or the wrong stack was returned to"},
	{"INVER", 2, ExcSecureFault, false, "an exception return from Non-secure state used an EXC_RETURN that says Secure: a corrupt LR in a Non-secure handler"},
	{"AUVIOL", 3, ExcSecureFault, true, "Non-secure code accessed memory the SAU/IDAU marks Secure; SFAR (when SFARVALID) is the address"},
	{"INVTRAN", 4, ExcSecureFault, true, "a branch went from Secure to Non-secure memory without BXNS/BLXNS: a Secure function pointer points into Non-secure code"},
	{"LSPERR", 5, ExcSecureFault, false, "lazy floating-point state preservation hit a SAU/IDAU violation"},
	{"LSERR", 7, ExcSecureFault, false, "lazy state activation or deactivation failed (an inconsistent FP context across security states)"},
}

func decodeBits(reg string, v uint32, table []bitInfo) []Cause {
	var out []Cause
	for _, b := range table {
		if bit(v, b.bit) {
			out = append(out, Cause{Name: b.name, Register: reg, Bit: b.bit, Exception: b.exc, Precise: b.precise, Text: b.text})
		}
	}
	return out
}

// DecodeCFSR lists the set cause bits of a CFSR value in bit order.
func DecodeCFSR(c Cfsr) []Cause { return decodeBits("CFSR", uint32(c), cfsrBits) }

// DecodeHFSR lists the set cause bits of an HFSR value in bit order.
func DecodeHFSR(h Hfsr) []Cause { return decodeBits("HFSR", uint32(h), hfsrBits) }

// DecodeSFSR lists the set cause bits of an SFSR value in bit order.
func DecodeSFSR(s Sfsr) []Cause { return decodeBits("SFSR", uint32(s), sfsrBits) }

// DecodeDFSR names the set DFSR bits: why a debugger halted the core.
func DecodeDFSR(d Dfsr) []string {
	names := []struct {
		n    uint
		name string
	}{{0, "HALTED"}, {1, "BKPT"}, {2, "DWTTRAP"}, {3, "VCATCH"}, {4, "EXTERNAL"}}
	var out []string
	for _, x := range names {
		if bit(uint32(d), x.n) {
			out = append(out, x.name)
		}
	}
	return out
}

// ExceptionName names an exception number the way the report does. Only the
// fault exceptions get their own names in the schema; the rest are
// described by ExceptionLabel.
func ExceptionName(n int) string {
	switch n {
	case ExcNMI:
		return "NMI"
	case ExcHardFault:
		return "HardFault"
	case ExcMemManage:
		return "MemManage"
	case ExcBusFault:
		return "BusFault"
	case ExcUsageFault:
		return "UsageFault"
	case ExcSecureFault:
		return "SecureFault"
	}
	return "None"
}

// ExceptionLabel describes any exception number, e.g. "IRQ 37", "SysTick".
func ExceptionLabel(n int) string {
	switch n {
	case ExcNone:
		return "thread mode"
	case ExcReset:
		return "Reset"
	case ExcSVCall:
		return "SVCall"
	case ExcDebugMon:
		return "DebugMonitor"
	case ExcPendSV:
		return "PendSV"
	case ExcSysTick:
		return "SysTick"
	}
	if n >= 16 {
		return fmt.Sprintf("IRQ %d", n-16)
	}
	if s := ExceptionName(n); s != "None" {
		return s
	}
	return fmt.Sprintf("exception %d", n)
}
