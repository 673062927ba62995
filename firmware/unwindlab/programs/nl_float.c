/* nl_float: telemetry on a Cortex-M7 with its FPU on, each channel scaled
 * in single precision and formatted with "%s=%.3f" by Debian's hard-float
 * newlib (_svfprintf_r saves d8-d9 and formats the float with _dtoa_r).
 * A channel table patched at run time leaves one name pointing into an
 * unmapped window (0x60000000 is RAM on this board): HardFault FORCED
 * PRECISERR in strlen under _svfprintf_r, BFAR 0x70000040, after two
 * lines went out. */
#include <stdio.h>
#include "cmsis_lite.h"
#include "board.h"

#define CPACR (*(volatile uint32_t *)0xE000ED88u)

void SystemInit(void)
{
	CPACR |= 0xFu << 20; /* CP10/CP11 full access, as CMSIS's SystemInit does */
	__DSB();
	__ISB();
}

struct channel {
	const char *name;
	float scale;
	int32_t raw;
};

static struct channel channels[] = {
	{"vbat", 0.001f, 3712},
	{"temp", 0.01f, 2150},
	{"rssi", 1.0f, -71},
};

static char line[48];

__attribute__((noinline)) int telemetry_line(char *buf, size_t len, const struct channel *c)
{
	float v = (float)c->raw * c->scale;
	return snprintf(buf, len, "%s=%.3f\n", c->name, (double)v);
}

__attribute__((noinline)) unsigned telemetry_send(const struct channel *c, unsigned n)
{
	unsigned sent = 0;
	for (unsigned i = 0; i < n; i++) {
		if (telemetry_line(line, sizeof line, &c[i]) > 0) {
			console_write(line);
			sent++;
		}
	}
	return sent;
}

int main(void)
{
	const char *name = (const char *)0x70000040;
	OPAQUE(name);
	channels[2].name = name; /* the patch that went wrong */
	unsigned sent = telemetry_send(channels, sizeof channels / sizeof channels[0]);
	console_hex(sent);
	return 0;
}
