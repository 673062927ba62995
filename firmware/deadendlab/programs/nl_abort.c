/* nl_abort: a check that calls newlib's abort() directly, as much
 * firmware does for "cannot happen": the event queue is full because
 * nothing drains it, and event_post aborts. abort raises SIGABRT (no
 * handler: _kill fails) and ends in syscalls.c's _exit, a while (1). */
#include <stdint.h>
#include <stdlib.h>

#define QUEUE_LEN 8

struct event {
	uint8_t kind;
	uint16_t arg;
};

static struct event queue[QUEUE_LEN];
static unsigned queued;

__attribute__((noinline)) void event_post(uint8_t kind, uint16_t arg)
{
	if (queued >= QUEUE_LEN)
		abort(); /* the consumer task was never started */
	queue[queued].kind = kind;
	queue[queued].arg = arg;
	queued++;
}

__attribute__((noinline)) void sensor_poll(int rounds)
{
	for (int i = 0; i < rounds; i++)
		event_post(1, (uint16_t)i);
}

int main(void)
{
	sensor_poll(QUEUE_LEN + 1);
	return 0;
}
