/* busfault: a data read from an address no device answers, with the BusFault
 * handler enabled: BusFault, PRECISERR, BFAR = the address. */
#include "crashlab.h"

const char program_name[] = "busfault";

volatile uint32_t bad_address = 0x60000000u;

NOINLINE uint32_t read_register(uint32_t addr)
{
	return *(volatile uint32_t *)addr;
}

NOINLINE uint32_t sample_sensor(void)
{
	return read_register(bad_address) + 1;
}

int main(void)
{
	start(program_name);
	SCB_SHCSR |= SHCSR_BUSFAULTENA;
	print_hex(sample_sensor());
	print("\ncrashlab: no fault\n");
	for (;;)
		__asm volatile("" ::: "memory");
	return 0;
}
