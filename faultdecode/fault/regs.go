package fault

// Addresses of the System Control Block and debug registers that hold the
// fault state (FACTS.md section 1). Each named register type below reports
// its own address through Address so a caller never pairs a value with the
// wrong location.
const (
	AddrACTLR = 0xE000E008
	AddrCPUID = 0xE000ED00
	AddrICSR  = 0xE000ED04
	AddrVTOR  = 0xE000ED08
	AddrCCR   = 0xE000ED14
	AddrSHCSR = 0xE000ED24
	AddrCFSR  = 0xE000ED28
	AddrHFSR  = 0xE000ED2C
	AddrDFSR  = 0xE000ED30
	AddrMMFAR = 0xE000ED34
	AddrBFAR  = 0xE000ED38
	AddrSFSR  = 0xE000EDE4 // ARMv8-M with the Security Extension
	AddrSFAR  = 0xE000EDE8
	AddrDHCSR = 0xE000EDF0
	AddrDEMCR = 0xE000EDFC
)

func bit(v uint32, n uint) bool { return v&(1<<n) != 0 }

// Cfsr is the Configurable Fault Status Register: MMFSR in [7:0], BFSR in
// [15:8], UFSR in [31:16].
type Cfsr uint32

// Address is where the register lives.
func (Cfsr) Address() uint64 { return AddrCFSR }

func (r Cfsr) IACCVIOL() bool    { return bit(uint32(r), 0) }
func (r Cfsr) DACCVIOL() bool    { return bit(uint32(r), 1) }
func (r Cfsr) MUNSTKERR() bool   { return bit(uint32(r), 3) }
func (r Cfsr) MSTKERR() bool     { return bit(uint32(r), 4) }
func (r Cfsr) MLSPERR() bool     { return bit(uint32(r), 5) }
func (r Cfsr) MMARVALID() bool   { return bit(uint32(r), 7) }
func (r Cfsr) IBUSERR() bool     { return bit(uint32(r), 8) }
func (r Cfsr) PRECISERR() bool   { return bit(uint32(r), 9) }
func (r Cfsr) IMPRECISERR() bool { return bit(uint32(r), 10) }
func (r Cfsr) UNSTKERR() bool    { return bit(uint32(r), 11) }
func (r Cfsr) STKERR() bool      { return bit(uint32(r), 12) }
func (r Cfsr) LSPERR() bool      { return bit(uint32(r), 13) }
func (r Cfsr) BFARVALID() bool   { return bit(uint32(r), 15) }
func (r Cfsr) UNDEFINSTR() bool  { return bit(uint32(r), 16) }
func (r Cfsr) INVSTATE() bool    { return bit(uint32(r), 17) }
func (r Cfsr) INVPC() bool       { return bit(uint32(r), 18) }
func (r Cfsr) NOCP() bool        { return bit(uint32(r), 19) }
func (r Cfsr) STKOF() bool       { return bit(uint32(r), 20) } // ARMv8-M Mainline only
func (r Cfsr) UNALIGNED() bool   { return bit(uint32(r), 24) }
func (r Cfsr) DIVBYZERO() bool   { return bit(uint32(r), 25) }

// MMFSR, BFSR and UFSR are the three sub-registers.
func (r Cfsr) MMFSR() uint8 { return uint8(r) }
func (r Cfsr) BFSR() uint8  { return uint8(r >> 8) }
func (r Cfsr) UFSR() uint16 { return uint16(r >> 16) }

// StackingError says the exception entry push itself faulted: the frame in
// memory is not the interrupted context.
func (r Cfsr) StackingError() bool { return r.MSTKERR() || r.STKERR() }

// UnstackingError says the exception return pop faulted.
func (r Cfsr) UnstackingError() bool { return r.MUNSTKERR() || r.UNSTKERR() }

// Hfsr is the HardFault Status Register.
type Hfsr uint32

