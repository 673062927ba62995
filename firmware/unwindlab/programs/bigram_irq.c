/* bigram_irq: a driver table serviced from a timer interrupt, the main
 * stack at the top of the 4 MiB SRAM (0x20400000). The SPI driver's
 * register block is configured at an address with no device behind it:
 * the TIMER0 interrupt's service of it raises BusFault PRECISERR with
 * BFAR 0x60010004, interrupting main's idle loop. */
#include "cmsis_lite.h"
#include "board.h"

typedef struct {
	__IO uint32_t DATA;
	__IO uint32_t STATUS;
	__IO uint32_t CTRL;
} DEV_Type;

struct driver {
	const char *name;
	DEV_Type *regs;
	void (*service)(const struct driver *);
	uint32_t events;
};

static void uart_service(const struct driver *d);
static void spi_service(const struct driver *d);

/* Board configuration (from a generated header in the original). */
static struct driver drivers[] = {
	{"uart0", (DEV_Type *)0x40004000, uart_service, 0},
	{"spi1", (DEV_Type *)0x60010000, spi_service, 0},
};

static void uart_service(const struct driver *d)
{
	if (d->regs->STATUS & 2u)
		console_write("uart rx\n");
}

static void spi_service(const struct driver *d)
{
	uint32_t st = d->regs->STATUS;
	if (st & 1u)
		console_write("spi done\n");
}

__attribute__((noinline)) void drivers_poll(void)
{
	for (unsigned i = 0; i < sizeof drivers / sizeof drivers[0]; i++) {
		struct driver *d = &drivers[i];
		OPAQUE(d);
		d->service(d);
		d->events++;
	}
}

static volatile uint32_t timer_ticks, idle_loops;

void TIMER0_IRQHandler(void)
{
	timer_ticks++;
	drivers_poll();
}

static void app_run(void)
{
	NVIC->IP[8] = 0x40;
	NVIC->ISER[0] = 1u << 8;
	NVIC->ISPR[0] = 1u << 8; /* the timer's first expiry, pended by hand */
	__DSB();
	__ISB();
	for (;;)
		idle_loops++;
}

int main(void)
{
	SCB->SHCSR |= SCB_SHCSR_BUSFAULTENA_Msk;
	__enable_irq();
	app_run();
	return 0;
}
