/* acodec.c: a vendor's audio codec library, built as vendors ship such
 * libraries: -O2, no debug information, unwind tables on (-funwind-tables:
 * their crash reporter walks the stack), so the only unwind information
 * for this code is .ARM.exidx. It pulls its input through the read hook
 * the application registered. */
#include "acodec.h"

void acodec_init(struct acodec *c, acodec_read_fn read, void *ctx)
{
	c->read = read;
	c->ctx = ctx;
	c->fill = c->pos = c->bitbuf = c->nbits = 0;
	for (unsigned i = 0; i < 8; i++)
		c->hist[i] = 0;
	c->frames = 0;
}

__attribute__((noinline)) int acodec_refill(struct acodec *c)
{
	int n = c->read(c->ctx, c->buf, sizeof c->buf);
	if (n <= 0)
		return -1;
	c->fill = (unsigned)n;
	c->pos = 0;
	return n;
}

__attribute__((noinline)) int acodec_get_bits(struct acodec *c, unsigned n)
{
	while (c->nbits < n) {
		if (c->pos == c->fill && acodec_refill(c) < 0)
			return -1;
		c->bitbuf = c->bitbuf << 8 | c->buf[c->pos++];
		c->nbits += 8;
	}
	c->nbits -= n;
	return (int)(c->bitbuf >> c->nbits & ((1u << n) - 1u));
}

/* An LPC-style frame: a predictor of order 8 over 32 residuals, the
 * coefficients and residuals kept on the stack. */
__attribute__((noinline)) int acodec_decode_frame(struct acodec *c, int16_t *pcm, unsigned n)
{
	int32_t coef[8], res[32];
	int shift = acodec_get_bits(c, 4);
	if (shift < 0)
		return -1;
	for (unsigned i = 0; i < 8; i++)
		coef[i] = acodec_get_bits(c, 6) - 32;
	for (unsigned i = 0; i < 32 && i < n; i++)
		res[i] = acodec_get_bits(c, 8) - 128;
	for (unsigned i = 0; i < n && i < 32; i++) {
		int64_t acc = 0;
		for (unsigned k = 0; k < 8; k++)
			acc += (int64_t)coef[k] * c->hist[k];
		int32_t s = res[i] + (int32_t)(acc >> shift);
		for (unsigned k = 7; k > 0; k--)
			c->hist[k] = c->hist[k - 1];
		c->hist[0] = s;
		pcm[i] = (int16_t)(s > 32767 ? 32767 : s < -32768 ? -32768 : s);
	}
	c->frames++;
	return (int)(n < 32 ? n : 32);
}

int acodec_process(struct acodec *c, int16_t *out, unsigned frames)
{
	int total = 0;
	for (unsigned f = 0; f < frames; f++) {
		int r = acodec_decode_frame(c, out + 32 * f, 32);
		if (r < 0)
			return total ? total : r;
		total += r;
	}
	return total;
}
