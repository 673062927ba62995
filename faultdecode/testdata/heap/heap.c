/* heap.c: a stale pointer to a block freed with newlib's malloc, for the
 * root-cause tests (rootcause_heap_test.go). Built twice: with newlib's
 * standard malloc and with newlib-nano's (-specs=nano.specs). Runs on QEMU
 * netduino2.
 *
 * g_server.clients[1] is freed but not cleared. close_all() then calls
 * through the freed block's first word, which malloc has overwritten with
 * its free-list link (an even RAM address or NULL): the call has the Thumb
 * bit clear and faults (HardFault FORCED, INVSTATE or IACCVIOL). */
#include <stdint.h>
#include <stdlib.h>

struct conn {
	void (*on_close)(struct conn *c);
	int id;
	char name[12];
};

struct server {
	int port;
	struct conn *clients[4];
};

struct server g_server;
void *volatile g_keep;

__attribute__((noipa)) static void conn_closed(struct conn *c) { c->id = -1; }

__attribute__((noipa)) void close_all(void)
{
	for (int i = 0; i < 4; i++) {
		struct conn *c = g_server.clients[i];
		if (c)
			c->on_close(c);
	}
}

int main(void)
{
	g_server.port = 80;
	for (int i = 0; i < 4; i++) {
		struct conn *c = malloc(sizeof *c);
		c->on_close = conn_closed;
		c->id = i;
		g_server.clients[i] = c;
	}
	free(g_server.clients[1]); /* the bug: the slot is not cleared */
	g_keep = malloc(100);      /* a different size: the freed block stays free */
	close_all();
	return 0;
}
