// Package gdbcompare crashes a firmware image in QEMU twice, once under
// stock gdb-multiarch and once under `faultline capture`, so tests can hold
// faultline's frames against gdb's `bt` and against the truth from the
// source.
//
// It is test machinery: it starts processes (qemu-system-arm,
// gdb-multiarch, go build, the faultline binary) and must not be imported by
// the tool itself. Every call is bounded by its context and a timeout of its
// own, and stops the emulator it started.
//
// Quirks it handles:
//   - QEMU does not stop on a fault (FACTS.md section 3): gdb breaks on the
//     fault handlers named by the ELF's vector table (entries 2-6, bit 0
//     cleared), plus Program.StopAt for handlers a relocated table adds.
//   - QEMU aborts the whole emulator on lockup; gdb then sees the remote
//     end close, which GDB reports as an error with gdb's output.
//   - gdb's bt puts the handler at #0 and "<signal handler called>" at each
//     exception frame; both are removed, so the frames compare with a
//     report's (which never include the handler).
package gdbcompare
