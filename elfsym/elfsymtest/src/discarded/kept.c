/* kept.c: the code that runs: a vector table at 0 (data, so no function
 * starts there), then enough code to lie under dropped.c's addresses. */
#include <stdint.h>
extern uint32_t words[16];
uint32_t kept_mix(uint32_t n);
__attribute__((noinline)) uint32_t kept_loop(uint32_t n)
{
	uint32_t acc = n;
	for (uint32_t i = 0; i < 16; i++) {
		acc = acc * 2654435761u + words[i];
		words[(i * 5) & 15] ^= acc >> 3;
		if (acc & 0x40)
			words[i] += kept_mix(acc);
	}
	return acc;
}
void Reset_Handler(void)
{
	for (;;)
		words[0] = kept_loop(words[1]) + kept_mix(words[2]);
}
__attribute__((section(".vectors"), used)) const void *const vectors[2] = {
	(void *)0x20001000, (void *)Reset_Handler,
};
