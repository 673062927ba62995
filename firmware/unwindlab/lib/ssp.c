/* ssp.c: what -fstack-protector-strong code calls, for the images without
 * newlib: the canary the prologues copy and the check's failure path. */
#include "board.h"

uintptr_t __stack_chk_guard = 0xe2dee396u;

__attribute__((noreturn)) void __stack_chk_fail(void)
{
	console_write("stack smashed\n");
	for (;;)
		__asm volatile("bkpt #1");
}
