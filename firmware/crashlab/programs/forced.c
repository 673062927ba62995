/* forced: the badfnptr crash with every configurable fault left disabled in
 * SHCSR, so the MemManage fault escalates: HardFault, FORCED, IACCVIOL. */
#include "crashlab.h"

const char program_name[] = "forced";

typedef int (*callback_fn)(int arg);

struct timer {
	int period;
	callback_fn expired;
};

volatile struct timer stale_timer = {100, (callback_fn)0xae094711u};

NOINLINE int fire_timer(volatile struct timer *t)
{
	return t->expired(t->period) + 1;
}

NOINLINE int run_timers(void)
{
	return fire_timer(&stale_timer) + 1;
}

int main(void)
{
	start(program_name);
	SCB_SHCSR &= ~(SHCSR_MEMFAULTENA | SHCSR_BUSFAULTENA | SHCSR_USGFAULTENA);
	print_dec((uint32_t)run_timers(), 1);
	return 0;
}
