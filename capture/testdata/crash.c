/* crash.c: the tiny firmware gdb_test.go runs on QEMU (netduino2) to take a
 * real capture. crash() faults on an undefined instruction, which escalates
 * to HardFault; with -DUSE_PSP the thread runs on the process stack. */
volatile unsigned counter;

__attribute__((noinline)) void crash(int x)
{
	counter += x;
	__asm volatile("udf #1");
	counter++;
}

__attribute__((noinline)) int middle(int x)
{
	crash(x + 1);
	return counter + 1;
}

static unsigned pstack[256];

void Reset_Handler(void)
{
#ifdef USE_PSP
	__asm volatile("msr psp, %0\n movs r0, #2\n msr control, r0\n isb" : : "r"(&pstack[256]) : "r0");
#endif
	for (;;)
		middle(5);
}

void HardFault_Handler(void)
{
	for (;;)
		;
}

void Default_Handler(void)
{
	for (;;)
		;
}

__attribute__((section(".vectors"), used)) void *const vectors[16] = {
	(void *)0x20020000, Reset_Handler, Default_Handler, HardFault_Handler,
	Default_Handler, Default_Handler, Default_Handler,
};
