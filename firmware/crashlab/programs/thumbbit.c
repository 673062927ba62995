/* thumbbit: a BLX to a code address with bit 0 clear, which switches the
 * core to ARM state; the M profile has none, so the first instruction of the
 * target faults: UsageFault (enabled), INVSTATE, stacked PC = the target. */
#include <stdint.h>
#include "crashlab.h"

const char program_name[] = "thumbbit";

NOINLINE void thumb_target(void)
{
	print("crashlab: not reached\n");
}

NOINLINE void call_cleared(void (*fn)(void))
{
	uintptr_t addr = (uintptr_t)fn & ~(uintptr_t)1;
	__asm volatile("blx %0"
		       :
		       : "r"(addr)
		       : "r0", "r1", "r2", "r3", "r12", "lr", "cc", "memory");
	print("crashlab: not reached\n");
}

NOINLINE void run_test(void)
{
	call_cleared(thumb_target);
	print("crashlab: not reached\n");
}

int main(void)
{
	start(program_name);
	SCB_SHCSR |= SHCSR_USGFAULTENA;
	run_test();
	return 0;
}
