package fault

import (
	"encoding/binary"
	"fmt"
	"strings"
)

// Memory is the one way faultdecode and its packages read target memory: a capture, a live
// session or a fake, io.ReaderAt-style (n < len(buf) comes with an error).
type Memory interface {
	ReadMemory(buf []byte, addr uint64) (int, error)
}

// read32 reads one little-endian word.
func Read32(mem Memory, addr uint64) (uint32, error) {
	var b [4]byte
	n, err := mem.ReadMemory(b[:], addr)
	if n < 4 {
		if err == nil {
			err = fmt.Errorf("short read")
		}
		return 0, fmt.Errorf("read 0x%08x: %w", addr, err)
	}
	return binary.LittleEndian.Uint32(b[:]), nil
}

// FaultRegs is the fault state read from the System Control Block and the
// debug registers. A register that could not be read is absent (Has false)
// and reads as zero.
type FaultRegs struct {
	CFSR  Cfsr
	HFSR  Hfsr
	DFSR  Dfsr
	MMFAR Mmfar
	BFAR  Bfar
	SHCSR Shcsr
	DHCSR Dhcsr
	ICSR  Icsr
	CCR   uint32
	VTOR  uint32
	SFSR  Sfsr // ARMv8-M Security Extension
	SFAR  Sfar
	have  map[uint64]bool
}

// Has reports whether the register at addr (AddrCFSR, ...) was read.
func (f FaultRegs) Has(addr uint64) bool { return f.have[addr] }

// Set records a register value read by other means (tests, a live probe).
func (f *FaultRegs) Set(addr uint64, v uint32) {
	if f.have == nil {
		f.have = map[uint64]bool{}
	}
	f.have[addr] = true
	if r := f.reg(addr); r != nil {
		*r = v
	}
}

// Registers are the registers that were read, by their report names
// ("cfsr", "hfsr", ...), with their values.
func (f FaultRegs) Registers() map[string]uint32 {
	out := map[string]uint32{}
	for _, r := range faultRegNames {
		if f.Has(r.addr) {
			out[r.name] = f.value(r.addr)
		}
	}
	return out
}

// value is the register at addr as Set recorded it.
func (f FaultRegs) value(addr uint64) uint32 {
	if r := f.reg(addr); r != nil {
		return *r
	}
	return 0
}

// reg is the field that holds the register at addr; nil for none.
func (f *FaultRegs) reg(addr uint64) *uint32 {
	switch addr {
	case AddrCFSR:
		return (*uint32)(&f.CFSR)
	case AddrHFSR:
		return (*uint32)(&f.HFSR)
	case AddrDFSR:
		return (*uint32)(&f.DFSR)
	case AddrMMFAR:
		return (*uint32)(&f.MMFAR)
	case AddrBFAR:
		return (*uint32)(&f.BFAR)
	case AddrSHCSR:
		return (*uint32)(&f.SHCSR)
	case AddrDHCSR:
		return (*uint32)(&f.DHCSR)
	case AddrICSR:
		return (*uint32)(&f.ICSR)
	case AddrCCR:
		return (*uint32)(&f.CCR)
	case AddrVTOR:
		return (*uint32)(&f.VTOR)
	case AddrSFSR:
		return (*uint32)(&f.SFSR)
	case AddrSFAR:
		return (*uint32)(&f.SFAR)
	}
	return nil
}

// faultRegNames lists what ReadFaultRegs reads, in report order.
var faultRegNames = []struct {
	name string
	addr uint64
}{
	{"cfsr", AddrCFSR}, {"hfsr", AddrHFSR}, {"mmfar", AddrMMFAR}, {"bfar", AddrBFAR},
	{"dfsr", AddrDFSR}, {"shcsr", AddrSHCSR}, {"icsr", AddrICSR}, {"ccr", AddrCCR},
	{"vtor", AddrVTOR}, {"dhcsr", AddrDHCSR}, {"sfsr", AddrSFSR}, {"sfar", AddrSFAR},
}

// optionalFaultReg says which registers are read when captured but not
// missed when not: VTOR and CCR explain but do not decide, and a capture
// reads SFSR/SFAR only where it knows the core has the Security
// Extension. A switch, not a map: package inits are part of every
// command's start.
func optionalFaultReg(addr uint64) bool {
	switch addr {
	case AddrVTOR, AddrCCR, AddrSFSR, AddrSFAR:
		return true
	}
	return false
}

// hasRegister reports whether the core has the fault register at addr:
// ARMv6-M and ARMv8-M Baseline have no CFSR, HFSR, MMFAR or BFAR; only
// ARMv8-M Mainline has SFSR/SFAR.
func hasRegister(core Core, addr uint64) bool {
	switch addr {
	case AddrCFSR, AddrHFSR, AddrMMFAR, AddrBFAR:
		return core.HasCFSR()
	case AddrSFSR, AddrSFAR:
		return core.HasStackLimit()
	}
	return true
}

