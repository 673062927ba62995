/* Vector table, reset and fault handlers for the test programs in
   testdata (unwind, heap). Each fault has its own handler so a debugger can
   stop at its first instruction. A program with initialised data (newlib)
   builds this with -DCOPY_DATA and a link.ld that defines _sidata, _sdata
   and _edata. */
#include <stdint.h>

extern uint32_t _sbss, _ebss, _estack;
int main(void);
void PendSV_Handler(void);

void Reset_Handler(void)
{
#ifdef COPY_DATA
	extern uint32_t _sidata, _sdata, _edata;
	uint32_t *src = &_sidata;
	for (uint32_t *p = &_sdata; p < &_edata; p++)
		*p = *src++;
#endif
	for (uint32_t *p = &_sbss; p < &_ebss; p++)
		*p = 0;
	main();
	for (;;)
		;
}

void HardFault_Handler(void) { for (;;) ; }
void MemManage_Handler(void) { for (;;) ; }
void BusFault_Handler(void) { for (;;) ; }
void UsageFault_Handler(void) { for (;;) ; }
void Default_Handler(void) { for (;;) ; }
/* A program without its own PendSV handler gets the default one. */
void PendSV_Handler(void) __attribute__((weak, alias("Default_Handler")));

__attribute__((section(".isr_vector"), used))
void (*const vectors[16])(void) = {
	(void (*)(void))&_estack, Reset_Handler, Default_Handler, HardFault_Handler,
	MemManage_Handler, BusFault_Handler, UsageFault_Handler, 0, 0, 0, 0,
	Default_Handler, Default_Handler, 0, PendSV_Handler, Default_Handler,
};
