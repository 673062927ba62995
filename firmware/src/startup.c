/* startup.c: vector table, reset handler and the fault entry points.
 *
 * Every fault handler is its own function (the vector table names them) so a
 * debugger or faultline can break on each; all of them end in panic() with
 * the Device OS panic code. MemManage, BusFault and UsageFault are left
 * disabled in SHCSR, as on the Photon, so those faults escalate to HardFault
 * (HFSR.FORCED) and the real cause stays in CFSR. */
#include "hal.h"

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _estack;
extern void (*__preinit_array_start[])(void);
extern void (*__preinit_array_end[])(void);
extern void (*__init_array_start[])(void);
extern void (*__init_array_end[])(void);

int main(void);
void Reset_Handler(void);
void NMI_Handler(void);
void HardFault_Handler(void);
void MemManage_Handler(void);
void BusFault_Handler(void);
void UsageFault_Handler(void);
void Default_Handler(void);
void SysTick_Handler(void);
void PendSV_Handler(void);
void USART2_IRQHandler(void);

#define NUM_IRQS 81

#pragma GCC diagnostic ignored "-Woverride-init"
__attribute__((section(".vectors"), used))
void (*const vector_table[16 + NUM_IRQS])(void) = {
	(void (*)(void))(&_estack),
	Reset_Handler,
	NMI_Handler,
	HardFault_Handler,
	MemManage_Handler,
	BusFault_Handler,
	UsageFault_Handler,
	0, 0, 0, 0,
	Default_Handler, /* SVCall */
	Default_Handler, /* DebugMon */
	0,
	PendSV_Handler,
	SysTick_Handler,
	[16 ... 16 + NUM_IRQS - 1] = Default_Handler,
	[16 + IRQ_USART2] = USART2_IRQHandler,
};

void Reset_Handler(void)
{
	uint32_t *src = &_sidata;
	for (uint32_t *dst = &_sdata; dst < &_edata;)
		*dst++ = *src++;
	for (uint32_t *dst = &_sbss; dst < &_ebss;)
		*dst++ = 0;
	for (void (**f)(void) = __preinit_array_start; f < __preinit_array_end; f++)
		(*f)();
	for (void (**f)(void) = __init_array_start; f < __init_array_end; f++)
		(*f)();
	main();
	panic(PANIC_EXIT, "Exit");
}

/* The handlers are noinline and call panic() directly: the frame that
 * faulted is the exception frame right above the handler's own. */
__attribute__((noinline)) void NMI_Handler(void) { panic(PANIC_NMIFAULT, "NMIFault"); }
__attribute__((noinline)) void HardFault_Handler(void) { panic(PANIC_HARDFAULT, "HardFault"); }
__attribute__((noinline)) void MemManage_Handler(void) { panic(PANIC_MEMMANAGE, "MemManage"); }
__attribute__((noinline)) void BusFault_Handler(void) { panic(PANIC_BUSFAULT, "BusFault"); }
__attribute__((noinline)) void UsageFault_Handler(void) { panic(PANIC_USAGEFAULT, "UsageFault"); }
__attribute__((noinline)) void Default_Handler(void) { panic(PANIC_HARDFAULT, "UnexpectedInterrupt"); }
