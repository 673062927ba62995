/* minithread.h: start one thread on PSP the way small RTOS ports do: an
 * initial exception frame on the thread's stack (PC = entry, LR = the exit
 * trap) and an SVC whose handler returns into it with EXC_RETURN
 * 0xFFFFFFFD. Header-only so each program carries its own copy. */
#ifndef MINITHREAD_H
#define MINITHREAD_H

#include "cmsis_lite.h"

__attribute__((used)) uint32_t g_thread_psp;

__attribute__((noreturn, noinline)) void thread_exit_trap(void)
{
	for (;;)
		__asm volatile("" ::: "memory");
}

__attribute__((naked)) void SVC_Handler(void)
{
	__asm volatile(
	    "ldr r0, =g_thread_psp\n"
	    "ldr r0, [r0]\n"
	    "adds r0, r0, #32\n" /* the frame exception return pops */
	    "msr psp, r0\n"
	    "subs r0, r0, #32\n"
	    "msr psp, r0\n"
	    "ldr r0, =0xFFFFFFFD\n"
	    "bx r0\n"
	    ".pool\n");
}

static inline void thread_start(void (*entry)(void), uint32_t *stack_top)
{
	uint32_t *sp = stack_top - 8;
	for (int i = 0; i < 5; i++)
		sp[i] = 0; /* r0-r3, r12 */
	sp[5] = (uint32_t)(uintptr_t)thread_exit_trap;
	sp[6] = (uint32_t)(uintptr_t)entry & ~1u;
	sp[7] = 1u << 24; /* xPSR: Thumb */
	g_thread_psp = (uint32_t)(uintptr_t)sp;
	__asm volatile("svc 0" ::: "memory");
}

#endif
