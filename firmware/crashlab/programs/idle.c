/* idle: never crashes. Prints its start line, then counts SysTick
 * milliseconds forever and prints a line every second, so tests have a
 * target that stays alive (timeouts, attach to a healthy target). */
#include "crashlab.h"

const char program_name[] = "idle";

NOINLINE void idle_loop(void)
{
	uint32_t next = 1000;
	for (;;) {
		if (ms_ticks >= next) {
			print("crashlab: idle ");
			print_dec(next / 1000u, 1);
			print("s\n");
			next += 1000;
		}
		__asm volatile("wfi" ::: "memory");
	}
}

int main(void)
{
	start(program_name);
	systick_start_ms();
	idle_loop();
	return 0;
}
