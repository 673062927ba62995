/* psram_heap: a connection table on newlib's malloc whose heap is 4 MiB of
 * external PSRAM at 0x60000000 (boards/mps2-an500/psram.ld: the script
 * only names the heap's bounds, _sbrk below hands it out, as projects
 * with FMC SDRAM or SEMC PSRAM do). Closing a connection frees it but
 * leaves its slot in g_conns (Device OS 0.6's clients[] bug); a DMA
 * descriptor then gets the freed block, and polling the stale slot reads
 * through the descriptor's source address as if it were the receive
 * buffer: HardFault FORCED PRECISERR, BFAR 0x70000040 (nothing is mapped
 * there on this board). Two 1 MiB video frames come first: the capture
 * must read 2 MiB of heap to name the block. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include "cmsis_lite.h"
#include "board.h"

extern char __heap_start[], __heap_end[];

/* The project's _sbrk (STM32CubeIDE's sysmem.c, moved to external RAM). */
void *_sbrk(ptrdiff_t incr)
{
	static char *brk;
	if (!brk)
		brk = __heap_start;
	if (brk + incr > __heap_end) {
		errno = ENOMEM;
		return (void *)-1;
	}
	char *prev = brk;
	brk += incr;
	return prev;
}

struct conn {
	uint8_t *rx;
	uint32_t rx_len;
	uint32_t id;
	uint32_t state;
};

struct dma_desc {
	uint32_t src, dst, len, flags;
};

#define MAX_CONNS 4
struct conn *g_conns[MAX_CONNS];
struct dma_desc *g_dma;
static uint8_t *frame_pool;
static uint8_t rx_pool[MAX_CONNS][256]; /* DMA-able receive buffers, in SRAM */

static struct conn *conn_open(unsigned slot, uint32_t id)
{
	struct conn *c = malloc(sizeof *c);
	c->rx = rx_pool[slot];
	c->rx_len = 0;
	c->id = id;
	c->state = 1;
	g_conns[slot] = c;
	return c;
}

static void conn_close(unsigned slot)
{
	struct conn *c = g_conns[slot];
	free(c);
	/* bug: g_conns[slot] still points at the freed connection */
}

__attribute__((noinline)) uint32_t conn_peek(const struct conn *c)
{
	return *(const volatile uint32_t *)c->rx;
}

__attribute__((noinline)) uint32_t poll_all(void)
{
	uint32_t sum = 0;
	for (unsigned i = 0; i < MAX_CONNS; i++) {
		struct conn *c = g_conns[i];
		if (c && c->state)
			sum += conn_peek(c);
	}
	return sum;
}

int main(void)
{
	frame_pool = malloc(2 << 20); /* two video frames: the heap is big */
	memset(frame_pool, 0x5a, 2 << 20);
	for (unsigned i = 0; i < MAX_CONNS; i++)
		conn_open(i, 100 + i);
	conn_close(1);
	g_dma = malloc(sizeof *g_dma); /* gets connection 1's block */
	g_dma->src = 0x70000040;       /* the codec's FIFO */
	g_dma->dst = (uint32_t)(uintptr_t)frame_pool;
	g_dma->len = 512;
	g_dma->flags = 3;
	uint32_t s = poll_all();
	console_hex(s);
	return 0;
}
