/* isr_nested: a motor controller. The control thread (on PSP) starts an
 * ADC conversion by pending TIMER0, the conversion-complete interrupt
 * here (priority 0x80); its handler stores the sample and pends TIMER1,
 * the commutation interrupt (priority 0x40), which preempts it at once.
 * Commutation turns the measured period into a speed, and the period is
 * still zero on the first sample: UsageFault DIVBYZERO in TIMER1's
 * handler, nested in TIMER0's, nested in the thread. Two exception frames
 * sit on MSP (the fault's and TIMER1's over TIMER0), the thread's on PSP.
 *
 * Deterministic: both interrupts are pended by software, each followed by
 * DSB and ISB, so each preempts at a fixed instruction. */
#include "cmsis_lite.h"
#include "board.h"
#include "minithread.h"

#define TIMER0_IRQn 8
#define TIMER1_IRQn 9

static volatile uint32_t period_ticks; /* set by the capture unit: never yet */
static volatile uint32_t samples[8], nsamples, conversions, commutations;
volatile uint32_t g_rpm;

__attribute__((noinline)) uint32_t speed_rpm(uint32_t period)
{
	return 60000000u / period;
}

__attribute__((noinline)) void commutate(void)
{
	uint32_t p = period_ticks;
	OPAQUE(p);
	g_rpm = speed_rpm(p);
	commutations++;
}

void TIMER1_IRQHandler(void)
{
	commutate();
	commutations++;
}

__attribute__((noinline)) void adc_store(uint32_t v)
{
	samples[nsamples % 8] = v;
	nsamples++;
	NVIC->ISPR[0] = 1u << TIMER1_IRQn; /* the next commutation step */
	__DSB();
	__ISB();
	nsamples++;
}

void TIMER0_IRQHandler(void)
{
	uint32_t v = 0x5a5;
	OPAQUE(v);
	adc_store(v);
	conversions++;
}

__attribute__((noinline)) void adc_start(void)
{
	NVIC->ISPR[0] = 1u << TIMER0_IRQn;
	__DSB();
	__ISB();
	conversions++;
}

static uint32_t thread_stack[256] __attribute__((aligned(8)));

void control_thread(void)
{
	for (;;) {
		adc_start();
		console_hex(g_rpm);
	}
}

int main(void)
{
	SCB->SHCSR |= SCB_SHCSR_USGFAULTENA_Msk;
	SCB->CCR |= SCB_CCR_DIV_0_TRP_Msk;
	NVIC->IP[TIMER0_IRQn] = 0x80;
	NVIC->IP[TIMER1_IRQn] = 0x40;
	NVIC->ISER[0] = 1u << TIMER0_IRQn | 1u << TIMER1_IRQn;
	__enable_irq();
	thread_start(control_thread, thread_stack + 256);
	return 0;
}
