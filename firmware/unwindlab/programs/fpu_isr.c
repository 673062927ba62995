/* fpu_isr: an audio level meter on a Cortex-M7 with its FPU on. main runs
 * a float mixer; SysTick samples the level with float gain maths and reads
 * a calibration word through a pointer the third tick finds unset (the
 * external calibration EEPROM window, not mapped): a precise BusFault in
 * the handler, whose exception frame on MSP is the extended one (the
 * mixer's FP context, FPCA set, lazily stacked). */
#include "cmsis_lite.h"
#include "board.h"

#define CPACR (*(volatile uint32_t *)0xE000ED88u)

void SystemInit(void)
{
	CPACR |= 0xFu << 20; /* CP10/CP11 full access, as CMSIS's SystemInit does */
	__DSB();
	__ISB();
}

static const uint32_t calib_rom[4] = {1000, 1010, 990, 1005};
static const uint32_t *volatile calib = calib_rom;
static volatile uint32_t ticks;
static volatile int mixing;
static volatile uint32_t tick_seen;
volatile float g_level;
volatile float g_mix;

__attribute__((noinline)) uint32_t calib_read(uint32_t idx)
{
	return calib[idx & 3u];
}

__attribute__((noinline)) float level_update(float gain)
{
	uint32_t c = calib_read(ticks);
	return gain * (float)c / 1000.0f;
}

void SysTick_Handler(void)
{
	if (!mixing)
		return; /* only while the mixer runs, so the frame below is known */
	ticks++;
	if (ticks == 3)
		calib = (const uint32_t *)0x70000000u; /* EEPROM window, unmapped */
	float gain = 0.5f + 0.25f * (float)(ticks & 7u);
	g_level = level_update(gain);
	tick_seen++;
}

__attribute__((noinline)) float mixer_run(float a, float b)
{
	volatile float acc = a;
	uint32_t seen = tick_seen;
	mixing = 1;
	while (tick_seen == seen)
		acc = acc * 0.5f + b; /* FP registers live across the tick */
	mixing = 0;
	return acc;
}

int main(void)
{
	SCB->SHCSR |= SCB_SHCSR_BUSFAULTENA_Msk;
	NVIC_SetSysPriority(15, 0x80); /* SysTick below BusFault, or it escalates */
	SysTick->LOAD = 250000 - 1;
	SysTick->VAL = 0;
	SysTick->CTRL = SysTick_CTRL_CLKSOURCE_Msk | SysTick_CTRL_TICKINT_Msk | SysTick_CTRL_ENABLE_Msk;
	float x = 1.0f;
	for (;;) {
		x = mixer_run(x, 0.25f);
		g_mix = x;
	}
}
