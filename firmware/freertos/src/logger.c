/* logger.c: one task owns the console; everyone else posts lines to it. */
#include <stdarg.h>
#include "app.h"
#include "board.h"

#define LOG_DEPTH 16
#define LOG_LINE  72

struct log_line {
	TickType_t stamp;
	char text[LOG_LINE];
};

static QueueHandle_t log_queue;
static uint32_t log_dropped;

void logger_start(void)
{
	log_queue = xQueueCreate(LOG_DEPTH, sizeof(struct log_line));
	configASSERT(log_queue != NULL);
}

/* log_post never blocks: a full queue drops the line and counts it. */
void log_post(const char *fmt, ...)
{
	struct log_line line;
	va_list ap;

	line.stamp = xTaskGetTickCount();
	va_start(ap, fmt);
	format(line.text, sizeof line.text, fmt, ap);
	va_end(ap);
	if (xQueueSend(log_queue, &line, 0) != pdPASS)
		log_dropped++;
}

void logger_task(void *arg)
{
	struct log_line line;
	uint32_t reported = 0;

	(void)arg;
	for (;;) {
		if (xQueueReceive(log_queue, &line, portMAX_DELAY) != pdPASS)
			continue;
		console_printf("[%06u] %s\r\n", (unsigned)line.stamp, line.text);
		if (log_dropped != reported) {
			console_printf("[%06u] logger: %u lines dropped\r\n",
				(unsigned)line.stamp, (unsigned)(log_dropped - reported));
			reported = log_dropped;
		}
	}
}
