/* tiny.c: the smallest netduino2 (STM32F205) program the real-QEMU smoke
   test needs: a vector table, a reset handler that loops calling tick(),
   and RAM to read. Built by qemu_test.go with arm-none-eabi-gcc. */
volatile unsigned counter;
unsigned pattern[64];

__attribute__((noinline)) void tick(void) { counter++; }

void reset(void) {
	for (unsigned i = 0; i < 64; i++)
		pattern[i] = 0xa5a50000u | i;
	for (;;)
		tick();
}

__attribute__((section(".vectors"), used)) const void *vectors[] = {
	(const void *)0x20020000, /* initial MSP: top of 128 KiB SRAM */
	(const void *)reset,
};
