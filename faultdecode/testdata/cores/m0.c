/* Crashes of an ARMv6-M core (QEMU microbit, Cortex-M0), one per
   SCENARIO: ARMv6-M has no fault status registers, so faultline must
   explain each HardFault from the faulting instruction. */
#include <stdint.h>

volatile uint32_t sink;
volatile uintptr_t where = 0x20000002; /* not word-aligned */

__attribute__((noinline)) uint32_t read_word(volatile uint32_t *p)
{
	return *p; /* scenario 1: an unaligned load */
}

__attribute__((noinline)) void trap(void)
{
	__asm__ volatile("udf #42"); /* scenario 2 */
}

__attribute__((noinline)) void target(void) { sink = 1; }

__attribute__((noinline)) void call_even(void)
{
	/* scenario 3: a function pointer without its Thumb bit */
	void (*fn)(void) = (void (*)(void))((uintptr_t)target & ~1u);
	fn();
}

__attribute__((noinline)) void store_word(volatile uint32_t *p, uint32_t v)
{
	*p = v; /* scenario 4: a store to memory that does not exist */
}

int main(void)
{
#if SCENARIO == 1
	sink = read_word((volatile uint32_t *)where);
#elif SCENARIO == 2
	trap();
#elif SCENARIO == 3
	call_even();
#elif SCENARIO == 4
	store_word((volatile uint32_t *)0x30000000, 7);
#endif
	for (;;)
		;
}
