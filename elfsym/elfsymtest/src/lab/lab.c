/* lab.c: a small firmware in another team's style, built by clang and gcc
 * at several levels for elfsym's DWARF 5, CFI and call-site tests. It is
 * only read, never run. Tail calls are deliberate: middle() ends in
 * "return leaf(...)", dispatch() ends in a call through app.table. */
#include <stdint.h>

typedef int (*handler_fn)(int);

struct route {
	const char *path;
	handler_fn handler;
	uint32_t hits;
};

struct app_state {
	uint32_t flags;
	struct route table[4];
	volatile uint32_t *reg;
};

volatile uint32_t lab_sink;
uint32_t kept_sum(uint32_t n); /* discard.c */
int eh_func(int x);            /* eh.s: CFI in .eh_frame only */
uint32_t lab_words[8];

__attribute__((noinline)) int leaf(int x)
{
	lab_sink = (uint32_t)x;
	if (x == 42)
		__builtin_trap();
	return x * 3;
}

__attribute__((noinline)) int middle(int x)
{
	lab_sink += 1;
	return leaf(x + 1); /* tail call */
}

__attribute__((noinline)) int top(int x)
{
	int r = middle(x * 2); /* ordinary call */
	lab_sink = (uint32_t)r;
	return r + 1;
}

static inline int inl_inner(int x)
{
	lab_sink = (uint32_t)x;
	return x ^ 5;
}

static inline __attribute__((always_inline)) int inl_outer(int x)
{
	return inl_inner(x + 3) * 2;
}

__attribute__((noinline)) int uses_inline(int x)
{
	int a = inl_outer(x);
	lab_sink = (uint32_t)a;
	return a + leaf(a);
}

static int h_index(int x) { return leaf(x) + 1; }
static int h_status(int x) { return middle(x) + 2; }
static int h_reset(int x) { return top(x) + 3; }

struct app_state app = {
	.flags = 1,
	.table = {
		{"/", h_index, 0},
		{"/status", h_status, 0},
		{"/reset", h_reset, 0},
		{0, 0, 0},
	},
	.reg = &lab_words[3],
};

__attribute__((noinline)) int dispatch(int i, int x)
{
	app.table[i & 3].hits++;
	return app.table[i & 3].handler(x); /* indirect tail call */
}

/* big_frame has a large frame, so rows inside it differ from any small
 * function's. */
__attribute__((noinline)) uint32_t big_frame(uint32_t n)
{
	volatile uint32_t buf[64];
	for (uint32_t i = 0; i < 64; i++)
		buf[i] = n + i;
	return buf[n & 63] + lab_words[n & 7];
}

/* Overrides discard.c's weak board_init. */
__attribute__((noinline)) int board_init(int n)
{
	lab_words[0] = (uint32_t)n;
	return n + 1;
}

int main(void)
{
	static uint32_t calls;
	int r = board_init(7);
	for (;;) {
		calls++;
		r += top((int)calls);
		r += uses_inline(r);
		r += dispatch(r, (int)calls);
		r += (int)big_frame((uint32_t)r);
		r += (int)kept_sum((uint32_t)r);
		r += eh_func(r);
		lab_sink = (uint32_t)r;
	}
}

void Reset_Handler(void)
{
	main();
}

__attribute__((section(".vectors"), used)) const uintptr_t lab_vectors[2] = {
	0x20001000u, (uintptr_t)Reset_Handler,
};
