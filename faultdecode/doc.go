// Package faultdecode holds faultline's Cortex-M knowledge: it decodes the
// fault registers (CFSR, HFSR, DFSR, MMFAR, BFAR, SHCSR, DHCSR, ICSR),
// exception frames and EXC_RETURN, unwinds the faulting call chain across
// exception frames, and turns a capture.Snapshot plus an elfsym.Image into
// the "faultline.report/v1" Report (JSON, text, Markdown).
//
// It must not do I/O beyond the Memory and image it is handed: no files, no
// target access, no clocks. Live sessions and capture files reach it through
// the same Snapshot, so live and post-mortem reports are identical.
//
// Quirks it handles:
//   - MMFAR and BFAR are shown only while MMARVALID/BFARVALID are set (on
//     M3/M4 they share one register).
//   - A stacking error (MSTKERR/STKERR) means the exception frame in memory
//     is garbage: no frame is built from it and the report says so.
//   - IMPRECISERR: the stacked PC is past the failing store, so frame 0 is
//     "exception-frame", not "fault-pc".
//   - Stacked xPSR bit 9 adds 4 bytes of realignment padding; EXC_RETURN bit
//     4 clear means a 0x68-byte FP frame; bit 2 means the frame is on PSP.
//   - Lockup: DHCSR.S_LOCKUP, a "lockup" trigger (OpenOCD's "clearing lockup
//     after double fault" stop) or a PC of 0xFFFFFFFE (0xEFFFFFFE on v8-M).
//     QEMU does not model lockup at all.
//   - Callers are looked up at return address - 2 (the call), never at the
//     return address, with the Thumb bit cleared; a wild PC falls back to
//     LR (the callee never ran), and a missing FDE to a stack scan that
//     accepts only words right after a BL/BLX.
//   - A wild PC stays frame 0, named "??" as addr2line does; its caller
//     comes from LR ("lr", likely), and whether the instruction before LR is
//     a BLX Rm (a bad function pointer) or a BL (then a corrupt return
//     address) decides how the summary words it.
//   - A stop past the handler's prologue (a breakpoint on the handler's
//     name) is handled by taking the exception frame at the handler's CFA
//     and restoring the r4-r11 it pushed.
//   - A lockup with LR no longer an EXC_RETURN: a plausible exception frame
//     near SP is used, marked as a guess.
//   - Per-architecture behaviour is data: ForCore picks v6-M (no CFSR),
//     v7-M or v8-M (lockup PC 0xEFFFFFFE, STKOF).
//   - Root cause (rootcause.go and its neighbours), when the image has
//     DWARF variables: newlib's malloc heap is walked from its symbols
//     (__malloc_av_ and __malloc_sbrk_base for the standard dlmalloc,
//     __malloc_sbrk_start and __malloc_free_list for newlib-nano), typed
//     pointers are followed from every global (breadth-first, so each
//     object gets its shortest name; polymorphic objects by the dynamic
//     type their vptr names), and the report says which pointers still
//     point into freed blocks (dangling-pointer), which objects' vptrs are
//     not a vtable of their type (corrupt-vtable), where a wild PC or bad
//     address is stored (pointer-source, named "servers->server->clients[2]"
//     or "heap block 0x20001a40 (24 bytes, free)"), stack overflows into a
//     guard or below a task's stack array, and, for a lockup, the first
//     fault's exception frame. The best-supported cause leads the summary.
//   - A freed dlmalloc chunk's first words are free-list links into the
//     bins in __malloc_av_, so a stale object's "vptr" often points there
//     and a virtual call through it jumps into malloc's state: that chain
//     is reported as it is, not as two unrelated oddities.
//   - Members of unions are only one reading of the bytes: a union's
//     pointer is followed only when its target's vptr confirms the type,
//     and is never reported as a corrupt vtable.
package faultdecode
