// Package forensics explains why a program went wrong rather than where:
// given what the analysis already knows (a Crash: the capture, the image,
// the decoded fault and the unwound frames) it walks newlib's malloc heap,
// follows typed pointers from every global, checks vtables, traces where a
// bad PC or address is stored, recognises stack overflows into guards and
// below task stacks, and finds a lockup's first fault. Run adds the
// findings to the report and puts the best-supported cause in front of its
// summary.
//
// It needs DWARF variables; it must not unwind, decode fault registers or
// render reports itself (it imports fault, unwind and report for their
// types), and it must not do I/O beyond the capture and image it is given.
//
// Quirks it handles:
//   - newlib's malloc heap is walked from its symbols (__malloc_av_ and
//     __malloc_sbrk_base for the standard dlmalloc, __malloc_sbrk_start and
//     __malloc_free_list for newlib-nano, _sbrk::heap_end when DWARF has
//     it); a corrupt heap ends the walk with a heap-corruption finding.
//   - Typed pointers are followed from every global breadth-first, so each
//     object gets its shortest name; polymorphic objects by the dynamic
//     type their vptr names. The report says which pointers still point
//     into freed blocks (dangling-pointer), which objects' vptrs are not a
//     vtable of their type (corrupt-vtable), where a wild PC or bad
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
//   - A lockup's first fault frame may hold a wild PC: it is accepted only
//     for a fetch fault whose LR is right after a call.
package forensics
