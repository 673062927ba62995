/* divzero: an integer division by zero with CCR.DIV_0_TRP set and the
 * UsageFault handler enabled: UsageFault, DIVBYZERO. */
#include "crashlab.h"

const char program_name[] = "divzero";

volatile int divisor; /* zero: bss */

NOINLINE int crash_divide(int total, int parts)
{
	return total / parts;
}

NOINLINE int run_test(void)
{
	return crash_divide(1000, divisor) + 1;
}

int main(void)
{
	start(program_name);
	SCB_CCR |= CCR_DIV_0_TRP;
	SCB_SHCSR |= SHCSR_USGFAULTENA;
	print_dec((uint32_t)run_test(), 1);
	return 0;
}
