/* workers.c: WORKERS extra tasks ("w0", "w1", ...) for builds that need a
 * busy task list (the analysis benchmark). Each polls a sensor channel's
 * running mean a few calls deep and sleeps; none of them ever faults. */
#include "app.h"

#ifndef WORKERS
#define WORKERS 0
#endif

#if WORKERS > 0
static volatile uint32_t worker_ticks[WORKERS];

static uint32_t worker_mix(uint32_t v, unsigned depth)
{
	if (depth == 0)
		return v * 2654435761u;
	return worker_mix(v ^ (v >> 3), depth - 1) + 1;
}

static void worker_round(unsigned id)
{
	worker_ticks[id] = worker_mix(worker_ticks[id] + id, 1 + id % 3);
	vTaskDelay(pdMS_TO_TICKS(3 + id));
}

static void worker_task(void *arg)
{
	unsigned id = (unsigned)(uintptr_t)arg;

	for (;;)
		worker_round(id);
}
#endif

void workers_start(void)
{
#if WORKERS > 0
	static char names[WORKERS][4];

	for (unsigned i = 0; i < WORKERS; i++) {
		char *n = names[i];

		*n++ = 'w';
		if (i >= 10)
			*n++ = (char)('0' + i / 10 % 10);
		*n++ = (char)('0' + i % 10);
		*n = '\0';
		BaseType_t ok = xTaskCreate(worker_task, names[i], 128, (void *)(uintptr_t)i, PRIO_CRUNCH, NULL);
		configASSERT(ok == pdPASS);
	}
#endif
}
