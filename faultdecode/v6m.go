package faultdecode

import (
	"encoding/binary"
	"fmt"

	"github.com/faultline-dev/faultline/faultdecode/fault"
)

// Cores without fault status registers (ARMv6-M, ARMv8-M Baseline) record
// no cause for a HardFault: it is read here from the instruction at the
// stacked PC (every ARMv6-M fault is synchronous, so that is the faulting
// instruction) and the registers of the exception frame.

// instrCause is the explanation of a HardFault from its instruction.
type instrCause struct {
	phrase string // for the summary: "unaligned load of 4 bytes from 0x20000002 (r3)"
	detail string // for the explanations: the instruction and the reasoning
}

// instructionCause explains the HardFault of a core without CFSR from its
// faulting instruction; ok is false when there is nothing to explain (a
// core with CFSR, no fault) or no exception frame to read it from.
func (a *analysis) instructionCause() (instrCause, bool) {
	if a.core.HasCFSR() || (a.fault.Exception != "HardFault" && !a.fault.Lockup) {
		return instrCause{}, false
	}
	if a.exc == nil || !a.frameOK {
		return instrCause{detail: fmt.Sprintf("%s records no fault cause, and without a valid exception frame the faulting instruction is not known", a.core.Name())}, true
	}
	pc, _ := a.ctx.Get(fault.RegPC)
	if !a.exc.XPSR.Thumb() {
		c := instrCause{phrase: fmt.Sprintf("branch to 0x%08x with the Thumb bit clear", pc),
			detail: fmt.Sprintf("the stacked xPSR has the Thumb bit clear (EPSR.T=0) at PC 0x%08x: a BX/BLX or POP {pc} jumped to an even address, so the core faulted on the first instruction there; the function pointer or return address lost its |1", pc)}
		if name := a.funcName(pc); name != "" {
			c.detail += fmt.Sprintf(" (0x%08x is %s, which must be called as 0x%08x)", pc, name, pc|1)
		}
		return c, true
	}
	if fault.NeverExecutable(pc) || (a.img != nil && !a.img.IsCode(uint64(pc))) {
		return instrCause{phrase: fmt.Sprintf("instruction fetch from 0x%08x, which is not code", pc),
			detail: fmt.Sprintf("PC 0x%08x is not code (%s): execution went there through a bad function pointer or a corrupt return address", pc, fault.RegionName(pc))}, true
	}
	in, ok := a.insnAt(pc)
	if !ok {
		return instrCause{detail: fmt.Sprintf("the instruction at PC 0x%08x is neither in the ELF nor in the capture, so the cause cannot be read from it", pc)}, true
	}
	c, ok := a.explainInsn(in)
	if ok {
		return c, true
	}
	// SVCall that could not be taken escalates with the return address
	// after the SVC.
	if prev, ok := a.insnAt(pc - 2); ok && prev.Kind == fault.InsnSVC {
		return a.svcCause(prev), true
	}
	return instrCause{detail: fmt.Sprintf("the instruction at PC 0x%08x (%s) cannot fault by itself: the HardFault came from elsewhere (an invalid EXC_RETURN, a failed vector fetch, or an interrupt whose handler address is bad)", pc, in.Text)}, true
}

// bkptCause explains a HardFault with no cause bits on a core that has
// them when the faulting instruction is a BKPT: hardware sets
// HFSR.DEBUGEVT for it, but QEMU escalates it to a FORCED HardFault with
// CFSR clear (seen with newlib-style __stack_chk_fail and assert traps).
func (a *analysis) bkptCause() (instrCause, bool) {
	if a.exc == nil || !a.frameOK {
		return instrCause{}, false
	}
	pc, _ := a.ctx.Get(fault.RegPC)
	in, ok := a.insnAt(pc)
	if !ok || in.Kind != fault.InsnBKPT {
		return instrCause{}, false
	}
	return a.explainInsn(in)
}

