/* vendor_codec: an audio player (built with -g) over a vendor's codec
 * library shipped without debug information (lib/vendor/acodec.c, -g0
 * -funwind-tables: .ARM.exidx is all there is for it). The codec pulls
 * its input through the player's read hook; after the SD card's stream
 * switched to a DMA window that is not mapped (the card was ejected),
 * the hook's copy faults: HardFault FORCED PRECISERR, BFAR 0x60000400,
 * in the player's code three vendor frames above the player's own. */
#include "cmsis_lite.h"
#include "board.h"
#include "../lib/vendor/acodec.h"

struct sd_stream {
	const uint8_t *data;
	unsigned len, off, reads;
};

static const uint8_t track[256] = {0x35, 0x81, 0x9c, 0x20, 0x44, 0x7f, 0x01, 0xfe};

__attribute__((noinline)) int sd_read_hook(void *ctx, uint8_t *buf, unsigned len)
{
	struct sd_stream *s = ctx;
	unsigned n = s->len - s->off < len ? s->len - s->off : len;
	for (unsigned i = 0; i < n; i++)
		buf[i] = s->data[s->off + i];
	s->off += n;
	s->reads++;
	return (int)n;
}

static struct acodec codec;
static int16_t pcm[4 * 32];
uint32_t pcm_level; /* read by the host over the debug link */

__attribute__((noinline)) int player_run(struct sd_stream *s, unsigned frames)
{
	acodec_init(&codec, sd_read_hook, s);
	int n = acodec_process(&codec, pcm, frames);
	uint32_t level = 0;
	for (int i = 0; i < n; i++)
		level += (uint32_t)(pcm[i] < 0 ? -pcm[i] : pcm[i]);
	pcm_level = level;
	return n;
}

int main(void)
{
	static struct sd_stream s = {track, sizeof track, 0, 0};
	/* The card was ejected: the stream now reads from the DMA window,
	 * which this board does not map. */
	const uint8_t *dma = (const uint8_t *)0x60000400u;
	OPAQUE(dma);
	s.data = dma;
	int n = player_run(&s, 4);
	console_hex((uint32_t)n);
	return 0;
}
