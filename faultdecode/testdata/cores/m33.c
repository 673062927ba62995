/* Stack limit overflows of an ARMv8-M Mainline core (QEMU mps2-an505,
   Cortex-M33): SCENARIO 1 overflows a thread stack on PSP past PSPLIM,
   SCENARIO 2 the main stack past MSPLIM. */
#include <stdint.h>

uint32_t task_stack[256] __attribute__((aligned(8)));
extern uint32_t _sbss;
volatile uint32_t depth;

__attribute__((noinline)) uint32_t recurse(uint32_t n)
{
	volatile uint32_t pad[8];
	pad[0] = n;
	depth = n;
	return recurse(n + 1) + pad[0];
}

int main(void)
{
#if SCENARIO == 1
	uint32_t lim = (uint32_t)&task_stack[0];
	uint32_t top = (uint32_t)&task_stack[256];
	__asm__ volatile("msr psplim, %0\n\tmsr psp, %1\n\tmovs r0, #2\n\tmsr control, r0\n\tisb" : : "r"(lim), "r"(top) : "r0", "memory");
	recurse(0);
#elif SCENARIO == 2
	/* the main stack may use the top 2 KiB of RAM */
	uint32_t lim = (uint32_t)&_sbss + 62 * 1024;
	__asm__ volatile("msr msplim, %0" : : "r"(lim) : "memory");
	recurse(0);
#endif
	for (;;)
		;
}
