/* led.c: the RGB LED on TIM2 and its status patterns.
 *
 * Red, green and blue are TIM2 channels 2, 3 and 4 (PA1-PA3 on the Photon),
 * TIM2 counts at 1 MHz with ARR = 9999: 100 Hz PWM. The channels run in PWM
 * mode 1 with active-high polarity: a pin is high for CCRx counts out of
 * every ARR+1 (duty = CCRx / (ARR+1)). The LED is common-anode, so a colour
 * is lit while its pin is LOW:
 *
 *     brightness of a colour = 1 - CCRx / (ARR + 1)
 *     CCRx = 10000: off        CCRx = 0: full        CCRx = 5000: half
 *
 * (faultline's probe decodes the LED the same way: its Photon profile is
 * ActiveLow.)
 *
 * Patterns are computed every millisecond from SysTick (led_tick) and, on a
 * panic, by the SOS loop in panic.c, which writes the same registers. */
#include "hal.h"

#define TIM2_BASE  0x40000000u
#define TIM2_CR1   REG32(TIM2_BASE + 0x00u)
#define TIM2_EGR   REG32(TIM2_BASE + 0x14u)
#define TIM2_CCMR1 REG32(TIM2_BASE + 0x18u)
#define TIM2_CCMR2 REG32(TIM2_BASE + 0x1Cu)
#define TIM2_CCER  REG32(TIM2_BASE + 0x20u)
#define TIM2_PSC   REG32(TIM2_BASE + 0x28u)
#define TIM2_ARR   REG32(TIM2_BASE + 0x2Cu)
#define TIM2_CCR2  REG32(TIM2_BASE + 0x38u)
#define TIM2_CCR3  REG32(TIM2_BASE + 0x3Cu)
#define TIM2_CCR4  REG32(TIM2_BASE + 0x40u)

#define LED_FULL 10000u /* ARR + 1 */

static volatile enum led_status g_status;

void led_init(void)
{
	TIM2_PSC = 60u - 1u; /* TIM2 clock 60 MHz (APB1 x2) -> 1 MHz */
	TIM2_ARR = LED_FULL - 1u;
	/* OC2M, OC3M, OC4M = 110 (PWM mode 1), preload enabled. */
	TIM2_CCMR1 = (6u << 12) | (1u << 11);
	TIM2_CCMR2 = (6u << 4) | (1u << 3) | (6u << 12) | (1u << 11);
	TIM2_CCER = (1u << 4) | (1u << 8) | (1u << 12); /* CC2E, CC3E, CC4E */
	TIM2_CCR2 = TIM2_CCR3 = TIM2_CCR4 = LED_FULL; /* dark */
	TIM2_EGR = 1;
	TIM2_CR1 = 1; /* CEN */
}

/* led_rgb sets the three brightnesses, each 0 (off) .. LED_FULL (full). */
void led_rgb(uint32_t r, uint32_t g, uint32_t b)
{
	TIM2_CCR2 = LED_FULL - r;
	TIM2_CCR3 = LED_FULL - g;
	TIM2_CCR4 = LED_FULL - b;
}

void led_set_status(enum led_status s) { g_status = s; }

/* breathe is a 4 s triangle from dark to full and back. */
static uint32_t breathe(uint32_t now)
{
	uint32_t t = now % 4000u;
	uint32_t up = t < 2000u ? t : 4000u - t;
	return up * LED_FULL / 2000u;
}

void led_tick(uint32_t now)
{
	switch (g_status) {
	case LED_BLINK_GREEN: /* normal blink: 200 ms period */
		led_rgb(0, (now % 200u) < 100u ? LED_FULL : 0, 0);
		break;
	case LED_BREATHE_CYAN: {
		uint32_t v = breathe(now);
		led_rgb(0, v, v);
		break;
	}
	case LED_BREATHE_BLUE:
		led_rgb(0, 0, breathe(now));
		break;
	default:
		led_rgb(0, 0, 0);
		break;
	}
}
