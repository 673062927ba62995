/* lab.c: the probe's own QEMU test firmware, one source for three
 * programs (see ../../qemu_test.go). Every one runs main on a stack at the
 * top of its RAM (4 MiB on mps2-an385: the FreeRTOS MPS2 demo's layout) and
 * faults (udf) three calls deep. With -D:
 *
 *   VTOR_RELOC  first copies the vector table to RAM, puts a different
 *               HardFault handler in the copy and points VTOR at it.
 *   V8M_LIMITS  (Cortex-M33) first sets MSPLIM/PSPLIM to known values.
 *
 * No C library: only what a fault needs. */
#include <stdint.h>

extern uint32_t _sidata[], _sdata[], _edata[], _sbss[], _ebss[], _estack[];

#define VTOR (*(volatile uint32_t *)0xE000ED08)

typedef void (*vector)(void);
int main(void);

volatile uint32_t lab_counter;   /* .bss */
volatile uint32_t lab_marker = 0x1abc0de5; /* .data */

__attribute__((noinline)) void flash_hardfault(void) { for (;;) lab_counter++; }
__attribute__((noinline)) void ram_hardfault(void) { for (;;) lab_counter += 2; }
__attribute__((noinline)) void other_fault(void) { for (;;) lab_counter += 3; }

__attribute__((noreturn)) void Reset_Handler(void)
{
	uint32_t *src = _sidata;
	for (uint32_t *dst = _sdata; dst < _edata;)
		*dst++ = *src++;
	for (uint32_t *dst = _sbss; dst < _ebss;)
		*dst++ = 0;
	main();
	for (;;)
		;
}

__attribute__((section(".vectors"), used)) const vector vector_table[16] = {
	(vector)_estack, Reset_Handler, other_fault, flash_hardfault,
	other_fault, other_fault, other_fault,
};

__attribute__((noinline)) void crash_here(void)
{
	__asm volatile("udf #0");
}

__attribute__((noinline)) void level2(int n)
{
	volatile uint32_t pad[8];
	pad[0] = n;
	crash_here();
	lab_counter += pad[0];
}

__attribute__((noinline)) void level1(int n)
{
	volatile uint32_t pad[8];
	pad[0] = n;
	level2(n + 1);
	lab_counter += pad[0];
}

#ifdef VTOR_RELOC
/* VTOR needs the table aligned to its size rounded up to a power of two
 * (at least 128 bytes). */
__attribute__((aligned(128))) vector ram_table[16];
#endif

int main(void)
{
#ifdef VTOR_RELOC
	for (int i = 0; i < 16; i++)
		ram_table[i] = vector_table[i];
	ram_table[3] = ram_hardfault;
	__asm volatile("dsb" ::: "memory");
	VTOR = (uint32_t)ram_table;
	__asm volatile("dsb\n isb" ::: "memory");
	/* Run a while after the move, so a debugger has time to re-arm. */
	for (int i = 0; i < 100000; i++)
		lab_counter++;
#endif
#ifdef V8M_LIMITS
	uint32_t lim = 0x10300000u;
	__asm volatile("msr msplim, %0" ::"r"(lim));
	lim = 0x10200000u;
	__asm volatile("msr psplim, %0" ::"r"(lim));
#endif
	level1(lab_marker & 0xff);
	return 0;
}
