/* isr_preempt: a temperature logger. A worker thread on PSP waits for the
 * tick and logs the filtered reading; SysTick samples the ADC and updates
 * a moving-average filter. At the third tick the ADC saturates, the filter
 * is reset, and the average divides by its zero count inside SysTick:
 * UsageFault DIVBYZERO, preempting the thread in its wait.
 *
 * The tick samples only while the worker waits in wait_tick (a tick that
 * lands while it logs is skipped), so the preempted frame is always
 * wait_tick, however slowly the host runs QEMU. Without that gate a loaded
 * CI machine let the faulting tick land in console_write now and then. */
#include "cmsis_lite.h"
#include "board.h"
#include "minithread.h"

#define ADC_MAX 4095u
struct filter {
	uint32_t sum, count;
	uint32_t window[8];
};

static struct filter temp_filter;
static const uint16_t adc_samples[] = {1200, 1210, 4096, 1190};
static volatile uint32_t ticks;
static volatile int tick_flag;
static volatile int worker_waiting;
volatile uint32_t g_temp;

static uint32_t adc_read(void)
{
	uint32_t v = adc_samples[ticks % 4];
	OPAQUE(v);
	return v;
}

static void filter_reset(struct filter *f)
{
	f->sum = 0;
	f->count = 0;
}

static void filter_push(struct filter *f, uint32_t v)
{
	f->window[f->count % 8] = v;
	f->sum += v;
	f->count++;
}

__attribute__((noinline)) uint32_t filter_average(const struct filter *f)
{
	return f->sum / f->count;
}

static void sensor_poll(void)
{
	uint32_t raw = adc_read();
	if (raw > ADC_MAX)
		filter_reset(&temp_filter); /* bug: no sample left to average */
	else
		filter_push(&temp_filter, raw);
	g_temp = filter_average(&temp_filter);
}

void SysTick_Handler(void)
{
	if (!worker_waiting)
		return; /* the logger is busy: skip this sample */
	ticks++;
	sensor_poll();
	tick_flag = 1;
}

static volatile uint32_t idle_loops;

static void wait_tick(void)
{
	worker_waiting = 1;
	while (!tick_flag)
		idle_loops++; /* the CPU-load counter the status page shows */
	tick_flag = 0;
	worker_waiting = 0;
}

static uint32_t thread_stack[256] __attribute__((aligned(8)));

void worker_thread(void)
{
	for (;;) {
		wait_tick();
		console_hex(g_temp);
	}
}

int main(void)
{
	SCB->SHCSR |= SCB_SHCSR_USGFAULTENA_Msk;
	SCB->CCR |= SCB_CCR_DIV_0_TRP_Msk;
	NVIC_SetSysPriority(15, 0x80); /* SysTick below UsageFault */
	SysTick->LOAD = 250000 - 1;    /* 10 ms at 25 MHz */
	SysTick->VAL = 0;
	SysTick->CTRL = SysTick_CTRL_CLKSOURCE_Msk | SysTick_CTRL_TICKINT_Msk | SysTick_CTRL_ENABLE_Msk;
	thread_start(worker_thread, thread_stack + 256);
	return 0;
}
