/* Vector table and fault handlers for the unwinder tests. Each fault has its
   own handler so a debugger can stop at its first instruction. */
#include <stdint.h>

extern uint32_t _sbss, _ebss, _estack;
int main(void);
void PendSV_Handler(void);

void Reset_Handler(void)
{
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

__attribute__((section(".isr_vector"), used))
void (*const vectors[16])(void) = {
	(void (*)(void))&_estack, Reset_Handler, Default_Handler, HardFault_Handler,
	MemManage_Handler, BusFault_Handler, UsageFault_Handler, 0, 0, 0, 0,
	Default_Handler, Default_Handler, 0, PendSV_Handler, Default_Handler,
};
