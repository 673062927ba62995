/* console.c: polled output on CMSDK UART0 and a small printf (%s %c %d %u
 * %x with width and zero padding) that needs no libc. */
#include <stdarg.h>
#include "board.h"

void console_init(void)
{
	UART0_BAUDDIV = 16;
	UART0_CTRL = 1; /* TX enable */
}

static void console_putc(char c)
{
	while (UART0_STATE & 1u) /* TX buffer full */
		;
	UART0_DATA = (uint8_t)c;
}

void console_write(const char *s)
{
	while (*s)
		console_putc(*s++);
}

struct sink {
	char *buf;
	unsigned size, len;
};

static void put(struct sink *s, char c)
{
	if (s->len + 1 < s->size)
		s->buf[s->len] = c;
	s->len++;
}

static void put_uint(struct sink *s, uint32_t v, unsigned base, int width, char pad)
{
	char digits[12];
	int n = 0;
	do {
		digits[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v != 0);
	while (width-- > n)
		put(s, pad);
	while (n > 0)
		put(s, digits[--n]);
}

int format(char *buf, unsigned size, const char *fmt, va_list ap)
{
	struct sink s = {buf, size, 0};
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			put(&s, *fmt);
			continue;
		}
		fmt++;
		char pad = ' ';
		int width = 0;
		if (*fmt == '0') {
			pad = '0';
			fmt++;
		}
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		switch (*fmt) {
		case 's': {
			const char *str = va_arg(ap, const char *);
			while (*str)
				put(&s, *str++);
			break;
		}
		case 'c':
			put(&s, (char)va_arg(ap, int));
			break;
		case 'd': {
			int v = va_arg(ap, int);
			if (v < 0) {
				put(&s, '-');
				v = -v;
			}
			put_uint(&s, (uint32_t)v, 10, width, pad);
			break;
		}
		case 'u':
			put_uint(&s, va_arg(ap, uint32_t), 10, width, pad);
			break;
		case 'x':
			put_uint(&s, va_arg(ap, uint32_t), 16, width, pad);
			break;
		case '\0':
			fmt--;
			break;
		default:
			put(&s, *fmt);
		}
	}
	if (size > 0)
		buf[s.len < size ? s.len : size - 1] = '\0';
	return (int)s.len;
}

void console_printf(const char *fmt, ...)
{
	char line[96];
	va_list ap;
	va_start(ap, fmt);
	format(line, sizeof line, fmt, ap);
	va_end(ap);
	console_write(line);
}
