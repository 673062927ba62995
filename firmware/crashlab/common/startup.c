/* startup.c: vector table, reset and the fault handlers shared by every board.
 *
 * Every exception has its own named handler so a debugger (or faultline)
 * that reads the vector table and breaks on each handler can tell them apart
 * by symbol. A program may define its own HardFault_Handler or
 * SysTick_Handler (panicline, isr_psp): the defaults live in their own files
 * in the board archive (libcrashlab.a), so the linker only pulls a default in
 * when the program has none. Weak symbols would do the same job but leave the
 * discarded default's DWARF behind at address 0, which symbolizers then
 * report for the vector table. */
#include <stddef.h>
#include "crashlab.h"

extern uint32_t _sidata[], _sdata[], _edata[], _sbss[], _ebss[];
extern uint32_t _estack[];
typedef void (*init_fn)(void);
extern init_fn __init_array_start[], __init_array_end[];

int main(void);

volatile uint32_t ms_ticks;

void HardFault_Handler(void);
void SysTick_Handler(void);

void fault_report(const char *handler)
{
	print("crashlab: ");
	print(handler);
	print("\n");
	for (;;)
		__asm volatile("" ::: "memory");
}

/* Each handler passes its own name, which also keeps GCC from folding them
 * into one function (identical code folding would leave one symbol). */
#define FAULT_HANDLER(name) \
	__attribute__((noinline)) void name(void) { fault_report(#name); }

FAULT_HANDLER(NMI_Handler)
FAULT_HANDLER(MemManage_Handler)
FAULT_HANDLER(BusFault_Handler)
FAULT_HANDLER(UsageFault_Handler)
FAULT_HANDLER(SVC_Handler)
FAULT_HANDLER(DebugMon_Handler)
FAULT_HANDLER(PendSV_Handler)
FAULT_HANDLER(Default_IRQHandler)


void systick_start_ms(void)
{
	SYST_RVR = board_cpu_hz / 1000u - 1u;
	SYST_CVR = 0;
	SYST_CSR = 7; /* processor clock, interrupt, enable */
}

__attribute__((noreturn)) void Reset_Handler(void)
{
	uint32_t *src = _sidata;
	for (uint32_t *dst = _sdata; dst < _edata;)
		*dst++ = *src++;
	for (uint32_t *dst = _sbss; dst < _ebss;)
		*dst++ = 0;
	for (init_fn *f = __init_array_start; f < __init_array_end; f++)
		(*f)();
	uart_init();
	main();
	print("crashlab: main returned\n");
	for (;;)
		__asm volatile("" ::: "memory");
}

/* 16 system entries and 32 IRQs: enough for every interrupt these programs
 * use (none); the rest of the boards' IRQs never fire because nothing
 * enables them. */
typedef void (*vector)(void);
__attribute__((section(".vectors"), used)) const vector vector_table[16 + 32] = {
	(vector)_estack,
	Reset_Handler,
	NMI_Handler,
	HardFault_Handler,
	MemManage_Handler,
	BusFault_Handler,
	UsageFault_Handler,
	0, 0, 0, 0,
	SVC_Handler,
	DebugMon_Handler,
	0,
	PendSV_Handler,
	SysTick_Handler,
	[16 ... 47] = Default_IRQHandler,
};
