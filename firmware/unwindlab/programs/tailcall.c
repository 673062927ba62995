/* tailcall: a serial command shell. Input arrives in a ring buffer, a line
 * is split into words and dispatched; "peek ADDR" reads a register through
 * the register-access layer. The peek handler and the register layer end
 * in tail calls, so optimised builds drop their frames from the stack;
 * DWARF call-site information (DW_AT_call_tail_call) restores them.
 * The scripted input peeks an address with no device behind it:
 * HardFault FORCED PRECISERR (BusFault not enabled), BFAR 0x60000010. */
#include "cmsis_lite.h"
#include "board.h"

#define RING_SIZE 64
struct ring {
	uint8_t buf[RING_SIZE];
	uint16_t head, tail;
};

static struct ring rx;

static int ring_put(struct ring *r, uint8_t c)
{
	uint16_t next = (uint16_t)((r->head + 1) % RING_SIZE);
	if (next == r->tail)
		return -1;
	r->buf[r->head] = c;
	r->head = next;
	return 0;
}

static int ring_get(struct ring *r)
{
	if (r->head == r->tail)
		return -1;
	uint8_t c = r->buf[r->tail];
	r->tail = (uint16_t)((r->tail + 1) % RING_SIZE);
	return c;
}

static uint32_t parse_hex(const char *s)
{
	uint32_t v = 0;
	for (; *s; s++) {
		char c = *s;
		if (c >= '0' && c <= '9')
			v = v * 16 + (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v * 16 + (uint32_t)(c - 'a' + 10);
		else
			break;
	}
	return v;
}

/* The register layer: separate functions in a real HAL (another file, so
 * not inlined without LTO); noinline keeps them so under LTO too. */
__attribute__((noinline)) uint32_t bus_read32(uint32_t addr)
{
	return *(volatile uint32_t *)addr;
}

__attribute__((noinline)) uint32_t reg_read(uint32_t addr)
{
	if (addr & 3u)
		return 0xffffffffu;
	return bus_read32(addr); /* tail call */
}

static int last_status;

__attribute__((noinline)) uint32_t cmd_peek(int argc, char **argv)
{
	if (argc < 2)
		return 0;
	uint32_t addr = parse_hex(argv[1]);
	OPAQUE(addr);
	return reg_read(addr); /* tail call */
}

__attribute__((noinline)) uint32_t cmd_echo(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		console_write(argv[i]);
	return (uint32_t)argc;
}

__attribute__((noinline)) int cli_dispatch(int argc, char **argv)
{
	uint32_t result;
	if (argv[0][0] == 'p')
		result = cmd_peek(argc, argv);
	else if (argv[0][0] == 'e')
		result = cmd_echo(argc, argv);
	else
		return -1;
	console_hex(result);
	console_write("\n");
	last_status = (int)result;
	return 0;
}

static char line[48];
static unsigned line_len;

__attribute__((noinline)) void cli_feed(int c)
{
	if (c != '\n') {
		if (line_len < sizeof line - 1)
			line[line_len++] = (char)c;
		return;
	}
	line[line_len] = 0;
	char *argv[4];
	int argc = 0;
	for (char *p = line; *p && argc < 4;) {
		while (*p == ' ')
			*p++ = 0;
		if (!*p)
			break;
		argv[argc++] = p;
		while (*p && *p != ' ')
			p++;
	}
	if (argc > 0)
		cli_dispatch(argc, argv);
	line_len = 0;
}

static void app_loop(void)
{
	for (;;) {
		int c = ring_get(&rx);
		if (c < 0)
			break;
		cli_feed(c);
	}
}

int main(void)
{
	const char *script = "echo hi\npeek 60000010\n";
	for (const char *s = script; *s; s++)
		ring_put(&rx, (uint8_t)*s);
	app_loop();
	return last_status;
}
