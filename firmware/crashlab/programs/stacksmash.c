/* stacksmash: a stack buffer overrun with ASCII. parse_name() copies a
 * request field into a 12-byte local without a bound; the copy runs over
 * the saved registers and the return address, which becomes "QRST"
 * (0x54535251). The return pops it into PC: bit 0 is set so the core stays
 * in Thumb state and fetches from 0x54535250, in the Peripheral region
 * (execute-never): HardFault FORCED IACCVIOL. An analysis should call the
 * PC ASCII data and the stack overwritten. */
#include "crashlab.h"

const char program_name[] = "stacksmash";

const char request[] = "name=ABCDEFGHIJKLMNOPQRSTUVWXYZabcdEFGHEFGHEFGHEFGH";

NOINLINE void copy_field(char *dst, const char *src)
{
	while (*src && *src != '&')
		*dst++ = *src++;
	*dst = 0;
}

NOINLINE int parse_name(const char *req)
{
	char name[12];
	copy_field(name, req + 5);
	return name[0];
}

NOINLINE int handle_request(void)
{
	return parse_name(request) + 1;
}

int main(void)
{
	start(program_name);
	handle_request();
	print("crashlab: not reached\n");
	return 0;
}
