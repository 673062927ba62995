/* vtor_reloc: like a bootloader-started application, it copies the vector
 * table to RAM, installs its own HardFault handler there (app_hardfault,
 * not the startup file's HardFault_Handler) and sets VTOR. Then the rate
 * statistics divide by an elapsed time of zero with DIV_0_TRP on and
 * UsageFault disabled: HardFault FORCED DIVBYZERO, in app_hardfault. */
#include "cmsis_lite.h"
#include "board.h"

extern const uint32_t __Vectors[];
static uint32_t ram_vectors[48] __attribute__((aligned(256)));
volatile uint32_t g_app_faults;

void app_hardfault(void)
{
	g_app_faults++;
	for (;;)
		__asm volatile("" ::: "memory");
}

struct stats {
	uint32_t bytes, start_ms, now_ms;
};

__attribute__((noinline)) uint32_t rate_per_sec(const struct stats *s)
{
	uint32_t elapsed = s->now_ms - s->start_ms;
	return s->bytes * 1000u / elapsed;
}

__attribute__((noinline)) void stats_report(struct stats *s)
{
	uint32_t r = rate_per_sec(s);
	console_hex(r);
	s->bytes = 0;
}

static struct stats link_stats = {4096, 100, 100};

int main(void)
{
	for (unsigned i = 0; i < 48; i++)
		ram_vectors[i] = __Vectors[i];
	ram_vectors[3] = (uint32_t)(uintptr_t)app_hardfault;
	SCB->VTOR = (uint32_t)(uintptr_t)ram_vectors;
	__DSB();
	SCB->CCR |= SCB_CCR_DIV_0_TRP_Msk;
	stats_report(&link_stats);
	return 0;
}
