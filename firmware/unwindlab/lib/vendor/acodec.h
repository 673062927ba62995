/* acodec.h: the public API of a vendor's audio codec library, shipped as
 * a binary built without debug information. */
#ifndef ACODEC_H
#define ACODEC_H

#include <stdint.h>

typedef int (*acodec_read_fn)(void *ctx, uint8_t *buf, unsigned len);

struct acodec {
	acodec_read_fn read;
	void *ctx;
	uint8_t buf[64];
	unsigned fill, pos, bitbuf, nbits;
	int32_t hist[8];
	uint32_t frames;
};

void acodec_init(struct acodec *c, acodec_read_fn read, void *ctx);
int acodec_process(struct acodec *c, int16_t *out, unsigned frames);

#endif
