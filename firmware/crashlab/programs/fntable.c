/* fntable: a corrupted function table. A command table in RAM holds
 * handler pointers; a bad index in set_limit() writes a 32-bit limit into
 * table[2].handler instead of limits[2]. dispatch() then calls 0xa5a5a5a5:
 * HardFault FORCED IACCVIOL at 0xa5a5a5a4 (no configurable fault enabled).
 * An analysis should find the value stored in app.table[2].handler. */
#include "crashlab.h"

const char program_name[] = "fntable";

typedef int (*handler_fn)(int arg);

struct command {
	const char *name;
	handler_fn handler;
};

struct app_state {
	uint32_t limits[3];
	struct command table[3];
};

NOINLINE int cmd_status(int arg) { return arg + 1; }
NOINLINE int cmd_reset(int arg) { return arg + 2; }
NOINLINE int cmd_echo(int arg) { return arg + 3; }

struct app_state app = {
	{10, 20, 30},
	{{"status", cmd_status}, {"reset", cmd_reset}, {"echo", cmd_echo}},
};

/* The bug: slot indexes past limits[] into the table (words, not
 * commands): 3 limits, then {name, handler} pairs, so slot 8 is
 * table[2].handler. */
NOINLINE void set_limit(int slot, uint32_t value)
{
	((volatile uint32_t *)app.limits)[slot] = value;
}

NOINLINE int dispatch(int i, int arg)
{
	return app.table[i].handler(arg);
}

int main(void)
{
	start(program_name);
	set_limit(8, 0xa5a5a5a5u);
	dispatch(2, 1);
	print("crashlab: not reached\n");
	return 0;
}