// ReadFaultRegs reads the fault registers from mem (a snapshot holds them in
// its SCB and debug regions). It returns what it could not read, in words,
// for the report's notes; registers a core does not have are not asked for.
func ReadFaultRegs(mem Memory, core Core) (FaultRegs, []string) {
	var f FaultRegs
	var missing []string
	for _, r := range faultRegNames {
		if !hasRegister(core, r.addr) {
			continue
		}
		v, err := Read32(mem, r.addr)
		if err != nil {
			if !optionalFaultReg(r.addr) {
				missing = append(missing, r.name)
			}
			continue
		}
		f.Set(r.addr, v)
	}
	return f, missing
}

// Fault is the decoded fault state.
type Fault struct {
	Active        int    // exception number active at the stop (xPSR or ICSR); -1 unknown
	Exception     string // report name: HardFault, MemManage, ..., Lockup, None
	Forced        bool   // HFSR.FORCED: a configurable fault escalated to HardFault
	EscalatedFrom int    // exception number of the escalated configurable fault, 0 if none
	Lockup        bool
	Causes        []Cause
	FaultAddress  uint32
	HasAddress    bool   // MMARVALID or BFARVALID with the register read
	AddressFrom   string // "MMFAR" or "BFAR"
	StackingError bool   // MSTKERR/STKERR: the exception frame is not valid
	Unstacking    bool   // MUNSTKERR/UNSTKERR
	Precise       bool   // a precise cause is set: the stacked PC is the faulting instruction
	// StackLimit is set with STKOF (ARMv8-M): which stack hit its limit.
	// When its SP is at or below the limit, exception entry could not
	// stack the frame, and StackingError is set too.
	StackLimit *StackLimitHit
	Notes      []string
}

// A StackLimitHit is an ARMv8-M stack limit violation (STKOF), with the
// stack pointer and its limit register as captured.
type StackLimitHit struct {
	Stack     string // "MSP" or "PSP"; "" when unknown
	SP, Limit uint32
	HaveSP    bool
	HaveLimit bool
}

// AtLimit reports an SP at or below its limit: the core stops stacking at
// the limit, so the exception frame was not written.
func (h StackLimitHit) AtLimit() bool { return h.HaveSP && h.HaveLimit && h.SP <= h.Limit }

// Sentence explains the overflow in words, e.g. "PSP 0x38000000 reached
// PSPLIM 0x38000000: the stack of the thread overflowed".
func (h StackLimitHit) Sentence() string {
	owner := "the stack"
	switch h.Stack {
	case "PSP":
		owner = "the stack of the thread (PSP)"
	case "MSP":
		owner = "the main stack (MSP, used by handlers and by code before the scheduler starts)"
	}
	lim := "PSPLIM"
	if h.Stack == "MSP" {
		lim = "MSPLIM"
	}
	switch {
	case h.Stack == "" || !h.HaveSP:
		return "a stack pointer went below its stack limit register (MSPLIM/PSPLIM): a stack overflow; the stack pointers were not captured, so which stack is not known"
	case !h.HaveLimit:
		return fmt.Sprintf("%s 0x%08x went below %s (not captured): %s overflowed", h.Stack, h.SP, lim, owner)
	case h.SP < h.Limit:
		return fmt.Sprintf("%s 0x%08x went below %s 0x%08x: %s overflowed by %d bytes", h.Stack, h.SP, lim, h.Limit, owner, h.Limit-h.SP)
	case h.SP == h.Limit:
		return fmt.Sprintf("%s 0x%08x reached %s 0x%08x: %s overflowed; the core stopped stacking at the limit, so the exception frame was not written and the faulting code's r0-r3, r12, lr, pc and xPSR are lost", h.Stack, h.SP, lim, h.Limit, owner)
	}
	return fmt.Sprintf("%s 0x%08x is %d bytes above %s 0x%08x: the push or SP update that faulted would have gone below it; %s overflowed", h.Stack, h.SP, h.SP-h.Limit, lim, h.Limit, owner)
}

// stackLimitHit works out which stack an STKOF hit: the one EXC_RETURN
// says the frame went to, else the one at or below its limit.
func stackLimitHit(regs map[string]uint32) *StackLimitHit {
	get := func(stack string) StackLimitHit {
		n := strings.ToLower(stack)
		h := StackLimitHit{Stack: stack}
		h.SP, h.HaveSP = regs[n]
		h.Limit, h.HaveLimit = regs[n+"lim"]
		return h
	}
	if lr, ok := regs["lr"]; ok && ExcReturn(lr).Valid() {
		h := get("MSP")
		if ExcReturn(lr).PSP() {
			h = get("PSP")
		}
		return &h
	}
	for _, s := range []string{"PSP", "MSP"} {
		if h := get(s); h.AtLimit() && h.Limit != 0 {
			return &h
		}
	}
	return &StackLimitHit{}
}

