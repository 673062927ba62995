// Package coreserver is a read-only GDB remote stub over a capture file:
// `faultline serve` puts it on a TCP port so stock gdb (arm-none-eabi-gdb,
// gdb-multiarch) can `target remote` to a crash that happened elsewhere and
// use bt, info registers, x, print as if it were attached to the halted
// target.
//
// What it serves:
//   - registers: the capture's registers as read (the core stopped where
//     faultline caught it, usually the fault handler's first instruction),
//     including the system registers msp, psp, primask, basepri, faultmask
//     and control (feature org.gnu.gdb.arm.m-system, QEMU's layout). That
//     is what a core file cannot give gdb 13: with psp gdb unwinds an
//     exception frame stacked on the process stack (an RTOS thread or a
//     thread-mode program using PSP). A register the capture lacks is sent
//     as unavailable ("xxxxxxxx"), never as a made-up 0.
//   - memory: the captured regions first, then the ELF's loaded contents
//     (flash) for what the capture did not read; anything else answers E14
//     (EFAULT), as QEMU's stub does for unmapped memory, and gdb prints
//     "Cannot access memory".
//   - target.xml through qXfer:features:read (M-profile core), qSupported
//     with PacketSize and QStartNoAckMode, '?' as S05 (SIGTRAP, what a
//     halted target reports), one thread.
//
// What it must not do: change anything. Memory and register writes answer
// E01 and resume (c, s, vCont, C, S) answers an 'O' console message saying
// why, then E01, which gdb shows as the message and "Remote failure reply"
// with the target still stopped. The 'O' message is only sent where gdb
// reads console output (while waiting for a stop reply or a monitor
// command's output): before the reply to 'M' or 'P' gdb would take it as
// the reply itself, so writes get the bare E01 and the message goes to the
// server's log (Config.Log). Breakpoints are refused the same way.
//
// Several clients may connect at once; each sees the same frozen target.
package coreserver
