// Package rtos reads an RTOS's own bookkeeping out of a crashed target's
// memory: FreeRTOS's task list (each task's name, state, priority, stack
// bounds and use, and the registers the port saved when it was switched
// out) and its heap (heap_4 and heap_5 block headers and free list);
// Zephyr's thread list (_kernel.threads, CONFIG_THREAD_MONITOR) with the
// same per-thread facts (zephyr.go).
//
// Everything comes from the firmware's symbols and DWARF types and the
// captured memory: no RTOS configuration, no hard-coded structure offsets
// where DWARF describes the structure. Layouts that DWARF cannot describe
// (the context a port's PendSV handler pushes) follow the ports' assembly
// in FreeRTOS-Kernel V11 (portable/GCC/ARM_CM3, ARM_CM4F, ARM_CM0).
//
// The package does no I/O and never panics on bad memory: a corrupt list
// or TCB becomes a Problem, and what could not be read is left unknown.
package rtos
