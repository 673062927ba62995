/* xip_code: a sensor hub laid out as an i.MX RT (Teensy 4) image
 * (boards/mps2-an500/xip.ld): the code executes in place from the serial
 * flash window at 0x60000000, the vector table and the filter that runs
 * for every block live in the tightly coupled memory at 0 (.itcm), and
 * the filter calls back into flash (through a linker veneer: 1.5 GiB is
 * out of a BL's reach). The codec's channel read is inlined into
 * codec_fetch and ends in a tail call of the register layer; the board's
 * codec is not fitted, so channel 3 reads 0x7000000c, where nothing answers:
 * HardFault FORCED PRECISERR (BusFault not enabled), BFAR 0x7000000c. */
#include "cmsis_lite.h"
#include "board.h"

#define CODEC_BASE 0x70000000u /* an external codec's register window */

static uint32_t gain[8] = {3, 5, 7, 9, 11, 13, 15, 17};
static uint32_t hist[8];
volatile uint32_t g_level;

__attribute__((noinline)) uint32_t hw_read(uint32_t addr)
{
	return *(volatile uint32_t *)addr;
}

__attribute__((noinline)) uint32_t reg_read(unsigned reg)
{
	if (reg > 63)
		return 0;
	return hw_read(CODEC_BASE + 4u * reg); /* tail call */
}

static inline uint32_t chan_sample(unsigned ch)
{
	uint32_t v = reg_read(ch);
	return v * gain[ch % 8];
}

__attribute__((noinline)) uint32_t codec_fetch(unsigned ch)
{
	uint32_t s = chan_sample(ch);
	hist[ch % 8] = s;
	return s ^ hist[0];
}

/* Runs from the TCM at 0: the hot loop, called for every block. */
__attribute__((noinline, section(".itcm"))) uint32_t dsp_filter(unsigned first, unsigned nch)
{
	uint32_t acc = 0;
	for (unsigned ch = first; ch < first + nch; ch++)
		acc += codec_fetch(ch) >> 2;
	g_level = acc;
	return acc;
}

static volatile unsigned first_channel = 3, channels = 4;

int main(void)
{
	uint32_t peak = 0;
	for (int block = 0; block < 4; block++) {
		uint32_t l = dsp_filter(first_channel, channels);
		if (l > peak)
			peak = l;
	}
	console_hex(peak);
	return 0;
}
