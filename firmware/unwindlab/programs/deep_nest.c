/* deep_nest: a configuration reader for nested lists ("[[[... x ...]]]")
 * that recurses once per level, each level keeping a 256-byte scratch of
 * the tokens it has seen. The host sends a document nested 1000 deep: some
 * 300 KiB of the main stack, which starts at the top of mps2-an385's 4 MiB
 * SSRAM2/3 (0x20400000), far more than a small part's whole RAM. At the
 * innermost level the atom names a table entry that was never loaded, and
 * reading its value goes through a pointer into an unmapped window:
 * HardFault FORCED PRECISERR, BFAR 0x60000040. */
#include "cmsis_lite.h"
#include "board.h"

#define DEPTH 1000

struct entry {
	const char *name;
	const uint32_t *value;
};

static const uint32_t v_rate = 115200;
static struct entry table[4] = {
	{"rate", &v_rate},
	{"mode", (const uint32_t *)0x60000040}, /* not loaded: external EEPROM window */
};

static char doc[2 * DEPTH + 8];
static unsigned pos;
static volatile uint32_t sink;

__attribute__((noinline)) uint32_t lookup_atom(char c)
{
	const struct entry *e = &table[c == 'm'];
	OPAQUE(e);
	return *e->value;
}

__attribute__((noinline)) uint32_t parse_value(unsigned depth);

__attribute__((noinline)) uint32_t parse_list(unsigned depth)
{
	char seen[256];
	unsigned n = 0;
	uint32_t sum = 0;
	pos++; /* '[' */
	while (doc[pos] && doc[pos] != ']') {
		seen[n++ % sizeof seen] = doc[pos];
		sum += parse_value(depth + 1);
	}
	pos++; /* ']' */
	OPAQUE(seen[0]);
	return sum + (uint32_t)seen[(n + 1) % sizeof seen] * depth;
}

__attribute__((noinline)) uint32_t parse_value(unsigned depth)
{
	char c = doc[pos];
	if (c == '[')
		return parse_list(depth) + 1;
	pos++;
	return lookup_atom(c) + depth;
}

__attribute__((noinline)) uint32_t parse_document(void)
{
	pos = 0;
	uint32_t v = parse_value(0);
	sink = v;
	return v;
}

static void receive_document(void)
{
	unsigned i = 0;
	for (unsigned d = 0; d < DEPTH; d++)
		doc[i++] = '[';
	doc[i++] = 'm';
	for (unsigned d = 0; d < DEPTH; d++)
		doc[i++] = ']';
	doc[i] = 0;
}

int main(void)
{
	receive_document();
	uint32_t v = parse_document();
	console_hex(v);
	return 0;
}
