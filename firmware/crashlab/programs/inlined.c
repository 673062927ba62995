/* inlined: built at -O2; the faulting division is in an always_inline
 * function, so the fault PC belongs to an inlined subroutine of
 * process_sample. DIV_0_TRP set, UsageFault disabled: HardFault, FORCED,
 * DIVBYZERO. */
#include "crashlab.h"

const char program_name[] = "inlined";

struct sample {
	int total;
	int count;
};

volatile struct sample current = {1200, 0};

static inline __attribute__((always_inline)) int average(const volatile struct sample *s)
{
	int total = s->total;
	return total / s->count;
}

NOINLINE int process_sample(const volatile struct sample *s)
{
	int avg = average(s);
	return avg * 3 + 1;
}

NOINLINE int run_test(void)
{
	return process_sample(&current) + 1;
}

int main(void)
{
	start(program_name);
	SCB_CCR |= CCR_DIV_0_TRP;
	print_dec((uint32_t)run_test(), 1);
	return 0;
}
