/* undef: an undefined instruction (UDF) with the UsageFault handler left
 * disabled: HardFault, FORCED, UNDEFINSTR. */
#include "crashlab.h"

const char program_name[] = "undef";

NOINLINE void crash_undefined(void)
{
	__asm volatile("udf #42" ::: "memory");
}

NOINLINE void decode_opcode(int op)
{
	if (op > 0)
		crash_undefined();
	print("crashlab: not reached\n");
}

int main(void)
{
	start(program_name);
	decode_opcode(1);
	return 0;
}
