/* board.h: what the programs need from the board support. */
#ifndef BOARD_H
#define BOARD_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

void board_init(void);
void console_write(const char *s);
void console_hex(uint32_t v);

void *memcpy(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
size_t strlen(const char *s);

/* The crash record the fault handler fills (lib/fault.c). */
struct crash_record {
	uint32_t cfsr, hfsr, mmfar, bfar, exc_return, count;
};
extern volatile struct crash_record g_crash;

#ifdef __cplusplus
}
#endif

#endif
