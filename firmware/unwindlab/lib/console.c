/* console.c: a RAM log buffer a debugger or the crash handler can read
 * (SEGGER RTT's idea without the protocol); every board has one. */
#include "board.h"

char g_log[512];
static unsigned log_pos;

void console_write(const char *s)
{
	while (*s) {
		g_log[log_pos++ % sizeof g_log] = *s++;
	}
}

void console_hex(uint32_t v)
{
	char buf[11] = "0x";
	for (int i = 0; i < 8; i++)
		buf[2 + i] = "0123456789abcdef"[(v >> (28 - 4 * i)) & 0xf];
	buf[10] = 0;
	console_write(buf);
}
