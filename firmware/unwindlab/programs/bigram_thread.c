/* bigram_thread: a protocol state machine in thread mode on the main
 * stack, which starts at the top of the 4 MiB SRAM (0x20400000). In state
 * CONNECTED a DATA event parses the packet header; the length field sits
 * at an odd offset and is read as a word with alignment traps on:
 * UsageFault UNALIGNED, several calls deep. */
#include "cmsis_lite.h"
#include "board.h"

enum state { ST_IDLE, ST_CONNECTED, ST_CLOSED, ST_COUNT };
enum event { EV_OPEN, EV_DATA, EV_CLOSE };

struct packet {
	uint8_t raw[32];
	unsigned len;
};

struct conn {
	enum state st;
	uint32_t bytes;
};

static uint32_t hdr_length(const uint8_t *hdr)
{
	return *(const uint32_t *)(hdr + 1); /* packed header: byte 1..4 */
}

__attribute__((noinline)) int proto_parse(struct conn *c, const struct packet *p)
{
	const uint8_t *hdr = p->raw;
	OPAQUE(hdr);
	uint32_t n = hdr_length(hdr);
	if (n > p->len)
		return -1;
	c->bytes += n;
	return 0;
}

static enum state on_idle(struct conn *c, enum event ev, const struct packet *p)
{
	(void)c, (void)p;
	return ev == EV_OPEN ? ST_CONNECTED : ST_IDLE;
}

static enum state on_connected(struct conn *c, enum event ev, const struct packet *p)
{
	if (ev == EV_CLOSE)
		return ST_CLOSED;
	if (ev == EV_DATA && proto_parse(c, p) < 0)
		return ST_CLOSED;
	return ST_CONNECTED;
}

static enum state on_closed(struct conn *c, enum event ev, const struct packet *p)
{
	(void)c, (void)ev, (void)p;
	return ST_CLOSED;
}

typedef enum state (*state_fn)(struct conn *, enum event, const struct packet *);
static const state_fn fsm_table[ST_COUNT] = {on_idle, on_connected, on_closed};

__attribute__((noinline)) void fsm_dispatch(struct conn *c, enum event ev, const struct packet *p)
{
	state_fn fn = fsm_table[c->st];
	OPAQUE(fn);
	c->st = fn(c, ev, p);
}

static struct conn conn0;
static struct packet pkt = {{0x01, 0x10, 0, 0, 0, 'h', 'e', 'l', 'l', 'o'}, 10};

static void app_poll(void)
{
	static const enum event script[] = {EV_OPEN, EV_DATA, EV_CLOSE};
	for (unsigned i = 0; i < 3; i++)
		fsm_dispatch(&conn0, script[i], &pkt);
}

int main(void)
{
	SCB->SHCSR |= SCB_SHCSR_USGFAULTENA_Msk;
	SCB->CCR |= SCB_CCR_UNALIGN_TRP_Msk;
	app_poll();
	return (int)conn0.bytes;
}
