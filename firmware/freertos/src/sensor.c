/* sensor.c: the analog front end. TIMER0 interrupts at 500 Hz; each
 * interrupt converts one channel (round robin over the wired channels),
 * scales the raw count to millivolts and queues the sample for crunch. */
#include "app.h"
#include "board.h"

#define SAMPLE_HZ  500u
#define CAL_ROUNDS 4

QueueHandle_t sample_queue;

/* Calibration shared between the ISR and crunch. */
static struct {
	volatile uint32_t divisor; /* raw counts per 1000 mV */
	volatile int32_t offset;   /* raw counts at 0 V */
} cal = {4096, 0};

/* Where a recalibration stands, for the ISR. While crunch rebuilds the
 * gain (CAL_BUILDING) the ISR converts only when sensor_settle asks for a
 * sample (CAL_SAMPLING): every calibration sample is one crunch waited
 * for. This also keeps the isr bug deterministic: the first conversion
 * after the divisor is zeroed always interrupts crunch inside
 * sensor_settle, never in the few instructions of sensor_recalibrate
 * around the call, however slowly the host runs QEMU. */
enum cal_phase { CAL_IDLE, CAL_BUILDING, CAL_SAMPLING };
static volatile uint8_t cal_phase = CAL_IDLE;

static volatile uint32_t sample_seq;
static uint32_t adc_state = 0xace1u;
static uint8_t next_channel;

/* The ADC model: a 12-bit reading with a little noise. */
static uint32_t adc_read(uint8_t channel)
{
	adc_state = (adc_state >> 1) ^ (-(adc_state & 1u) & 0xb400u);
	return 1000u + 700u * channel + (adc_state & 0x3fu);
}

static int16_t sensor_scale(uint32_t raw)
{
	return (int16_t)(((int32_t)raw - cal.offset) * 1000 / (int32_t)cal.divisor);
}

static void sensor_sample(BaseType_t *woken)
{
	struct sample s;

	s.channel = next_channel;
	next_channel = (uint8_t)((next_channel + 1) % SENSOR_WIRED);
	s.value = sensor_scale(adc_read(s.channel));
	sample_seq++;
	xQueueSendFromISR(sample_queue, &s, woken);
}

void TIMER0_IRQHandler(void)
{
	BaseType_t woken = pdFALSE;

	TIMER0_INTCLEAR = 1;
	if (cal_phase == CAL_BUILDING)
		return; /* mid-recalibration and nobody waits: skip this sample */
	sensor_sample(&woken);
	portYIELD_FROM_ISR(woken);
}

void sensor_start(void)
{
	sample_queue = xQueueCreate(32, sizeof(struct sample));
	configASSERT(sample_queue != NULL);
	TIMER0_RELOAD = BOARD_CPU_HZ / SAMPLE_HZ - 1u;
	TIMER0_VALUE = TIMER0_RELOAD;
	TIMER0_CTRL = TIMER_CTRL_EN | TIMER_CTRL_IRQEN;
	/* The same priority as the kernel: it may use FromISR calls and never
	 * preempts the tick or a context switch. The port gives SysTick and
	 * PendSV 255 (portMIN_INTERRUPT_PRIORITY), not
	 * configKERNEL_INTERRUPT_PRIORITY (0xe0): on a core with 3 priority
	 * bits both read 0xe0, but QEMU's mps2 NVIC keeps all 8, where 0xe0
	 * would preempt the tick at its first instruction now and then. */
	NVIC_IPR_BYTE(TIMER0_IRQn) = 255u;
	nvic_enable(TIMER0_IRQn);
}

/* Waits until the ISR has produced a fresh sample; called by
 * sensor_recalibrate, which lets the ISR convert only while it waits. */
void sensor_settle(void)
{
	cal_phase = CAL_SAMPLING;
	uint32_t seq = sample_seq;

	while (sample_seq == seq)
		__asm volatile("" ::: "memory");
	cal_phase = CAL_BUILDING;
}

/* sensor_recalibrate rebuilds the gain from a few settled samples. The
 * other tasks must not see a half-built calibration, so the scheduler is
 * suspended; the ISR converts with the old gain meanwhile, but only while
 * sensor_settle waits for a sample. */
void sensor_recalibrate(void)
{
	vTaskSuspendAll();
	cal_phase = CAL_BUILDING;
#if CRASH == CRASH_ISR
	/* BUG: the gain is accumulated in place, so the ISR divides by the
	 * partial sum (0 on the first round). */
	cal.divisor = 0;
	for (int round = 0; round < CAL_ROUNDS; round++) {
		sensor_settle();
		cal.divisor += 4096u / CAL_ROUNDS;
	}
#else
	uint32_t divisor = 0;
	for (int round = 0; round < CAL_ROUNDS; round++) {
		sensor_settle();
		divisor += 4096u / CAL_ROUNDS;
	}
	cal.divisor = divisor;
#endif
	cal_phase = CAL_IDLE;
	(void)xTaskResumeAll();
	log_post("sensor: recalibrated, %u counts/V", (unsigned)cal.divisor);
}
