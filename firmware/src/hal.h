/* hal.h: the little board support the webserver firmware needs on QEMU's
 * netduino2 (STM32F205): registers, SysTick time, the USART1 console, the
 * TIM2 RGB LED, the reset-reason record and the panic path. */
#ifndef HAL_H
#define HAL_H

#include <stdint.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define REG32(a) (*(volatile uint32_t *)(a))

/* System control block and SysTick. */
#define SCB_ICSR   REG32(0xE000ED04u)
#define SCB_VTOR   REG32(0xE000ED08u)
#define SCB_AIRCR  REG32(0xE000ED0Cu)
#define SCB_SHPR2  REG32(0xE000ED1Cu) /* SVCall priority in [31:24] */
#define SCB_SHPR3  REG32(0xE000ED20u) /* PendSV [23:16], SysTick [31:24] */
#define SYST_CSR   REG32(0xE000E010u)
#define SYST_RVR   REG32(0xE000E014u)
#define SYST_CVR   REG32(0xE000E018u)
#define NVIC_ISER(n) REG32(0xE000E100u + 4u * (n))
#define NVIC_IPR_BYTE(irq) (*(volatile uint8_t *)(0xE000E400u + (irq)))

#define ICSR_PENDSVSET (1u << 28)

/* IRQ numbers (STM32F205 reference manual, table 61). */
#define IRQ_TIM2   28
#define IRQ_USART1 37
#define IRQ_USART2 38

/* Exception priorities: the co-processor link's receive interrupt above
 * SysTick above the network "thread" (PendSV), which is the lowest so that a
 * BASEPRI of PRIO_NETWORK masks exactly it (net_lock()). */
#define PRIO_USART2  0x40u
#define PRIO_SYSTICK 0x80u
#define PRIO_NETWORK 0xF0u

#define CPU_HZ 120000000u

/* Panic codes, as Device OS numbers them. */
enum panic_code {
	PANIC_HARDFAULT = 1,
	PANIC_NMIFAULT = 2,
	PANIC_MEMMANAGE = 3,
	PANIC_BUSFAULT = 4,
	PANIC_USAGEFAULT = 5,
	PANIC_INVALIDLENGTH = 6,
	PANIC_EXIT = 7,
	PANIC_OUTOFHEAP = 8,
	PANIC_ASSERTIONFAILURE = 10,
	PANIC_PUREVIRTUALCALL = 12,
	PANIC_HEAPERROR = 14,
};

/* Reset reasons, as Device OS numbers them. */
enum reset_reason {
	RESET_REASON_NONE = 0,
	RESET_REASON_POWER_DOWN = 40,
	RESET_REASON_PANIC = 130,
	RESET_REASON_USER = 140,
};

void hal_init(void);
uint32_t millis(void);
void delay_ms(uint32_t ms);

/* Console (USART1), polled. */
void console_write(const char *s, size_t n);
void console_puts(const char *s);

/* Device OS log line: "%010u [category] LEVEL: message\r\n". */
void log_printf(const char *category, const char *level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
#define LOG_INFO(cat, ...)  log_printf(cat, "INFO", __VA_ARGS__)
#define LOG_WARN(cat, ...)  log_printf(cat, "WARN", __VA_ARGS__)
#define LOG_ERROR(cat, ...) log_printf(cat, "ERROR", __VA_ARGS__)
#define LOG_TRACE(cat, ...) log_printf(cat, "TRACE", __VA_ARGS__)

/* Reset reason kept across SYSRESETREQ in the last 16 bytes of SRAM. */
void reset_reason_get(uint32_t *reason, uint32_t *data);
void system_reset(uint32_t reason, uint32_t data) __attribute__((noreturn));

/* RGB LED status patterns (driven from SysTick). */
enum led_status {
	LED_OFF,
	LED_BLINK_GREEN,   /* link coming up */
	LED_BREATHE_CYAN,  /* connected */
	LED_BREATHE_BLUE,  /* link lost */
};
void led_set_status(enum led_status s);

/* panic logs "[hal] PANIC: <name>", blinks SOS with the code twice and
 * resets with reason PANIC and data = code. Callable from any context. */
void panic(int code, const char *name) __attribute__((noreturn));

/* Critical section against the network thread (PendSV): BASEPRI masks it,
 * interrupts above it keep running. Nests. */
uint32_t net_lock(void);
void net_unlock(uint32_t saved);

static inline void irq_disable(void) { __asm volatile("cpsid i" ::: "memory"); }
static inline void irq_enable(void) { __asm volatile("cpsie i" ::: "memory"); }

#ifdef __cplusplus
}
#endif
#endif