// Decode interprets the fault registers together with the registers at the
// stop (for xPSR and PC) and the trigger kind ("lockup" when the debugger
// stopped the core because it locked up).
func Decode(core Core, regs map[string]uint32, f FaultRegs, trigger string) Fault {
	d := Fault{Active: -1}
	if x, ok := regs["xpsr"]; ok {
		d.Active = Xpsr(x).Exception()
	} else if f.Has(AddrICSR) {
		d.Active = f.ICSR.VECTACTIVE()
	}
	d.Causes = core.Causes(f)
	for _, c := range d.Causes {
		if c.Precise {
			d.Precise = true
		}
	}
	d.Forced = core.HasCFSR() && f.Has(AddrHFSR) && f.HFSR.FORCED()
	if core.HasCFSR() && f.Has(AddrCFSR) {
		d.StackingError = f.CFSR.StackingError()
		d.Unstacking = f.CFSR.UnstackingError()
		if f.CFSR.MMARVALID() && f.Has(AddrMMFAR) {
			d.FaultAddress, d.HasAddress, d.AddressFrom = uint32(f.MMFAR), true, "MMFAR"
		} else if f.CFSR.BFARVALID() && f.Has(AddrBFAR) {
			d.FaultAddress, d.HasAddress, d.AddressFrom = uint32(f.BFAR), true, "BFAR"
		}
		if core.HasStackLimit() && f.CFSR.STKOF() {
			d.StackLimit = stackLimitHit(regs)
			if d.StackLimit.AtLimit() {
				d.StackingError = true
			}
		}
		if d.Forced {
			for _, c := range d.Causes {
				if c.Register == "CFSR" {
					d.EscalatedFrom = c.Exception
					break
				}
			}
			if d.EscalatedFrom != 0 && f.Has(AddrSHCSR) && !f.SHCSR.Enabled(d.EscalatedFrom) {
				d.Notes = append(d.Notes, fmt.Sprintf("%s is disabled in SHCSR, so it escalated to HardFault; enabling it (SHCSR 0xE000ED24) gives it its own handler", ExceptionName(d.EscalatedFrom)))
			}
		}
	}
	if core.HasStackLimit() && !d.HasAddress && f.Has(AddrSFSR) && f.Has(AddrSFAR) && f.SFSR.SFARVALID() {
		d.FaultAddress, d.HasAddress, d.AddressFrom = uint32(f.SFAR), true, "SFAR"
	}
	pc, havePC := regs["pc"]
	switch {
	case f.Has(AddrDHCSR) && f.DHCSR.S_LOCKUP():
		d.Lockup = true
	case trigger == "lockup":
		d.Lockup = true
	case havePC && IsLockupPC(core, pc):
		d.Lockup = true
	}
	switch {
	case d.Lockup:
		d.Exception = "Lockup"
	case d.Active >= ExcNMI && ExceptionName(d.Active) != "None":
		d.Exception = ExceptionName(d.Active)
	default:
		d.Exception = "None"
		// The handler may have moved on (a panic routine, a serial report):
		// the sticky status bits still tell what happened.
		if inferred := inferException(d); inferred != ExcNone {
			d.Exception = ExceptionName(inferred)
			where := "no exception was active at the stop"
			if d.Active > 0 {
				where = ExceptionLabel(d.Active) + " was active at the stop, not a fault handler"
			} else if d.Active < 0 {
				where = "the active exception is unknown (no xPSR or ICSR)"
			}
			d.Notes = append(d.Notes, fmt.Sprintf("the exception is inferred from the sticky fault status bits: %s", where))
		}
	}
	if f.Has(AddrSHCSR) {
		for _, n := range f.SHCSR.Active() {
			if n != d.Active && d.Active > 0 {
				d.Notes = append(d.Notes, fmt.Sprintf("SHCSR shows %s active as well: the fault happened while its handler was running or preempted", ExceptionName(n)))
			}
		}
	}
	return d
}

// inferException guesses the fault from status bits alone.
func inferException(d Fault) int {
	for _, c := range d.Causes {
		if c.Register == "HFSR" {
			return ExcHardFault
		}
	}
	if len(d.Causes) > 0 {
		return d.Causes[0].Exception
	}
	return ExcNone
}

// FetchFault reports a cause whose stacked PC is a target that could not
// be fetched (IACCVIOL, IBUSERR, INVSTATE); QEMU stacks such frames with
// the T bit clear.
func (d Fault) FetchFault() bool {
	for _, n := range []string{"IACCVIOL", "IBUSERR", "INVSTATE"} {
		if _, ok := d.Cause(n); ok {
			return true
		}
	}
	return false
}

// Cause returns the cause with the given bit name, if set.
func (d Fault) Cause(name string) (Cause, bool) {
	for _, c := range d.Causes {
		if c.Name == name {
			return c, true
		}
	}
	return Cause{}, false
}

// CauseNames lists the set bit names, HFSR first.
func (d Fault) CauseNames() []string {
	out := make([]string, 0, len(d.Causes))
	for _, c := range d.Causes {
		out = append(out, c.Name)
	}
	return out
}
