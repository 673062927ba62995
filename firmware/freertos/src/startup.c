/* startup.c: vector table, reset, and the fault handlers.
 *
 * SVCall, PendSV and SysTick go straight to the FreeRTOS port's handlers
 * (the port checks this at start-up). The fault handlers print which fault
 * was taken and park the core so a debugger attached later finds the
 * evidence untouched. */
#include <stdint.h>
#include "board.h"

#ifndef FAULT_HANDLERS
#define FAULT_HANDLERS 1
#endif

extern uint32_t _sidata[], _sdata[], _edata[], _sbss[], _ebss[];
extern uint32_t _estack[];

int main(void);

void vPortSVCHandler(void);
void xPortPendSVHandler(void);
void xPortSysTickHandler(void);
void TIMER0_IRQHandler(void);

__attribute__((noreturn, noinline)) static void fault_halt(const char *what)
{
	__asm volatile("cpsid i" ::: "memory");
	console_write("\r\n*** ");
	console_write(what);
	console_write(" ***\r\n");
	for (;;)
		__asm volatile("" ::: "memory");
}

void NMI_Handler(void) { fault_halt("NMI"); }
void HardFault_Handler(void) { fault_halt("HardFault"); }
void MemManage_Handler(void) { fault_halt("MemManage"); }
void BusFault_Handler(void) { fault_halt("BusFault"); }
void UsageFault_Handler(void) { fault_halt("UsageFault"); }
void DebugMon_Handler(void) { fault_halt("DebugMon"); }
void Default_IRQHandler(void) { fault_halt("unexpected interrupt"); }

__attribute__((noreturn)) void Reset_Handler(void)
{
	uint32_t *src = _sidata;
	for (uint32_t *dst = _sdata; dst < _edata;)
		*dst++ = *src++;
	for (uint32_t *dst = _sbss; dst < _ebss;)
		*dst++ = 0;
	/* Faults get their own handlers (unless built with FAULT_HANDLERS=0:
	 * then every fault escalates to HardFault), and a division by zero is
	 * a fault rather than a silent 0. */
#if FAULT_HANDLERS
	SCB_SHCSR |= SHCSR_MEMFAULTENA | SHCSR_BUSFAULTENA | SHCSR_USGFAULTENA;
#endif
#if defined(__ARM_FP)
	/* Cortex-M4F: the FPU (CP10, CP11) on before any task uses it. */
	SCB_CPACR |= 0xfu << 20;
	__asm volatile("dsb\n isb" ::: "memory");
#endif
	SCB_CCR |= CCR_DIV_0_TRP;
	console_init();
	main();
	fault_halt("main returned");
}

typedef void (*vector)(void);
#define IRQS 32
__attribute__((section(".vectors"), used)) const vector vector_table[16 + IRQS] = {
	(vector)_estack,
	Reset_Handler,
	NMI_Handler,
	HardFault_Handler,
	MemManage_Handler,
	BusFault_Handler,
	UsageFault_Handler,
	0, 0, 0, 0,
	vPortSVCHandler,
	DebugMon_Handler,
	0,
	xPortPendSVHandler,
	xPortSysTickHandler,
	[16 ... 16 + TIMER0_IRQn - 1] = Default_IRQHandler,
	[16 + TIMER0_IRQn] = TIMER0_IRQHandler,
	[16 + TIMER0_IRQn + 1 ... 16 + IRQS - 1] = Default_IRQHandler,
};
