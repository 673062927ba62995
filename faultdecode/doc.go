// Package faultdecode explains a crash: Analyze turns a capture.Snapshot
// plus an elfsym.Image into the "faultline.report/v1" report.Report. It
// wires the question packages together and writes the report's answer:
//
//   - fault: what the fault registers, the exception frame and the core say;
//   - unwind: how the frames were found;
//   - forensics: why the program went wrong (heap, objects, vtables,
//     pointer provenance, stack guards, a lockup's first fault);
//   - report: the report types, their renderers and the fingerprint.
//
// Here live only the steps that need all of them: finding the faulting
// context, choosing the unwinder's start, the findings about the PC and the
// stack, the summary sentence, console-only reports and, on cores without
// fault status registers, the cause read from the faulting instruction.
//
// It must not do I/O beyond the Memory, image and source reader
// (Options.Source) it is handed: no files of its own, no target access,
// no clocks. Live sessions and capture files reach it through
// the same Snapshot, so live and post-mortem reports are identical. Imports
// go one way: faultdecode imports its packages, never the reverse.
//
// Quirks it handles:
//   - A stacking error (MSTKERR/STKERR) means the exception frame in memory
//     is garbage: no frame is built from it, the report says so, and the
//     callers are found by a stack scan above where stacking failed.
//   - IMPRECISERR: the stacked PC is past the failing store, so frame 0 is
//     "exception-frame", not "fault-pc", and the summary says "shortly
//     before".
//   - A wild PC stays frame 0, named "??" as addr2line does; its caller
//     comes from LR ("lr", likely), and whether the instruction before LR is
//     a BLX Rm (a bad function pointer) or a BL (then a corrupt return
//     address) decides how the summary words it.
//   - A stop past the handler's prologue (a breakpoint on the handler's
//     name) is handled by taking the exception frame at the handler's CFA
//     and restoring the r4-r11 it pushed; a stop deeper inside the handler
//     unwinds the handler's own frames to its exception frame.
//   - A lockup with LR no longer an EXC_RETURN: a plausible exception frame
//     near SP is used, marked as a guess.
//   - QEMU stacks a fetch fault's frame with the T bit clear: such a frame
//     is still plausible, as is any on a core without CFSR.
//   - Words RTOSes paint unused stack with (0xa5a5a5a5, ...) found as a
//     return address mean unused stack, not an overrun.
//   - Cores without CFSR (ARMv6-M, ARMv8-M Baseline): the HardFault's
//     cause is read from the faulting instruction (v6m.go).
package faultdecode
