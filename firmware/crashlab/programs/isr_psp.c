/* isr_psp: thread code runs on the process stack (CONTROL.SPSEL = 1) when
 * SysTick fires; its handler divides by zero (DIV_0_TRP, UsageFault enabled
 * at a higher priority than SysTick): UsageFault, DIVBYZERO. The fault frame
 * is on MSP (handler mode); unwinding past SysTick_Handler must follow its
 * EXC_RETURN (0xFFFFFFFD) to the thread's frame on PSP. */
#include "crashlab.h"

const char program_name[] = "isr_psp";

static uint32_t thread_stack[256] __attribute__((aligned(8)));
volatile uint32_t spins;
volatile int isr_divisor; /* zero */

NOINLINE int isr_divide(int v)
{
	return v / isr_divisor;
}

NOINLINE void isr_sample(void)
{
	spins += (uint32_t)isr_divide(1000);
}

void SysTick_Handler(void)
{
	/* Fault only once the thread spins (spins counts its loops), so the
	 * interrupted thread frame is always thread_spin, never the SysTick
	 * set-up before it: the expected backtrace is deterministic. */
	if (spins)
		isr_sample();
}

NOINLINE void thread_spin(void)
{
	for (;;)
		spins++;
}

NOINLINE void thread_main(void)
{
	systick_start_ms();
	thread_spin();
}

int main(void)
{
	start(program_name);
	SCB_CCR |= CCR_DIV_0_TRP;
	SCB_SHCSR |= SHCSR_USGFAULTENA;
	/* SysTick at a lower priority than UsageFault (0), or the fault could
	 * not preempt the handler and would escalate to HardFault. */
	SCB_SHPR3 = (SCB_SHPR3 & 0x00ffffffu) | (0x80u << 24);
	uint32_t top = (uint32_t)&thread_stack[256];
	__asm volatile("msr psp, %0\n\t"
		       "msr control, %1\n\t"
		       "isb"
		       :
		       : "r"(top), "r"(2u)
		       : "memory");
	thread_main();
	return 0;
}
