/* panic.c: the Device OS panic: log line, SOS on the LED, reset.
 *
 * It runs with interrupts disabled (from a fault handler, or called from
 * thread code) so SysTick cannot tick; it times the SOS by reading SysTick's
 * counter. It touches neither the heap nor newlib (both may be what broke):
 * the log line is formatted by hand. */
#include "hal.h"

void led_rgb(uint32_t r, uint32_t g, uint32_t b);
void hal_advance_millis(void);

#define RED_ON 10000u
#define SYST_MAX 0x00FFFFFFu /* SysTick counts 24 bits */

/* The panic clock counts SysTick's elapsed cycles rather than its
 * one-millisecond wraps: a polling loop that misses a millisecond (QEMU on
 * a loaded host runs the guest in bursts) would lose the wrap, COUNTFLAG
 * holding only one, and the SOS would slow down with the host. Reloading
 * at the full 24 bits (140 ms at 120 MHz) leaves room for long gaps. */
static uint32_t cycles_per_ms, last_cvr, pending;

static void panic_clock_start(void)
{
	cycles_per_ms = SYST_RVR + 1u; /* hal_init: one millisecond */
	SYST_CSR = 5;                  /* core clock, no interrupt, enabled */
	SYST_RVR = SYST_MAX;
	SYST_CVR = 0; /* reload now */
	last_cvr = SYST_CVR;
	pending = 0;
}

static void wait_ms(uint32_t ms)
{
	while (ms > 0) {
		uint32_t cur = SYST_CVR;
		pending += (last_cvr - cur) & SYST_MAX; /* counts down, wraps */
		last_cvr = cur;
		for (; pending >= cycles_per_ms && ms > 0; ms--) {
			pending -= cycles_per_ms;
			hal_advance_millis();
		}
	}
}

static void flash(uint32_t on, uint32_t off)
{
	led_rgb(RED_ON, 0, 0);
	wait_ms(on);
	led_rgb(0, 0, 0);
	wait_ms(off);
}

/* sos plays one SOS with the panic code (FACTS.md section 4):
 * 3 x (150 on, 100 off), 100 gap, 3 x (300 on, 100 off), 100 gap,
 * 3 x (150 on, 100 off), 900 pause, code x (300 on, 300 off), 800 pause. */
static void sos(int code)
{
	for (int i = 0; i < 3; i++)
		flash(150, 100);
	wait_ms(100);
	for (int i = 0; i < 3; i++)
		flash(300, 100);
	wait_ms(100);
	for (int i = 0; i < 3; i++)
		flash(150, 100);
	wait_ms(900);
	for (int i = 0; i < code; i++)
		flash(300, 300);
	wait_ms(800);
}

static char *put_dec(char *p, uint32_t v, int width)
{
	char tmp[10];
	for (int i = 9; i >= 0; i--) {
		tmp[i] = (char)('0' + v % 10u);
		v /= 10u;
	}
	for (int i = 10 - width; i < 10; i++)
		*p++ = tmp[i];
	return p;
}

void panic(int code, const char *name)
{
	irq_disable();
	char line[80];
	char *p = put_dec(line, millis(), 10);
	const char *pre = " [hal] PANIC: ";
	while (*pre)
		*p++ = *pre++;
	for (int i = 0; name[i] && i < 40; i++)
		*p++ = name[i];
	*p++ = '\r';
	*p++ = '\n';
	console_write(line, (size_t)(p - line));
	panic_clock_start();
	sos(code);
	sos(code);
	system_reset(RESET_REASON_PANIC, (uint32_t)code);
}
