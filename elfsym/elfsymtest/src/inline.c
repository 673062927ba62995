/* inline.c: static inline helpers used at -O2, so gcc emits
 * DW_TAG_inlined_subroutine, nested two and three deep. */
#include <stdint.h>

volatile uint32_t sink;
volatile uint32_t source[16];

static inline uint32_t leaf_mix(uint32_t x)
{
	x ^= x >> 7;
	x *= 0x9e3779b1u;
	sink = x;
	return x ^ source[x & 15];
}

static inline uint32_t middle_step(uint32_t x, uint32_t y)
{
	uint32_t a = leaf_mix(x + y);
	sink = a;
	return leaf_mix(a ^ y) + 3;
}

static inline __attribute__((always_inline)) uint32_t outer_walk(uint32_t n)
{
	uint32_t acc = 0;
	for (uint32_t i = 0; i < n; i++) {
		acc += middle_step(acc, source[i & 15]);
	}
	return acc;
}

__attribute__((noinline)) uint32_t checksum(uint32_t n)
{
	return outer_walk(n) + leaf_mix(n);
}

__attribute__((noinline)) int divide(int a, int b)
{
	return a / b;
}

static int table[8];

__attribute__((noinline)) void fill_table(int seed)
{
	for (int i = 0; i < 8; i++)
		table[i] = (int)middle_step((uint32_t)seed, (uint32_t)i);
}

uint32_t run_c(void)
{
	fill_table((int)source[1]);
	return checksum(source[0]) + (uint32_t)divide((int)source[2], (int)source[3] + 1) + (uint32_t)table[3];
}
