/* unaligned: a word load from an odd address with CCR.UNALIGN_TRP set and
 * the UsageFault handler disabled: HardFault, FORCED, UNALIGNED. */
#include "crashlab.h"

const char program_name[] = "unaligned";

uint8_t packet[16] __attribute__((aligned(4))) = {0x10, 0x20, 0x30, 0x40, 0x50, 0x60};

NOINLINE uint32_t read_u32(const uint8_t *p)
{
	return *(const volatile uint32_t *)p;
}

NOINLINE uint32_t parse_header(const uint8_t *pkt)
{
	return read_u32(pkt + 1) + 1;
}

int main(void)
{
	start(program_name);
	SCB_CCR |= CCR_UNALIGN_TRP;
	print_hex(parse_header(packet));
	return 0;
}
