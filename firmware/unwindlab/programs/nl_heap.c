/* nl_heap: a message queue on newlib's malloc. The receive path trusts a
 * frame's length byte and copies 32 bytes into a 24-byte buffer, over the
 * header of the heap chunk after it; freeing that next message sends
 * newlib's _free_r to a chunk "size" taken from the frame's payload, and
 * it reads the next chunk's header far outside RAM: HardFault FORCED
 * PRECISERR inside newlib. free() tail-calls _free_r, so no frame of
 * free's own is on the stack. */
#include <stdlib.h>
#include <string.h>
#include "cmsis_lite.h"
#include "board.h"

struct msg {
	uint8_t len;
	uint8_t data[];
};

#define MSG_MAX 23

/* A radio frame: a length byte, then the payload; the length is wrong. */
static const uint8_t frame[33] = {
	32, 'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd', '!', 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00, 0x40, 0,
};

__attribute__((noinline)) struct msg *msg_alloc(void)
{
	return malloc(sizeof(struct msg) + MSG_MAX);
}

__attribute__((noinline)) void msg_release(struct msg *m)
{
	if (m)
		free(m);
}

__attribute__((noinline)) void msg_fill(struct msg *m, const uint8_t *raw)
{
	m->len = raw[0];
	memcpy(m->data, raw + 1, m->len); /* no check against MSG_MAX */
}

static struct msg *queue[2];

int main(void)
{
	queue[0] = msg_alloc();
	queue[1] = msg_alloc();
	msg_fill(queue[0], frame);
	console_write((const char *)queue[0]->data);
	msg_release(queue[1]);
	msg_release(queue[0]);
	return 0;
}
