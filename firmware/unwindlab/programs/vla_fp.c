/* vla_fp: a packet reassembler built with -fno-omit-frame-pointer (as
 * some teams do so a debugger can walk their stacks): every function keeps
 * r7 as its frame pointer, and the one that gathers a fragment list into a
 * variable-length array moves SP by a run-time amount and restores it
 * from r7 (mov sp, r7). The first fragment's data pointer points into an
 * unmapped DMA window: HardFault FORCED PRECISERR on the first byte
 * copied into the VLA, BFAR 0x60000200. The VLA lies over the frames of
 * the calls that measured the fragments, so the stack below the fault
 * holds their stale return addresses. */
#include "cmsis_lite.h"
#include "board.h"

struct frag {
	const uint8_t *data;
	uint16_t len;
};

uint32_t rx_checksum; /* read by the host over the debug link */
static unsigned rx_dropped;

__attribute__((noinline)) static uint32_t sum_bytes(const uint8_t *p, unsigned n)
{
	uint32_t s = 0;
	for (unsigned i = 0; i < n; i++)
		s = s * 31u + p[i];
	return s;
}

__attribute__((noinline)) unsigned frag_len(const struct frag *f)
{
	if (f->len > 256) {
		rx_dropped++;
		console_write("oversized fragment\n");
		return 0;
	}
	return f->len;
}

__attribute__((noinline)) unsigned frags_total(const struct frag *f, unsigned nfrag)
{
	unsigned total = 0;
	for (unsigned i = 0; i < nfrag; i++)
		total += frag_len(&f[i]);
	console_hex(total);
	return total;
}

__attribute__((noinline)) int reassemble(const struct frag *f, unsigned nfrag)
{
	unsigned total = frags_total(f, nfrag);
	uint8_t pkt[total]; /* the VLA: SP moves by total, rounded */
	unsigned at = 0;
	for (unsigned i = 0; i < nfrag; i++) {
		const uint8_t *src = f[i].data;
		for (unsigned j = 0; j < f[i].len; j++)
			pkt[at++] = src[j];
	}
	rx_checksum = sum_bytes(pkt, total);
	return (int)total;
}

static const uint8_t body[16] = "fragment body..";
static const uint8_t trailer[4] = {0xde, 0xad, 0xbe, 0xef};

__attribute__((noinline)) int rx_packet(unsigned id)
{
	struct frag frags[3] = {{0, 20}, {body, sizeof body}, {trailer, sizeof trailer}};
	const uint8_t *dma = (const uint8_t *)0x60000200;
	OPAQUE(dma);
	frags[0].data = dma;
	int n = reassemble(frags, 3);
	console_hex((uint32_t)n + id);
	return n;
}

int main(void)
{
	int n = rx_packet(1);
	console_write(n > 0 ? "rx ok\n" : "rx failed\n");
	return 0;
}
