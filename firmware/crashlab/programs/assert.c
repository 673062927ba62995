/* assert: a failed assert(). The handler is newlib's __assert_func(file,
 * line, func, expr), defined here as firmware without stdio defines it:
 * it prints the expression and traps (udf), so the UsageFault handler
 * sees UNDEFINSTR. By then r0-r3 are gone; the caller loaded them from
 * constants just before its call. */
#include <assert.h>
#include "crashlab.h"

const char program_name[] = "assert";

volatile int sensor_count; /* zero: bss, no sensor registered */

void __assert_func(const char *file, int line, const char *func, const char *expr)
{
	(void)file;
	(void)line;
	(void)func;
	print("crashlab: assert failed: ");
	print(expr);
	print("\n");
	__builtin_trap();
}

NOINLINE int average_reading(int total)
{
	assert(sensor_count > 0);
	return total / sensor_count;
}

NOINLINE int run_test(void)
{
	return average_reading(1000) + 1;
}

int main(void)
{
	start(program_name);
	SCB_SHCSR |= SHCSR_USGFAULTENA;
	print_dec((uint32_t)run_test(), 1);
	return 0;
}
