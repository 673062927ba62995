/* net.c: the network task. It owns the sessions, hands statistics queries
 * to crunch, runs the link (and its DHCP client) and keeps a watchdog on the
 * link that renews the DHCP transaction id. */
#include <string.h>
#include "app.h"
#include "net.h"

#define MAX_SESSIONS   4
#define BULK_CHUNKS    4
#define NET_POOL_BYTES 512
#define DUMP_MAX       384 /* a jumbo frame */
#define LINK_WD_MS     200
#define DHCP_XID_BASE  0x3903f326u
#define OPT_MTU        3

struct session {
	uint8_t id;
	uint8_t state;
	uint16_t peer_port;
	void (*on_data)(struct session *s, const uint8_t *data, uint16_t len);
	uint32_t rx_bytes;
	char peer[20];
};

struct chunk {
	uint32_t seq;
	uint8_t data[28];
};

static struct session *sessions[MAX_SESSIONS];
static struct chunk *bulk[BULK_CHUNKS];
static unsigned bulk_count;
static struct link *link_state;
static TimerHandle_t link_wd;
static uint32_t renewals;
static uint8_t *net_pool; /* frame buffers for the (future) TX path */

/* The subscribed peer: told about link changes once it subscribed. */
static struct {
	void (*on_link)(uint32_t flags);
	uint32_t notified;
} peer;

static void peer_link_changed(uint32_t flags)
{
	peer.notified++;
	log_post("net: peer told link flags %x", (unsigned)flags);
}

static void session_echo(struct session *s, const uint8_t *data, uint16_t len)
{
	log_post("net: session %u got %u bytes (%c...)", s->id, len, data[0]);
}

static void session_open(uint8_t id)
{
	if (id >= MAX_SESSIONS || sessions[id] != NULL) {
		log_post("net: cannot open session %u", id);
		return;
	}
	struct session *s = pvPortMalloc(sizeof *s);
	if (s == NULL)
		return;
	memset(s, 0, sizeof *s);
	s->id = id;
	s->on_data = session_echo;
	strcpy(s->peer, "10.0.0.2");
	sessions[id] = s;
}

static void session_close(uint8_t id)
{
	if (id >= MAX_SESSIONS || sessions[id] == NULL)
		return;
	log_post("net: session %u closed after %u bytes", id, (unsigned)sessions[id]->rx_bytes);
	vPortFree(sessions[id]);
#if CRASH != CRASH_UAF
	sessions[id] = NULL;
#endif
}

static int session_deliver(uint8_t id, const uint8_t *data, uint16_t len)
{
	struct session *s = id < MAX_SESSIONS ? sessions[id] : NULL;

	if (s == NULL) {
		log_post("net: data for unknown session %u", id);
		return -1;
	}
	s->rx_bytes += len;
	s->on_data(s, data, len);
	return (int)s->rx_bytes;
}

static void bulk_add(const struct frame *f)
{
	if (bulk_count == BULK_CHUNKS) {
		for (unsigned i = 0; i < bulk_count; i++)
			vPortFree(bulk[i]);
		bulk_count = 0;
	}
	struct chunk *c = pvPortMalloc(sizeof *c);
	if (c == NULL)
		return;
	c->seq = bulk_count;
	memcpy(c->data, f->payload, sizeof c->data);
	bulk[bulk_count++] = c;
}

/* option_find walks type-length-value options and returns the value of the
 * first option of type, or NULL. */
static const uint8_t *option_find(const uint8_t *p, const uint8_t *end, uint8_t type)
{
	while (p + 2 <= end) {
		if (p[0] == type)
			return p + 2;
		p += 2 + p[1];
	}
	return NULL;
}

static int net_handle_options(const struct frame *f)
{
#if CRASH != CRASH_BADPTR
	if (f->opt_off >= f->len) {
		log_post("net: options at %u past the frame's %u bytes", (unsigned)f->opt_off, f->len);
		return -1;
	}
#endif
	/* BUG (CRASH_BADPTR): opt_off comes from the wire unchecked. */
	const uint8_t *opts = f->payload + f->opt_off;
	const uint8_t *mtu = option_find(opts, opts + f->len, OPT_MTU);
	if (mtu == NULL)
		return -1;
	log_post("net: peer MTU %u", (unsigned)(mtu[0] << 8 | mtu[1]));
	return 0;
}

