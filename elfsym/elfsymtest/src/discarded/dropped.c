/* dropped.c: dropped_outer is never called, so --gc-sections drops its
 * section; its DWARF stays, with an inlined call of scale whose range
 * list is relative to the dropped section's address, now 0. kept_mix
 * keeps the file's DWARF. */
#include <stdint.h>
uint32_t words[16];
static inline __attribute__((always_inline)) uint32_t scale(uint32_t v, uint32_t k)
{
	if (k > 7)
		return words[v & 15] * k;
	uint32_t r = v;
	for (uint32_t i = 0; i < k; i++)
		r = (r << 3) ^ (r >> 5) ^ words[(r + i) & 15];
	return r;
}
uint32_t dropped_outer(uint32_t n)
{
	volatile uint32_t buf[32];
	for (uint32_t i = 0; i < 32; i++)
		buf[i] = n * i + words[i & 15];
	for (uint32_t i = 0; i < 32; i += 3)
		words[i & 15] ^= buf[(i * 7) & 31] + buf[n & 31];
	uint32_t s = scale(buf[n & 31], n);
	words[3] = s;
	return s + buf[2];
}
__attribute__((noinline)) uint32_t kept_mix(uint32_t n)
{
	return words[n & 15] + n * 3;
}
