/* console.c: a polling console over the board's UART; nothing here may fault
 * because the fault handlers use it. */
#include "crashlab.h"

void print(const char *s)
{
	while (*s) {
		if (*s == '\n')
			uart_putc('\r');
		uart_putc(*s++);
	}
}

void print_dec(uint32_t v, int width)
{
	char buf[10];
	int n = 0;
	do {
		buf[n++] = (char)('0' + v % 10u);
		v /= 10u;
	} while (v != 0 && n < 10);
	while (n < width && n < 10)
		buf[n++] = '0';
	while (n > 0)
		uart_putc(buf[--n]);
}

void print_hex(uint32_t v)
{
	static const char digits[] = "0123456789abcdef";
	print("0x");
	for (int i = 28; i >= 0; i -= 4)
		uart_putc(digits[(v >> i) & 0xfu]);
}

void start(const char *program)
{
	print("crashlab: ");
	print(program);
	print(" on ");
	print(board_name);
	print(": start\n");
}
