/* nl_log: a sensor report formatted by newlib's vsnprintf, the way a
 * vendor SDK's logging macro does it. The sensor descriptors come from a
 * table the bootloader patches; one name pointer was left pointing into an
 * external memory window with nothing behind it, so formatting its "%s"
 * faults deep inside newlib (strlen under _svfprintf_r): HardFault FORCED
 * PRECISERR, BFAR 0x60000040. The frames run user -> newlib -> user. */
#include <stdarg.h>
#include <stdio.h>
#include "cmsis_lite.h"
#include "board.h"

struct sensor {
	const char *name;
	int value;
	const char *unit;
};

static struct sensor sensors[] = {
	{"temp", 21, "C"},
	{"humidity", 40, "%"},
	{"pressure", 1013, "hPa"},
};

static char log_buf[96];
static unsigned log_lines;

__attribute__((noinline)) void log_printf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(log_buf, sizeof log_buf, fmt, ap);
	va_end(ap);
	if (n > 0) {
		console_write(log_buf);
		log_lines++;
	}
}

__attribute__((noinline)) void report_sensors(const struct sensor *s, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		log_printf("%s=%d%s\n", s[i].name, s[i].value, s[i].unit);
}

/* What the bootloader patch left behind. */
static void apply_patch(void)
{
	const char *name = (const char *)0x60000040;
	OPAQUE(name);
	sensors[1].name = name;
}

int main(void)
{
	apply_patch();
	report_sensors(sensors, sizeof sensors / sizeof sensors[0]);
	return (int)log_lines;
}
