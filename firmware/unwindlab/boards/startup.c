/* startup.c, after CMSIS's startup_ARMCM33.c / startup_ARMCM0.c: the vector
 * table as a const array, Reset_Handler in C, weak handlers aliased to
 * Default_Handler. */
#include <stdint.h>

extern uint32_t __StackTop[];
extern uint32_t __etext[], __data_start__[], __data_end__[], __bss_start__[], __bss_end__[];
int main(void);
void Reset_Handler(void);

void Default_Handler(void)
{
	for (;;)
		;
}

#define ALIAS __attribute__((weak, alias("Default_Handler")))
void NMI_Handler(void) ALIAS;
void HardFault_Handler(void) ALIAS;
void MemManage_Handler(void) ALIAS;
void BusFault_Handler(void) ALIAS;
void UsageFault_Handler(void) ALIAS;
void SecureFault_Handler(void) ALIAS;
void SVC_Handler(void) ALIAS;
void DebugMon_Handler(void) ALIAS;
void PendSV_Handler(void) ALIAS;
void SysTick_Handler(void) ALIAS;
__attribute__((weak)) void SystemInit(void) {}

typedef void (*vector_fn)(void);
__attribute__((used, section(".vectors"))) const vector_fn __VECTOR_TABLE[16 + 32] = {
	(vector_fn)(uintptr_t)__StackTop,
	Reset_Handler,
	NMI_Handler,
	HardFault_Handler,
	MemManage_Handler,
	BusFault_Handler,
	UsageFault_Handler,
	SecureFault_Handler,
	0, 0, 0,
	SVC_Handler,
	DebugMon_Handler,
	0,
	PendSV_Handler,
	SysTick_Handler,
	[16 ... 16 + 31] = Default_Handler,
};

__attribute__((noreturn)) void Reset_Handler(void)
{
	uint32_t *src = __etext;
	for (uint32_t *dst = __data_start__; dst < __data_end__;)
		*dst++ = *src++;
	for (uint32_t *dst = __bss_start__; dst < __bss_end__;)
		*dst++ = 0;
	SystemInit();
	main();
	for (;;)
		;
}
