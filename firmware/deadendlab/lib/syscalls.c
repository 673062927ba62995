/* syscalls.c: newlib's system calls as STM32CubeIDE generates them for a
 * bare-metal project (Core/Src/syscalls.c and sysmem.c): output goes to a
 * RAM log, _kill fails, and _exit spins forever, so abort() and a failed
 * assert() leave the board hung with nothing on a console and no fault. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

char g_log[512];
static unsigned log_pos;

int _getpid(void) { return 1; }

int _kill(int pid, int sig)
{
	(void)pid;
	(void)sig;
	errno = EINVAL;
	return -1;
}

void _exit(int status)
{
	_kill(status, -1);
	while (1) {
	} /* Make sure we hang here */
}

int _write(int file, char *ptr, int len)
{
	(void)file;
	for (int i = 0; i < len; i++)
		g_log[log_pos++ % sizeof g_log] = ptr[i];
	return len;
}

int _read(int file, char *ptr, int len)
{
	(void)file;
	(void)ptr;
	(void)len;
	return 0;
}

int _close(int file) { (void)file; return -1; }
int _fstat(int file, struct stat *st) { (void)file; st->st_mode = S_IFCHR; return 0; }
int _isatty(int file) { (void)file; return 1; }
int _lseek(int file, int ptr, int dir) { (void)file; (void)ptr; (void)dir; return 0; }

/* sysmem.c: the heap grows from the end of .bss up to 16 KiB below the
 * top of RAM, where the main stack lives. */
extern uint8_t end;
static uint8_t *heap_end;

void *_sbrk(ptrdiff_t incr)
{
	const uint8_t *limit = (uint8_t *)0x20400000 - 16 * 1024;
	if (heap_end == NULL)
		heap_end = &end;
	if (heap_end + incr > limit) {
		errno = ENOMEM;
		return (void *)-1;
	}
	uint8_t *prev = heap_end;
	heap_end += incr;
	return prev;
}