static void net_dump(const uint8_t *data, unsigned len)
{
	static const char hex[] = "0123456789abcdef";
#if CRASH == CRASH_OVERFLOW
	/* BUG: sized for a jumbo frame, on a 1 KiB task stack. */
	char text[DUMP_MAX * 3 + 1];
	unsigned n = 0;

	memset(text, ' ', sizeof text);
	for (unsigned i = 0; i < len && i < DUMP_MAX; i++) {
		text[n++] = hex[data[i] >> 4];
		text[n++] = hex[data[i] & 15];
		n++;
	}
	text[n] = '\0';
	log_post("net: dump %s", text);
#else
	char text[16 * 3 + 1];

	for (unsigned off = 0; off < len; off += 16) {
		unsigned n = 0;
		for (unsigned i = off; i < len && i < off + 16; i++) {
			text[n++] = hex[data[i] >> 4];
			text[n++] = hex[data[i] & 15];
			text[n++] = ' ';
		}
		text[n] = '\0';
		log_post("net: dump %s", text);
	}
#endif
}

static void net_dump_bulk(void)
{
	for (unsigned i = 0; i < bulk_count; i++)
		net_dump(bulk[i]->data, sizeof bulk[i]->data);
}

/* The watchdog renews the DHCP transaction id while the link is up. */
static void link_watchdog(TimerHandle_t t)
{
	struct link *link = pvTimerGetTimerID(t);

	link->xid = DHCP_XID_BASE + ++renewals;
}

static void link_reset(void)
{
	struct link *fresh = pvPortMalloc(sizeof *fresh);

	if (fresh == NULL)
		return;
	memcpy(fresh, link_state, sizeof *fresh);
	fresh->flags = 0;
	fresh->addr = 0;
	vPortFree(link_state);
	link_state = fresh;
#if CRASH != CRASH_SWITCH
	/* BUG (CRASH_SWITCH): without this the watchdog keeps the freed link. */
	vTimerSetTimerID(link_wd, fresh);
#endif
	log_post("net: link reset");
}

static void link_up(void)
{
	link_state->flags |= LINK_UP | LINK_DHCP;
#if CRASH != CRASH_NULLFN
	/* BUG (CRASH_NULLFN): nobody may have subscribed yet. */
	if (peer.on_link != NULL)
#endif
		peer.on_link(link_state->flags);
	dhcp_start(link_state, xTaskGetCurrentTaskHandle());
	/* The DHCP client owns the link until it has a lease. */
	(void)ulTaskNotifyTake(pdTRUE, portMAX_DELAY);
	link_state->flags &= ~LINK_DHCP;
	log_post("net: link up, lease %u s", (unsigned)link_state->lease_s);
}

static void net_handle_frame(const struct frame *f)
{
	switch (f->type) {
	case FRAME_HELLO:
		break;
	case FRAME_OPEN:
		session_open(f->session);
		break;
	case FRAME_DATA:
		if (session_deliver(f->session, f->payload, f->len) < 0)
			log_post("net: dropped %u bytes", f->len);
		break;
	case FRAME_CLOSE:
		session_close(f->session);
		break;
	case FRAME_BULK:
		bulk_add(f);
		break;
	case FRAME_OPTIONS:
		if (net_handle_options(f) < 0)
			log_post("net: bad options");
		break;
	case FRAME_QUERY: {
		struct query q = {f->payload[0]};
		if (xQueueSend(query_queue, &q, 0) != pdPASS)
			log_post("net: query dropped");
		break;
	}
	case FRAME_SUBSCRIBE:
		if (alert_queue == NULL)
			alert_queue = xQueueCreate(4, sizeof(struct sample));
		peer.on_link = peer_link_changed;
		break;
	case FRAME_DUMP:
		net_dump_bulk();
		break;
	case FRAME_LINK_RESET:
		link_reset();
		break;
	case FRAME_LINK_UP:
		link_up();
		break;
	default:
		log_post("net: unknown frame type %u", f->type);
	}
}

/* net_start allocates the link state first, so it sits at the bottom of
 * the heap for the application's lifetime. */
void net_start(void)
{
	link_state = pvPortMalloc(sizeof *link_state);
	configASSERT(link_state != NULL);
	memset(link_state, 0, sizeof *link_state);
	memcpy(link_state->mac, "\x02\x00\x00\x00\x00\x01", 6);
	strcpy(link_state->ifname, "eth0");
	link_wd = xTimerCreate("linkwd", pdMS_TO_TICKS(LINK_WD_MS), pdTRUE, link_state, link_watchdog);
	configASSERT(link_wd != NULL);
	net_pool = pvPortMalloc(NET_POOL_BYTES);
	configASSERT(net_pool != NULL);
	nic_init();
}

void net_task(void *arg)
{
	struct frame f;

	(void)arg;
	xTimerStart(link_wd, portMAX_DELAY);
	log_post("net: up on %s", link_state->ifname);
	for (;;) {
		nic_receive(&f);
		net_handle_frame(&f);
	}
}
