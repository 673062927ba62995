/* m0: a radio frame decoder on the micro:bit's nRF51 (Cortex-M0, ARMv6-M,
 * no CFSR). The frame's sequence number is read as a word at an odd
 * offset; ARMv6-M has no unaligned access: HardFault, a few calls deep. */
#include "cmsis_lite.h"
#include "board.h"

struct frame {
	uint8_t buf[24];
	uint8_t len;
};

static uint32_t read_le32(const uint8_t *p)
{
	return *(const uint32_t *)p;
}

__attribute__((noinline)) uint32_t frame_decode(const struct frame *f)
{
	const uint8_t *p = f->buf + 1; /* after the type byte */
	OPAQUE(p);
	uint32_t seq = read_le32(p);
	return seq + f->len;
}

static struct frame rx_frame = {{0x05, 0x01, 0x02, 0x03, 0x04, 'x'}, 6};
static uint32_t last_seq;

__attribute__((noinline)) void radio_rx(void)
{
	last_seq = frame_decode(&rx_frame);
	console_hex(last_seq);
}

int main(void)
{
	radio_rx();
	return 0;
}
