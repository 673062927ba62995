// Package unwind finds the faulting call chain: the Unwinder walks frames
// innermost first (CFI, exception frames, LR, prologue analysis, stack
// scan, tail calls), recording how each frame was found and how sure that
// is, and Stacks finds where each stack ends (the vector table's initial
// SP, the linker's stack symbols, the object or RTOS task stack that holds
// a thread's SP).
//
// It knows registers and exception frames through package fault and the
// image through the Program interface; it must not decide what the crash
// means (that is faultdecode's and forensics') nor import them. It never
// loops: a depth cap, SPs that must grow, and stops at PC 0, at the stack
// top, and when neither CFI nor the stack scan finds a caller.
//
// Quirks it handles:
//   - Callers are looked up at return address - 2 (the call), never at the
//     return address, with the Thumb bit cleared; a wild PC falls back to
//     LR (the callee never ran), and a missing FDE (code built without
//     -g, assembly) first to the ARM EHABI index (.ARM.exidx/.ARM.extab,
//     elfsym.ExidxRule: C++ with exceptions, -funwind-tables; how
//     "exidx", certain at a call site as gdb's arm_exidx_unwind_sniffer
//     assumes, and in the faulting frame only where prologue analysis
//     confirms its CFA, then likely: the table does not describe
//     prologues and epilogues; EXIDX_CANTUNWIND is no bottom, clang puts
//     it on every C function), then to prologue analysis
//     (fault.AnalyzePrologue, as gdb's thumb_analyze_prologue: how
//     "prologue", at best likely), then to a stack scan that accepts only
//     words right after a BL/BLX.
//   - A wild return leaves the function whose call the scan found open:
//     it is shown at its entry, a guess.
//   - Tail calls are restored from DWARF call-site information (or the BL
//     before the return address) only when exactly one chain leads to the
//     callee, as gdb does.
//   - A function whose CFI never saved LR does not return (a task entry, a
//     main loop): it is the bottom; so are reset handlers, RTOS thread
//     trampolines and return addresses an RTOS planted (prvTaskExitError).
//   - A naked context switch without CFI (FreeRTOS's xPortPendSVHandler)
//     saved its EXC_RETURN on the stack: the scan follows it into the task,
//     taking r4-r11 from below the task's exception frame.
//   - GCC describes part of a split function as inlined into itself: that
//     copy is dropped; a real recursive inline is kept.
//   - The main stack's top is a hard bottom; a thread's is not (code that
//     switched stacks may still have callers).
package unwind
