/* board.h: the mps2-an385 peripherals this application uses (CMSDK UART0,
 * CMSDK TIMER0) and the Cortex-M3 system registers it touches. */
#ifndef BOARD_H
#define BOARD_H

#include <stdint.h>

#define REG32(addr) (*(volatile uint32_t *)(addr))

#define BOARD_CPU_HZ 25000000u

/* CMSDK APB UART0: QEMU's first -serial. QEMU drops characters unless
 * CTRL.TXEN is set and BAUDDIV >= 16. */
#define UART0_DATA    REG32(0x40004000u)
#define UART0_STATE   REG32(0x40004004u)
#define UART0_CTRL    REG32(0x40004008u)
#define UART0_BAUDDIV REG32(0x40004010u)

/* CMSDK APB TIMER0, IRQ 8. */
#define TIMER0_CTRL      REG32(0x40000000u)
#define TIMER0_VALUE     REG32(0x40000004u)
#define TIMER0_RELOAD    REG32(0x40000008u)
#define TIMER0_INTCLEAR  REG32(0x4000000cu)
#define TIMER0_IRQn      8u
#define TIMER_CTRL_EN    (1u << 0)
#define TIMER_CTRL_IRQEN (1u << 3)

/* NVIC and SCB. */
#define NVIC_ISER(n) REG32(0xe000e100u + 4u * (n))
#define NVIC_ICER(n) REG32(0xe000e180u + 4u * (n))
#define NVIC_IPR_BYTE(irq) (*(volatile uint8_t *)(0xe000e400u + (irq)))
#define SCB_CCR    REG32(0xe000ed14u)
#define SCB_SHCSR  REG32(0xe000ed24u)
#define SCB_CPACR  REG32(0xe000ed88u)
#define CCR_DIV_0_TRP (1u << 4)
#define SHCSR_MEMFAULTENA (1u << 16)
#define SHCSR_BUSFAULTENA (1u << 17)
#define SHCSR_USGFAULTENA (1u << 18)

static inline void nvic_enable(uint32_t irq) { NVIC_ISER(irq / 32u) = 1u << (irq % 32u); }
static inline void nvic_disable(uint32_t irq)
{
	NVIC_ICER(irq / 32u) = 1u << (irq % 32u);
	__asm volatile("dsb\n isb" ::: "memory");
}

/* console.c */
void console_init(void);
void console_write(const char *s);
void console_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int format(char *buf, unsigned size, const char *fmt, __builtin_va_list ap);

#endif
