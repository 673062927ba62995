// Package fault holds faultline's Cortex-M register knowledge: the fault
// registers (CFSR, HFSR, DFSR, MMFAR, BFAR, SHCSR, DHCSR, ICSR, SFSR,
// SFAR) as named types bound to their addresses, what their bits mean
// (Cause), which core a capture came from (CPUID, the ELF, the board) and
// how that core differs (Core), the decoded fault state (Decode), exception
// frames and EXC_RETURN, the register file, the Memory interface every
// faultdecode package reads through, and the Thumb decoding the others
// need (calls before a return address, the instruction at a PC).
//
// It knows nothing of images, frames or reports, and imports no other
// faultdecode package. It must not do I/O beyond the Memory it is handed.
//
// Quirks it handles:
//   - MMFAR and BFAR are shown only while MMARVALID/BFARVALID are set (on
//     M3/M4 they share one register); SFAR only while SFARVALID is.
//   - A stacking error (MSTKERR/STKERR, or STKOF with SP at its limit)
//     marks the exception frame as not valid (Fault.StackingError).
//   - Stacked xPSR bit 9 adds 4 bytes of realignment padding; EXC_RETURN bit
//     4 clear means a 0x68-byte FP frame; bit 2 means the frame is on PSP.
//   - Lockup: DHCSR.S_LOCKUP, a "lockup" trigger (OpenOCD's "clearing lockup
//     after double fault" stop) or a PC of 0xFFFFFFFE (0xEFFFFFFE on v8-M).
//     QEMU does not model lockup at all.
//   - Per-architecture behaviour is data: ForCore picks v6-M (no CFSR),
//     v7-M or v8-M (lockup PC 0xEFFFFFFE, STKOF); IdentifyCore prefers
//     CPUID, then the ELF's Tag_CPU_arch, then the board name.
//   - With no fault active at the stop (the handler moved on), the sticky
//     status bits still name the exception, and a note says it is inferred.
//   - Thumb decoding is hand-written: no library decodes Thumb-2
//     (golang.org/x/arch/arm is A32 only), and only calls, loads, stores
//     and traps matter here.
package fault
