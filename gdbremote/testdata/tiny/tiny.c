/* tiny.c: the smallest netduino2 (STM32F205) program the real-QEMU smoke
   test needs: a vector table, a reset handler that loops calling tick(),
   and RAM to read. Built by qemu_test.go with arm-none-eabi-gcc.
   With -DLOCKUP, tick() jumps into the non-executable device region and
   the HardFault handler does it again: a lockup, which QEMU answers by
   aborting. */
volatile unsigned counter;
unsigned pattern[64];

typedef void (*fn)(void);

#ifdef LOCKUP
__attribute__((noinline)) void tick(void) { ((fn)0xA0000001u)(); }
void hardfault(void) { ((fn)0xA0000001u)(); }
#else
__attribute__((noinline)) void tick(void) { counter++; }
void hardfault(void) { for (;;) ; }
#endif

void reset(void) {
	for (unsigned i = 0; i < 64; i++)
		pattern[i] = 0xa5a50000u | i;
	for (;;)
		tick();
}

__attribute__((section(".vectors"), used)) const void *vectors[] = {
	(const void *)0x20020000, /* initial MSP: top of 128 KiB SRAM */
	(const void *)reset,
	(const void *)hardfault, /* NMI */
	(const void *)hardfault, /* HardFault */
};
