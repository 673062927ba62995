/* crunch.c: statistics over the sensor samples. Every WINDOW samples it
 * reports each channel's mean and raises an alert above ALERT_MV; it
 * answers net's queries from the running totals and recalibrates the
 * front end every RECAL_WINDOWS windows. */
#include "app.h"

#define WINDOW        16
#define ALERT_MV      500
#define RECAL_WINDOWS 2
#define FILTER_TAPS   320 /* 1280 bytes: more than crunch's whole stack */
#define FILTER_WINDOWS 3

struct channel_stats {
	int32_t sum;
	uint32_t count;
	int16_t min, max;
};

QueueHandle_t query_queue;
QueueHandle_t alert_queue; /* created by net when a peer subscribes */

static struct channel_stats window[SENSOR_CHANNELS];
static volatile int32_t smoothed_mv; /* FPU builds: the smoothed level */
static struct channel_stats totals[SENSOR_CHANNELS];

static void stats_add(struct channel_stats *st, int16_t v)
{
	if (st->count == 0 || v < st->min)
		st->min = v;
	if (st->count == 0 || v > st->max)
		st->max = v;
	st->sum += v;
	st->count++;
}

static int32_t stats_mean(const struct channel_stats *st)
{
	return st->sum / (int32_t)st->count;
}

static void alert_raise(uint8_t channel, int16_t mv)
{
	struct sample a = {channel, mv};

#if CRASH != CRASH_ASSERT
	/* BUG (CRASH_ASSERT): nobody may have subscribed yet. */
	if (alert_queue == NULL)
		return;
#endif
	if (xQueueSend(alert_queue, &a, 0) != pdPASS)
		log_post("crunch: alert for channel %u dropped", channel);
}

static void window_done(void)
{
	for (uint8_t ch = 0; ch < SENSOR_WIRED; ch++) {
		struct channel_stats *st = &window[ch];
		if (st->count == 0)
			continue;
		int32_t mean = stats_mean(st);
		if (st->max > ALERT_MV)
			alert_raise(ch, st->max);
		log_post("crunch: ch%u mean %d mV (%d..%d)", ch, (int)mean, st->min, st->max);
		*st = (struct channel_stats){0};
	}
}

static void channel_report(uint8_t channel)
{
	if (channel >= SENSOR_CHANNELS) {
		log_post("crunch: no channel %u", channel);
		return;
	}
	const struct channel_stats *st = &totals[channel];
#if CRASH != CRASH_DIV0
	/* BUG (CRASH_DIV0): channel 3 has no sensor and never a sample. */
	if (st->count == 0) {
		log_post("crunch: ch%u has no samples", channel);
		return;
	}
#endif
	int32_t mean = stats_mean(st);
	log_post("crunch: ch%u mean %d mV over %u samples", channel, (int)mean, (unsigned)st->count);
}

#if CRASH == CRASH_SMASH
static int32_t filter_gain;  /* sum of the taps, Q15 */
static int32_t filter_state; /* the filter primed with the queued samples */

/* filter_rebuild designs the smoothing filter's taps (a Q31 ramp) and
 * primes the filter with the samples already queued. The sensor ISR must
 * not queue samples meanwhile, so it runs in a critical section. BUG: the
 * taps live on crunch's 1 KiB stack; writing them runs past the stack's
 * bottom into the heap blocks below it (sample_queue's among them). In a
 * critical section there is no context switch, so FreeRTOS's stack check
 * never runs: priming reads the corrupted queue. */
static void filter_rebuild(void)
{
	volatile int32_t taps[FILTER_TAPS];
	struct sample s;

	taskENTER_CRITICAL();
	for (int i = 0; i < FILTER_TAPS; i++)
		taps[i] = 0x7fffffff - (FILTER_TAPS - 1 - i) * 0x10000;
	filter_gain = 0;
	for (int i = 0; i < FILTER_TAPS; i++)
		filter_gain += taps[i] >> 16;
	while (xQueueReceive(sample_queue, &s, 0) == pdPASS)
		filter_state += s.value * filter_gain;
	taskEXIT_CRITICAL();
}
#endif

void crunch_task(void *arg)
{
	struct sample s;
	struct query q;
	unsigned samples = 0, windows = 0;
#if defined(__ARM_FP)
	/* With an FPU, crunch also keeps a smoothed level in floating point:
	 * its context then includes the FP registers. */
	float level = 0.0f;
#endif

	(void)arg;
	for (;;) {
		if (xQueueReceive(sample_queue, &s, pdMS_TO_TICKS(10)) == pdPASS && s.channel < SENSOR_CHANNELS) {
			stats_add(&window[s.channel], s.value);
			stats_add(&totals[s.channel], s.value);
#if defined(__ARM_FP)
			level = level * 0.875f + (float)s.value * 0.125f;
			smoothed_mv = (int32_t)level;
#endif
			if (++samples % WINDOW == 0) {
				window_done();
				if (++windows % RECAL_WINDOWS == 0)
					sensor_recalibrate();
#if CRASH == CRASH_SMASH
				if (windows == FILTER_WINDOWS)
					filter_rebuild();
#endif
			}
		}
		while (xQueueReceive(query_queue, &q, 0) == pdPASS)
			channel_report(q.channel);
	}
}
