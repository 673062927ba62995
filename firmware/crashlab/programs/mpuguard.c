/* mpuguard: a stack overflow caught by an MPU guard region. The thread runs
 * on its own 1 KiB process stack (CONTROL.SPSEL = 1) whose lowest 32 bytes
 * are an MPU region with no access (RNR 0, the guard); the background map
 * covers everything else (PRIVDEFENA). recurse() takes about 270 bytes of
 * stack per call and fills its buffer from the top down, so the write that
 * reaches the guard happens with SP already below it: MemManage (enabled),
 * DACCVIOL, MMFAR in the guard (thread_stack+0x1c), and the exception frame
 * below the guard is intact. The handler runs on MSP. An analysis should
 * report a stack overflow into the guard of thread_stack. */
#include "crashlab.h"

const char program_name[] = "mpuguard";

#define MPU_CTRL REG32(0xE000ED94u)
#define MPU_RNR  REG32(0xE000ED98u)
#define MPU_RBAR REG32(0xE000ED9Cu)
#define MPU_RASR REG32(0xE000EDA0u)

uint32_t thread_stack[256] __attribute__((aligned(1024)));
volatile uint32_t depth;
volatile uint32_t max_depth = 0xffffffffu; /* never reached */

NOINLINE uint32_t recurse(uint32_t n)
{
	/* Filled from the top down, as a local buffer is: the write that
	 * reaches the guard comes after SP has already moved below it, so the
	 * exception frame can still be stacked. */
	volatile uint32_t buf[64];
	for (int i = 63; i >= 0; i--)
		buf[i] = n;
	depth = n;
	if (n >= max_depth)
		return buf[0];
	return recurse(n + 1) + buf[n & 63];
}

NOINLINE void thread_main(void)
{
	recurse(0);
}

int main(void)
{
	start(program_name);
	SCB_SHCSR |= SHCSR_MEMFAULTENA;
	/* Region 0: the lowest 32 bytes of thread_stack, no access (AP=000),
	 * execute never, size 2^(4+1) = 32, enabled. */
	MPU_RNR = 0;
	MPU_RBAR = (uint32_t)thread_stack;
	MPU_RASR = (1u << 28) | (0u << 24) | (4u << 1) | 1u;
	MPU_CTRL = (1u << 2) | 1u; /* PRIVDEFENA | ENABLE */
	__asm volatile("dsb\n\tisb" ::: "memory");
	uint32_t top = (uint32_t)&thread_stack[256];
	__asm volatile("msr psp, %0\n\t"
		       "msr control, %1\n\t"
		       "isb"
		       :
		       : "r"(top), "r"(2u)
		       : "memory");
	thread_main();
	return 0;
}
