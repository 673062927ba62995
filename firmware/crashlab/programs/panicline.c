/* panicline: a bad function pointer call (HardFault, FORCED, IACCVIOL) whose
 * HardFault handler prints a Device OS panic line on the console,
 *   0000001234 [hal] PANIC: HardFault
 * (milliseconds since start, 10 digits), then spins: the console is the only
 * evidence a serial-only capture gets. */
#include "crashlab.h"

const char program_name[] = "panicline";

typedef void (*event_fn)(void);

volatile event_fn stale_handler = (event_fn)0xae094711u;

void HardFault_Handler(void)
{
	print("crashlab: HardFault_Handler\n");
	print_dec(ms_ticks, 10);
	print(" [hal] PANIC: HardFault\n");
	for (;;)
		__asm volatile("" ::: "memory");
}

NOINLINE void dispatch_event(void)
{
	stale_handler();
	print("crashlab: not reached\n");
}

NOINLINE void event_loop(void)
{
	/* Let a few milliseconds pass so the timestamp is not all zeros. */
	while (ms_ticks < 5)
		__asm volatile("" ::: "memory");
	dispatch_event();
	print("crashlab: not reached\n");
}

int main(void)
{
	start(program_name);
	systick_start_ms();
	event_loop();
	return 0;
}
