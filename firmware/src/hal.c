/* hal.c: SysTick time, the USART1 console and its log format, the
 * reset-reason record, the network lock and newlib's system calls. */
#include "hal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <reent.h>

#define USART1_SR  REG32(0x40011000u)
#define USART1_DR  REG32(0x40011004u)
#define USART1_CR1 REG32(0x4001100Cu)
#define USART_SR_TXE (1u << 7)

static volatile uint32_t g_millis;

void led_tick(uint32_t now); /* led.c */

void SysTick_Handler(void)
{
	uint32_t now = ++g_millis;
	led_tick(now);
}

uint32_t millis(void) { return g_millis; }

void delay_ms(uint32_t ms)
{
	uint32_t start = g_millis;
	while (g_millis - start < ms)
		__asm volatile("wfi");
}

/* Used by the panic loop, which runs with SysTick unable to preempt it: it
 * keeps the millisecond count going itself. */
void hal_advance_millis(void) { g_millis++; }

void hal_init(void)
{
	USART1_CR1 = (1u << 13) | (1u << 3); /* UE | TE */
	SCB_SHPR3 = (PRIO_SYSTICK << 24) | (PRIO_NETWORK << 16);
	SYST_RVR = CPU_HZ / 1000u - 1u;
	SYST_CVR = 0;
	SYST_CSR = 7; /* CLKSOURCE = core clock, TICKINT, ENABLE */
}

void console_write(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		while ((USART1_SR & USART_SR_TXE) == 0)
			;
		USART1_DR = (uint8_t)s[i];
	}
}

void console_puts(const char *s) { console_write(s, strlen(s)); }

/* Log lines come from the main loop only (the network thread does not log),
 * so one buffer is enough; the network lock keeps a line whole anyway. */
void log_printf(const char *category, const char *level, const char *fmt, ...)
{
	static char line[256];
	uint32_t saved = net_lock();
	int n = snprintf(line, sizeof line, "%010lu [%s] %s: ", (unsigned long)millis(), category, level);
	va_list ap;
	va_start(ap, fmt);
	if (n > 0 && n < (int)sizeof line)
		n += vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof line - 3)
		n = (int)sizeof line - 3;
	line[n++] = '\r';
	line[n++] = '\n';
	console_write(line, (size_t)n);
	net_unlock(saved);
}

/* The reset-reason record lives in the last 16 bytes of SRAM, outside every
 * ELF segment (see link.ld), so it survives SYSRESETREQ under QEMU. */
struct reset_record {
	uint32_t magic;
	uint32_t reason;
	uint32_t data;
	uint32_t check;
};
#define RESET_MAGIC 0x52535452u /* "RSTR" */
extern uint32_t __noinit_start[4];
#define RESET_RECORD ((volatile struct reset_record *)(uintptr_t)__noinit_start)

void reset_reason_get(uint32_t *reason, uint32_t *data)
{
	volatile struct reset_record *r = RESET_RECORD;
	if (r->magic == RESET_MAGIC && r->check == (r->reason ^ r->data ^ RESET_MAGIC)) {
		*reason = r->reason;
		*data = r->data;
	} else {
		*reason = RESET_REASON_POWER_DOWN;
		*data = 0;
	}
	r->magic = 0;
}

void system_reset(uint32_t reason, uint32_t data)
{
	volatile struct reset_record *r = RESET_RECORD;
	r->magic = RESET_MAGIC;
	r->reason = reason;
	r->data = data;
	r->check = reason ^ data ^ RESET_MAGIC;
	__asm volatile("dsb" ::: "memory");
	SCB_AIRCR = (0x05FAu << 16) | (1u << 2); /* VECTKEY | SYSRESETREQ */
	__asm volatile("dsb" ::: "memory");
	for (;;)
		;
}

uint32_t net_lock(void)
{
	uint32_t old;
	__asm volatile("mrs %0, basepri" : "=r"(old));
	if (old == 0 || old > PRIO_NETWORK) {
		uint32_t v = PRIO_NETWORK;
		__asm volatile("msr basepri, %0" ::"r"(v) : "memory");
	}
	return old;
}

void net_unlock(uint32_t saved) { __asm volatile("msr basepri, %0" ::"r"(saved) : "memory"); }

/* newlib's malloc is shared by the main loop and the network thread
 * (PendSV): the main loop masks the network thread while it is inside. */
static uint32_t malloc_depth, malloc_saved;

void __malloc_lock(struct _reent *r)
{
	(void)r;
	uint32_t ipsr;
	__asm volatile("mrs %0, ipsr" : "=r"(ipsr));
	if (ipsr != 0)
		return; /* the network thread cannot be preempted by a malloc user */
	uint32_t s = net_lock();
	if (malloc_depth++ == 0)
		malloc_saved = s;
}

void __malloc_unlock(struct _reent *r)
{
	(void)r;
	uint32_t ipsr;
	__asm volatile("mrs %0, ipsr" : "=r"(ipsr));
	if (ipsr != 0)
		return;
	if (--malloc_depth == 0)
		net_unlock(malloc_saved);
}

/* System calls newlib needs. The heap grows from the end of .bss up to the
 * stack's reserved area; running out is the OutOfHeap panic. */
extern char __heap_start, __stack_limit;
static char *heap_end;

void *_sbrk(ptrdiff_t incr)
{
	if (heap_end == 0)
		heap_end = &__heap_start;
	char *prev = heap_end;
	if (heap_end + incr > &__stack_limit) {
		errno = ENOMEM;
		return (void *)-1;
	}
	heap_end += incr;
	return prev;
}

int _write(int fd, const char *buf, int n)
{
	(void)fd;
	console_write(buf, (size_t)n);
	return n;
}
int _read(int fd, char *buf, int n) { (void)fd; (void)buf; (void)n; return 0; }
int _close(int fd) { (void)fd; return -1; }
int _lseek(int fd, int off, int whence) { (void)fd; (void)off; (void)whence; return 0; }
int _isatty(int fd) { (void)fd; return 1; }
int _fstat(int fd, struct stat *st) { (void)fd; st->st_mode = S_IFCHR; return 0; }
int _getpid(void) { return 1; }
int _kill(int pid, int sig) { (void)pid; (void)sig; errno = EINVAL; return -1; }
void _exit(int status) { (void)status; panic(PANIC_EXIT, "Exit"); }
