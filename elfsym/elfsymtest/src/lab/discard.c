/* discard.c: functions the linker throws away with --gc-sections. Their
 * .debug_frame FDEs stay, relocated to address 0 with their original
 * length, where flash (and so real code) starts in this image. Both have
 * big frames, so a row taken from their FDEs is visibly wrong. */
#include <stdint.h>

extern uint32_t lab_words[8];
uint32_t kept_sum(uint32_t n);

uint32_t never_called(uint32_t n)
{
	volatile uint32_t buf[96];
	for (uint32_t i = 0; i < 96; i++)
		buf[i] = n * i + lab_words[i & 7];
	for (uint32_t i = 0; i < 96; i += 3)
		lab_words[i & 7] ^= buf[(i * 7) & 63] + buf[n & 63];
	/* A call: its call site, relocated near 0 with the function, must
	 * not alias a return address in real code. */
	lab_words[1] = kept_sum(n);
	return buf[n & 63];
}

/* Overridden by lab.c's board_init. */
__attribute__((weak)) int board_init(int n)
{
	volatile uint32_t regs[80];
	for (int i = 0; i < 80; i++)
		regs[i] = (uint32_t)(n + i) * 2654435761u;
	for (int i = 0; i < 80; i += 5)
		lab_words[i & 7] += regs[(i * 3) & 63];
	return (int)regs[n & 63];
}

/* kept_sum is used, so the linker keeps this file's debug sections (it
 * drops them with the file's last code section). */
__attribute__((noinline)) uint32_t kept_sum(uint32_t n)
{
	return lab_words[n & 7] + n;
}
