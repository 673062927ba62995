/* fault.c: the fault handlers. HardFault_Handler is the usual two-step
 * handler from application notes: a naked stub picks the stack the
 * exception frame is on (EXC_RETURN bit 2) and hands it to C, which
 * records the fault registers and waits for a debugger. */
#include "cmsis_lite.h"
#include "board.h"

volatile struct crash_record g_crash;

__attribute__((used, noreturn)) void hard_fault_c(uint32_t *frame, uint32_t exc_return)
{
#if __ARM_ARCH_PROFILE == 'M' && __ARM_ARCH >= 7
	g_crash.cfsr = SCB->CFSR;
	g_crash.hfsr = SCB->HFSR;
	g_crash.mmfar = SCB->MMFAR;
	g_crash.bfar = SCB->BFAR;
#endif
	g_crash.exc_return = exc_return;
	g_crash.count++;
	(void)frame; /* frame[6] is the faulting PC: not read, stacking may have failed */
	for (;;)
		__asm volatile("" ::: "memory");
}

#if defined(__ARM_ARCH_6M__)
__attribute__((naked)) void HardFault_Handler(void)
{
	__asm volatile(
	    "movs r0, #4\n"
	    "mov r1, lr\n"
	    "tst r0, r1\n"
	    "beq 1f\n"
	    "mrs r0, psp\n"
	    "b 2f\n"
	    "1: mrs r0, msp\n"
	    "2: ldr r2, =hard_fault_c\n"
	    "bx r2\n"
	    ".pool\n");
}
#else
__attribute__((naked)) void HardFault_Handler(void)
{
	__asm volatile(
	    "tst lr, #4\n"
	    "ite eq\n"
	    "mrseq r0, msp\n"
	    "mrsne r0, psp\n"
	    "mov r1, lr\n"
	    "b hard_fault_c\n");
}

/* The configurable faults record which one it was, then wait the same way;
 * distinct stores keep the compilers from folding them into one body. */
#define CFG_FAULT(name, id)                          \
	void name(void)                              \
	{                                            \
		g_crash.cfsr = SCB->CFSR;            \
		g_crash.mmfar = SCB->MMFAR;          \
		g_crash.bfar = SCB->BFAR;            \
		g_crash.count = (id);                \
		for (;;)                             \
			__asm volatile("" ::: "memory"); \
	}
CFG_FAULT(MemManage_Handler, 4)
CFG_FAULT(BusFault_Handler, 5)
CFG_FAULT(UsageFault_Handler, 6)
#endif
