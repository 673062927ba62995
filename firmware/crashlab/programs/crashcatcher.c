/* crashcatcher: CrashCatcher (firmware/third_party/CrashCatcher) is the
 * HardFault handler; its HexDump module prints the crash dump as hex text on
 * the console, the way a device with no debug probe reports a crash. The
 * crash is a divide by zero with CCR.DIV_0_TRP set and UsageFault left
 * disabled: HardFault, FORCED, DIVBYZERO. */
#include "crashlab.h"
#include <CrashCatcher.h>

const char program_name[] = "crashcatcher";

/* CrashCatcher's assembly HardFault handler (built as
 * CrashCatcher_HardFault_Handler, see the Makefile) has no unwind info, so a
 * debugger stopped on it cannot show the faulting frames; this naked
 * trampoline has some (CFA = sp, return address = lr = EXC_RETURN) and
 * touches no register, so CrashCatcher sees the exception entry state. */
void CrashCatcher_HardFault_Handler(void);

__attribute__((naked)) void HardFault_Handler(void)
{
	__asm volatile("b CrashCatcher_HardFault_Handler");
}

/* CrashCatcher dumps .data and .bss (the globals) and the top of the main
 * stack, where every crashlab program runs. */
extern uint32_t _sdata[], _ebss[], _estack[];
#define STACK_DUMP_BYTES 2048u

static CrashCatcherMemoryRegion regions[3];

const CrashCatcherMemoryRegion *CrashCatcher_GetMemoryRegions(void)
{
	regions[0] = (CrashCatcherMemoryRegion){(uint32_t)_sdata, (uint32_t)_ebss, CRASH_CATCHER_BYTE};
	regions[1] = (CrashCatcherMemoryRegion){(uint32_t)_estack - STACK_DUMP_BYTES, (uint32_t)_estack, CRASH_CATCHER_BYTE};
	regions[2] = (CrashCatcherMemoryRegion){0xFFFFFFFFu, 0xFFFFFFFFu, CRASH_CATCHER_BYTE};
	return regions;
}

/* HexDump asks "press any key to start dump" and waits: a person, or
 * faultline watching the console, answers. */
int CrashCatcher_getc(void)
{
	return uart_getc();
}

void CrashCatcher_putc(int c)
{
	uart_putc((char)c);
}

/* CrashCatcher copies FP registers with memcpy; crashlab links no libc. */
void *memcpy(void *dst, const void *src, unsigned int n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;
	while (n--)
		*d++ = *s++;
	return dst;
}

struct sample {
	uint32_t total;
	uint32_t count;
};

struct sample g_samples[4] = {{100, 4}, {90, 3}, {0, 0}, {40, 2}};
volatile uint32_t g_average;

NOINLINE uint32_t average(const struct sample *s)
{
	return s->total / s->count;
}

NOINLINE void report_channel(int ch)
{
	g_average = average(&g_samples[ch]);
	print("crashlab: channel ");
	print_hex(g_average);
	print("\n");
}

NOINLINE void report_all(void)
{
	for (int ch = 0; ch < 4; ch++)
		report_channel(ch);
}

int main(void)
{
	start(program_name);
	SCB_CCR |= CCR_DIV_0_TRP;
	report_all();
	return 0;
}
