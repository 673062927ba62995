/* main.c: the sensor gateway. Sets up the queues and tasks, starts the
 * scheduler, and holds the kernel's hooks. */
#include "app.h"
#include "board.h"

#if LOOP_HOOKS
/* The hooks as FreeRTOS's demos and most products write them: interrupts
 * off and spin, no fault (the -loop builds). */
void vAssertCalled(const char *file, int line)
{
	(void)file;
	(void)line;
	taskDISABLE_INTERRUPTS();
	for (;;)
		;
}

void vApplicationStackOverflowHook(TaskHandle_t task, char *name)
{
	(void)task;
	(void)name;
	taskDISABLE_INTERRUPTS();
	for (;;)
		;
}
#else
void vAssertCalled(const char *file, int line)
{
	console_printf("assert failed: %s:%d\r\n", file, line);
	__builtin_trap();
}

void vApplicationStackOverflowHook(TaskHandle_t task, char *name)
{
	(void)task;
	console_printf("stack overflow in task %s\r\n", name);
	__builtin_trap();
}
#endif

void vApplicationMallocFailedHook(void)
{
	console_printf("out of heap\r\n");
	__builtin_trap();
}

static void create(TaskFunction_t fn, const char *name, uint16_t words, UBaseType_t prio)
{
	BaseType_t ok = xTaskCreate(fn, name, words, NULL, prio, NULL);
	configASSERT(ok == pdPASS);
}

#if HEAP5
/* heap_5 builds: the heap in two regions with a gap between them, as on a
 * part whose RAM comes in banks. */
static uint8_t heap_space[25u * 1024u];
static const HeapRegion_t heap_regions[] = {
	{heap_space, 8u * 1024u},
	{heap_space + 9u * 1024u, 16u * 1024u},
	{NULL, 0},
};
#endif

int main(void)
{
#if HEAP5
	vPortDefineHeapRegions(heap_regions);
#endif
	console_printf("gateway: FreeRTOS %s, build %u\r\n", tskKERNEL_VERSION_NUMBER, (unsigned)CRASH);

	/* The order matters for the heap layout: the link state stays at the
	 * bottom, net's buffer pool sits right under net's stack. */
	net_start();
	create(net_task, "net", 256, PRIO_NET);
	logger_start();
	create(logger_task, "logger", 256, PRIO_LOGGER);
	query_queue = xQueueCreate(4, sizeof(struct query));
	configASSERT(query_queue != NULL);
	sensor_start();
	create(crunch_task, "crunch", 256, PRIO_CRUNCH);
	workers_start();

	vTaskStartScheduler();
	console_printf("gateway: scheduler returned\r\n");
	return 0;
}