// explainInsn explains a fault by the decoded instruction in; ok is false
// for an instruction that cannot fault by itself.
func (a *analysis) explainInsn(in fault.Insn) (instrCause, bool) {
	at := fmt.Sprintf("the faulting instruction is %s at 0x%08x", in.Text, in.Addr)
	switch in.Kind {
	case fault.InsnUDF:
		return instrCause{phrase: fmt.Sprintf("%s (a deliberate trap)", in.Text),
			detail: at + ": a permanently undefined instruction, placed on purpose (__builtin_trap(), or the compiler's trap after code it proved unreachable)"}, true
	case fault.InsnBKPT:
		if in.Imm8 == 0xAB {
			return instrCause{phrase: "semihosting call (bkpt 0xab) with no debugger attached",
				detail: at + ": a semihosting call (printf or file I/O through the debugger); with no debugger serving it, BKPT escalates to HardFault: build without semihosting (--specs=nosys.specs instead of rdimon)"}, true
		}
		return instrCause{phrase: fmt.Sprintf("%s with no debugger attached", in.Text),
			detail: at + ": a breakpoint instruction (an assert or a leftover __BKPT()); with no debugger attached (halting debug off) it escalates to HardFault"}, true
	case fault.InsnSVC:
		return a.svcCause(in), true
	case fault.InsnLoad, fault.InsnStore:
		return a.accessCause(in, at), true
	case fault.Insn32:
		return instrCause{detail: at + ": a 32-bit instruction; " + a.core.Name() + " has only BL, MRS, MSR, barriers and UDF.W in 32 bits here, so an unexpected one means code built for another core or a jump into data"}, true
	}
	return instrCause{}, false
}

func (a *analysis) svcCause(in fault.Insn) instrCause {
	return instrCause{phrase: fmt.Sprintf("%s where SVCall could not be taken", in.Text),
		detail: fmt.Sprintf("%s at 0x%08x ran where SVCall cannot be taken (in a handler of the same or higher priority, or with PRIMASK set), so it escalated to HardFault", in.Text, in.Addr)}
}

// accessCause explains a load or store that faulted: where it went and
// why that address fails.
func (a *analysis) accessCause(in fault.Insn, at string) instrCause {
	what, dir := "load", "from"
	if in.Kind == fault.InsnStore {
		what, dir = "store", "to"
	}
	size := fmt.Sprintf("%d bytes", in.Width)
	if in.Count > 1 {
		size = fmt.Sprintf("%d words", in.Count)
	}
	addr, expr, ok := in.MemAddress(a.ctx)
	if !ok {
		return instrCause{phrase: fmt.Sprintf("%s of %s through %s", what, size, fault.RegNames[in.Rn]),
			detail: fmt.Sprintf("%s: a %s through %s, whose value at the fault is not known", at, what, fault.RegNames[in.Rn])}
	}
	access := fmt.Sprintf("%s of %s %s 0x%08x (%s)", what, size, dir, addr, expr)
	why, short := a.whyAccessFaults(in, addr)
	phrase := access
	if short != "" {
		phrase = short + " " + access
	}
	return instrCause{phrase: phrase, detail: fmt.Sprintf("%s: a %s faulted: %s", at, access, why)}
}

