/* cm0/main.c: FreeRTOS on a Cortex-M0 (QEMU microbit) with the GCC/ARM_CM0
 * port: three application tasks, each blocked somewhere different, until
 * crunch calls a stale handler (0xae094711): HardFault in task 'crunch'.
 *   sensor: samples every 2 ms and queues them to crunch
 *   net:    waits for a notification that never comes
 *   crunch: sums samples, then dispatches an event through a stale pointer */
#include "FreeRTOS.h"
#include "queue.h"
#include "task.h"

typedef void (*event_fn)(int);

static QueueHandle_t samples;
static TaskHandle_t net;
static volatile event_fn stale_handler = (event_fn)0xae094711u;

void vApplicationStackOverflowHook(TaskHandle_t task, char *name)
{
	(void)task;
	(void)name;
	__builtin_trap();
}

__attribute__((noinline)) static void sensor_sample(int n)
{
	xQueueSend(samples, &n, portMAX_DELAY);
}

static void sensor_task(void *arg)
{
	(void)arg;
	for (int n = 1;; n++) {
		sensor_sample(n);
		vTaskDelay(2);
	}
}

__attribute__((noinline)) static void net_wait(void)
{
	ulTaskNotifyTake(pdTRUE, portMAX_DELAY);
}

static void net_task(void *arg)
{
	(void)arg;
	for (;;)
		net_wait();
}

__attribute__((noinline)) static void crunch_dispatch(int total)
{
	stale_handler(total);
}

static void crunch_task(void *arg)
{
	(void)arg;
	int total = 0;
	for (int i = 0;; i++) {
		int s;
		xQueueReceive(samples, &s, portMAX_DELAY);
		total += s;
		if (i == 8)
			crunch_dispatch(total);
	}
}

int main(void)
{
	samples = xQueueCreate(4, sizeof(int));
	xTaskCreate(sensor_task, "sensor", 128, NULL, 3, NULL);
	xTaskCreate(net_task, "net", 128, NULL, 2, &net);
	xTaskCreate(crunch_task, "crunch", 128, NULL, 1, NULL);
	vTaskStartScheduler();
	for (;;)
		;
}
