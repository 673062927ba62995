/* crashlab.h: what every crash program shares: the console, the System
 * Control Block registers it pokes, and the attributes that keep call chains
 * visible in a backtrace. */
#ifndef CRASHLAB_H
#define CRASHLAB_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* NOINLINE keeps a function as its own frame: noipa also stops GCC from
 * cloning it (foo.constprop.0) or assuming things across the call, so the
 * DWARF name of each frame is exactly the source name. */
#define NOINLINE __attribute__((noipa))

#define REG32(addr) (*(volatile uint32_t *)(addr))

#define SCB_ICSR  REG32(0xE000ED04u)
#define SCB_VTOR  REG32(0xE000ED08u)
#define SCB_CCR   REG32(0xE000ED14u)
#define SCB_SHPR3 REG32(0xE000ED20u)
#define SCB_SHCSR REG32(0xE000ED24u)
#define SCB_CFSR  REG32(0xE000ED28u)
#define SCB_HFSR  REG32(0xE000ED2Cu)

#define CCR_UNALIGN_TRP (1u << 3)
#define CCR_DIV_0_TRP   (1u << 4)

#define SHCSR_MEMFAULTENA (1u << 16)
#define SHCSR_BUSFAULTENA (1u << 17)
#define SHCSR_USGFAULTENA (1u << 18)

#define SYST_CSR REG32(0xE000E010u)
#define SYST_RVR REG32(0xE000E014u)
#define SYST_CVR REG32(0xE000E018u)

/* Provided by the board file. */
extern const char board_name[];
extern const uint32_t board_cpu_hz;
void uart_init(void);
void uart_putc(char c);
int uart_getc(void); /* blocks until a byte arrives */

/* Provided by common/console.c. */
void print(const char *s);
void print_dec(uint32_t v, int width); /* zero-padded to width digits */
void print_hex(uint32_t v);
/* start prints "crashlab: <program> on <board>: start". */
void start(const char *program);

/* Provided by each program. */
extern const char program_name[];

/* fault_report prints "crashlab: <handler>" and spins forever. It never
 * faults: QEMU aborts the whole emulator on a fault inside a fault handler. */
void fault_report(const char *handler) __attribute__((noreturn));

/* ms_ticks counts SysTick interrupts when a program starts SysTick with
 * systick_start_ms; the default SysTick_Handler increments it. */
extern volatile uint32_t ms_ticks;
void systick_start_ms(void);

#ifdef __cplusplus
}
#endif

#endif