// whyAccessFaults says why an access of in to addr fails, as a sentence
// and as an adjective for the summary ("unaligned").
func (a *analysis) whyAccessFaults(in fault.Insn, addr uint32) (why, short string) {
	align := min(in.Width, 4)
	if in.Count > 1 {
		align = 4
	}
	if addr%align != 0 {
		return fmt.Sprintf("the address is not %d-byte aligned, and %s faults on every unaligned access (check casts of byte buffers to wider types, and packed structs)", align, a.core.Name()), "unaligned"
	}
	if addr < 0x100 {
		return fmt.Sprintf("the address is within 256 bytes of 0: a NULL pointer (%s)", a.baseValue(in)), "NULL-pointer"
	}
	if sec, ok := a.sectionAt(addr); ok {
		if in.Kind == fault.InsnStore && !sec.Write {
			return fmt.Sprintf("0x%08x is in %s, which is read-only (flash): a store through a pointer to const data or code", addr, sec.Name), "read-only"
		}
		return fmt.Sprintf("0x%08x is in %s, which exists: the bus refused the access (an MPU region, or an access size the memory does not take)", addr, sec.Name), ""
	}
	if a.inCapturedRAM(addr) {
		return fmt.Sprintf("0x%08x is in captured RAM, which exists: the bus refused the access (an MPU region, or an access size the memory does not take)", addr), ""
	}
	switch {
	case addr >= 0x40000000 && addr < 0x60000000:
		return fmt.Sprintf("0x%08x is in the peripheral region: the peripheral is absent, not clocked or powered, or does not take this access size", addr), ""
	case addr >= 0xE0000000:
		return fmt.Sprintf("0x%08x is in the system region: a register %s does not have, or one that needs privileged access", addr, a.core.Name()), ""
	}
	return fmt.Sprintf("no memory is known at 0x%08x (no ELF section, no captured RAM): it is probably unmapped, so the pointer (%s) is wild or stale", addr, a.baseValue(in)), "unmapped"
}

func (a *analysis) baseValue(in fault.Insn) string {
	if v, ok := a.ctx.Get(in.Rn); ok && !in.Literal {
		return fmt.Sprintf("%s = 0x%08x", fault.RegNames[in.Rn], v)
	}
	return fault.RegNames[in.Rn]
}

// insnAt reads and decodes the instruction at pc, from the ELF first (the
// code as built), else from captured memory.
func (a *analysis) insnAt(pc uint32) (fault.Insn, bool) {
	var b [4]byte
	n := 0
	if a.img != nil {
		n, _ = a.img.ReadMemory(b[:], uint64(pc))
	}
	if n < 2 {
		n, _ = a.snap.ReadMemory(b[:], uint64(pc))
	}
	if n < 2 {
		return fault.Insn{}, false
	}
	hw1 := binary.LittleEndian.Uint16(b[:])
	if fault.Is32(hw1) && n < 4 {
		return fault.Insn{}, false
	}
	return fault.DecodeThumb(pc, hw1, binary.LittleEndian.Uint16(b[2:])), true
}

func (a *analysis) funcName(pc uint32) string {
	if a.img == nil {
		return ""
	}
	if s, off, ok := a.img.SymbolAt(uint64(pc)); ok && s.Func && off == 0 {
		return s.Name + "()"
	}
	return ""
}

type sectionInfo struct {
	Name  string
	Write bool
}

func (a *analysis) sectionAt(addr uint32) (sectionInfo, bool) {
	if a.img == nil {
		return sectionInfo{}, false
	}
	for _, s := range a.img.Sections() {
		if s.Alloc && s.Size > 0 && uint64(addr) >= s.Addr && uint64(addr) < s.Addr+s.Size {
			return sectionInfo{Name: s.Name, Write: s.Write}, true
		}
	}
	return sectionInfo{}, false
}

func (a *analysis) inCapturedRAM(addr uint32) bool {
	for _, r := range a.ram {
		if r.Contains(addr) {
			return true
		}
	}
	return false
}

// explainInstruction adds the instruction's explanation to the report of
// a core without fault status registers (see instructionCause).
func (a *analysis) explainInstruction() {
	c, ok := a.instructionCause()
	if !ok || c.detail == "" {
		return
	}
	a.rep.Fault.Explanations = append(a.rep.Fault.Explanations, "instruction: "+c.detail)
}

// noCausePhrase is the summary's cause for a core without fault status
// registers: what the faulting instruction did, when it could be read.
func (a *analysis) noCausePhrase() string {
	if c, ok := a.instructionCause(); ok && c.phrase != "" {
		return c.phrase
	}
	return fmt.Sprintf("%s records no cause", a.core.Name())
}