func (Hfsr) Address() uint64  { return AddrHFSR }
func (r Hfsr) VECTTBL() bool  { return bit(uint32(r), 1) }
func (r Hfsr) FORCED() bool   { return bit(uint32(r), 30) }
func (r Hfsr) DEBUGEVT() bool { return bit(uint32(r), 31) }

// Dfsr is the Debug Fault Status Register: why the core halted.
type Dfsr uint32

func (Dfsr) Address() uint64  { return AddrDFSR }
func (r Dfsr) HALTED() bool   { return bit(uint32(r), 0) }
func (r Dfsr) BKPT() bool     { return bit(uint32(r), 1) }
func (r Dfsr) DWTTRAP() bool  { return bit(uint32(r), 2) }
func (r Dfsr) VCATCH() bool   { return bit(uint32(r), 3) }
func (r Dfsr) EXTERNAL() bool { return bit(uint32(r), 4) }

// Mmfar is the MemManage Fault Address Register; meaningful only while
// CFSR.MMARVALID is set.
type Mmfar uint32

func (Mmfar) Address() uint64 { return AddrMMFAR }

// Valid reports whether the value may be shown, given the CFSR read after it
// (on M3/M4 MMFAR and BFAR share one physical register).
func (Mmfar) Valid(c Cfsr) bool { return c.MMARVALID() }

// Bfar is the BusFault Address Register; meaningful only while
// CFSR.BFARVALID is set.
type Bfar uint32

func (Bfar) Address() uint64   { return AddrBFAR }
func (Bfar) Valid(c Cfsr) bool { return c.BFARVALID() }

// Shcsr is the System Handler Control and State Register: which configurable
// fault handlers are enabled and which are active.
type Shcsr uint32

func (Shcsr) Address() uint64     { return AddrSHCSR }
func (r Shcsr) MEMFAULTACT() bool { return bit(uint32(r), 0) }
func (r Shcsr) BUSFAULTACT() bool { return bit(uint32(r), 1) }
func (r Shcsr) USGFAULTACT() bool { return bit(uint32(r), 3) }
func (r Shcsr) SVCALLACT() bool   { return bit(uint32(r), 7) }
func (r Shcsr) MEMFAULTENA() bool { return bit(uint32(r), 16) }
func (r Shcsr) BUSFAULTENA() bool { return bit(uint32(r), 17) }
func (r Shcsr) USGFAULTENA() bool { return bit(uint32(r), 18) }

// Enabled reports whether the configurable fault with exception number n
// (4, 5, 6) has its own handler enabled; a disabled one escalates to HardFault.
func (r Shcsr) Enabled(n int) bool {
	switch n {
	case ExcMemManage:
		return r.MEMFAULTENA()
	case ExcBusFault:
		return r.BUSFAULTENA()
	case ExcUsageFault:
		return r.USGFAULTENA()
	}
	return true
}

// Active lists the configurable faults whose handlers are active (running or
// preempted), as exception numbers.
func (r Shcsr) Active() []int {
	var out []int
	if r.MEMFAULTACT() {
		out = append(out, ExcMemManage)
	}
	if r.BUSFAULTACT() {
		out = append(out, ExcBusFault)
	}
	if r.USGFAULTACT() {
		out = append(out, ExcUsageFault)
	}
	return out
}

// Sfsr is the SecureFault Status Register (ARMv8-M with the Security
// Extension, Secure state only).
type Sfsr uint32

func (Sfsr) Address() uint64   { return AddrSFSR }
func (r Sfsr) SFARVALID() bool { return bit(uint32(r), 6) }

// Sfar is the SecureFault Address Register; meaningful only while
// SFSR.SFARVALID is set.
type Sfar uint32

func (Sfar) Address() uint64   { return AddrSFAR }
func (Sfar) Valid(s Sfsr) bool { return s.SFARVALID() }

// Dhcsr is the Debug Halting Control and Status Register.
type Dhcsr uint32

