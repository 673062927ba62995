/* ccm_task: a motor controller on an STM32F4 that keeps its stacks in the
 * core-coupled memory at 0x10000000 (no DMA can reach it, and it is
 * fastest), as STM32CubeMX projects do: the main stack at CCM's top
 * (boards/netduinoplus2/link.ld) and the control task's stack a static
 * array in .ccmram. The task runs on PSP. A stalled motor leaves the input
 * capture's period at zero and the speed computation divides by it:
 * UsageFault DIVBYZERO (DIV_0_TRP set, UsageFault enabled), four calls
 * deep on the task's stack. */
#include "cmsis_lite.h"
#include "board.h"
#include "minithread.h"

#define TASK_STACK_WORDS 512
__attribute__((section(".ccmram"), aligned(8))) static uint32_t control_stack[TASK_STACK_WORDS];

/* The input-capture registers of a timer (TIMx_CCR1 samples). */
static volatile uint32_t capture_period[4] = {1200, 1180, 0, 1190};
static volatile uint32_t capture_idx;

struct motor {
	uint32_t rpm, target, duty;
	uint32_t history[8];
};
static struct motor motor;

__attribute__((noinline)) uint32_t rpm_from_period(uint32_t ticks_per_min, uint32_t period)
{
	return ticks_per_min / period;
}

__attribute__((noinline)) void speed_update(struct motor *m)
{
	uint32_t period = capture_period[capture_idx++ % 4];
	uint32_t rpm = rpm_from_period(60u * 1000000u, period);
	m->history[capture_idx % 8] = rpm;
	m->rpm = rpm;
}

__attribute__((noinline)) void control_step(struct motor *m)
{
	uint32_t window[8]; /* a frame of its own on the CCM stack */
	speed_update(m);
	for (int i = 0; i < 8; i++)
		window[i] = m->history[i];
	OPAQUE(window[0]);
	m->duty = m->target > m->rpm ? m->duty + window[0] % 3 : m->duty - 1;
}

__attribute__((noinline)) void control_task(void)
{
	motor.target = 50000;
	for (;;)
		control_step(&motor);
}

int main(void)
{
	SCB->CCR |= SCB_CCR_DIV_0_TRP_Msk;
	SCB->SHCSR |= SCB_SHCSR_USGFAULTENA_Msk;
	thread_start(control_task, control_stack + TASK_STACK_WORDS);
	for (;;)
		;
}