func (Dhcsr) Address() uint64    { return AddrDHCSR }
func (r Dhcsr) C_DEBUGEN() bool  { return bit(uint32(r), 0) }
func (r Dhcsr) C_HALT() bool     { return bit(uint32(r), 1) }
func (r Dhcsr) S_HALT() bool     { return bit(uint32(r), 17) }
func (r Dhcsr) S_LOCKUP() bool   { return bit(uint32(r), 19) }
func (r Dhcsr) S_RESET_ST() bool { return bit(uint32(r), 25) }

// Icsr is the Interrupt Control and State Register.
type Icsr uint32

func (Icsr) Address() uint64 { return AddrICSR }

// VECTACTIVE is the active exception number (0 = thread mode).
func (r Icsr) VECTACTIVE() int { return int(r & 0x1FF) }

// Xpsr is the combined program status register.
type Xpsr uint32

// Exception is the IPSR field: the active exception number, 0 in thread mode.
func (r Xpsr) Exception() int { return int(r & 0x1FF) }

// ReservedException reports an IPSR no core ever stacks: the numbers
// ARMv7-M and ARMv8-M reserve (7-10, 13; 7 is SecureFault on ARMv8-M with
// the Security Extension). Such an xPSR was not stacked by an exception
// entry: the frame was read from the wrong place.
func (r Xpsr) ReservedException() bool {
	switch r.Exception() {
	case 8, 9, 10, 13:
		return true
	}
	return false
}

// Thumb is the T bit (24); it must be 1 on M-profile, 0 means INVSTATE.
func (r Xpsr) Thumb() bool { return bit(uint32(r), 24) }

// Realigned is stacked xPSR bit 9: the core added 4 bytes of padding to
// 8-byte-align the frame, so the pre-exception SP is 4 bytes higher.
func (r Xpsr) Realigned() bool { return bit(uint32(r), 9) }

// ExcReturn is the value in LR inside an exception handler.
type ExcReturn uint32

// IsExcReturn reports whether v is an EXC_RETURN rather than a code address
// (FACTS.md: any LR >= 0xFFFFFFE0 on v6-M/v7-M; v8-M uses the whole 0xFF
// prefix).
func IsExcReturn(v uint32) bool { return v >= 0xFF000000 }

// Valid reports whether r is an architecturally defined EXC_RETURN: bits
// [31:7] all ones, bit 1 clear, and not "handler mode on PSP". This rejects
// 0xFFFFFFFF, the reset value of LR, which ends a call chain.
func (r ExcReturn) Valid() bool {
	v := uint32(r)
	return v&0xFFFFFF80 == 0xFFFFFF80 && v&2 == 0 && !(v&8 == 0 && v&4 != 0)
}

// ThreadMode reports a return to thread mode (bit 3).
func (r ExcReturn) ThreadMode() bool { return bit(uint32(r), 3) }

// PSP reports that the frame is on the process stack (bit 2).
func (r ExcReturn) PSP() bool { return bit(uint32(r), 2) }

// FPFrame reports an extended frame with s0-s15 and FPSCR (bit 4 clear).
func (r ExcReturn) FPFrame() bool { return !bit(uint32(r), 4) }

// FrameSize is the size in bytes of the stacked frame without realignment.
func (r ExcReturn) FrameSize() uint32 {
	if r.FPFrame() {
		return 0x68
	}
	return 0x20
}

// String describes the return target, e.g. "thread mode, PSP".
func (r ExcReturn) String() string {
	s := "handler mode, MSP"
	if r.ThreadMode() {
		s = "thread mode, MSP"
		if r.PSP() {
			s = "thread mode, PSP"
		}
	}
	if r.FPFrame() {
		s += ", FP frame"
	}
	return s
}

// Exception numbers (xPSR & 0x1FF).
const (
	ExcNone        = 0
	ExcReset       = 1
	ExcNMI         = 2
	ExcHardFault   = 3
	ExcMemManage   = 4
	ExcBusFault    = 5
	ExcUsageFault  = 6
	ExcSecureFault = 7
	ExcSVCall      = 11
	ExcDebugMon    = 12
	ExcPendSV      = 14
	ExcSysTick     = 15
)
