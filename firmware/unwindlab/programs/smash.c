/* smash: a packet handler copies the name field into a 16-byte local
 * without checking its length. The claimed length runs over the saved
 * registers and the saved return address, so the handler "returns" to
 * 0x41414140 (ASCII "AAAA"): HardFault FORCED IACCVIOL (the address is
 * in the execute-never device region). */
#include "cmsis_lite.h"
#include "board.h"

struct packet {
	uint8_t type;
	uint8_t name_len;
	char name[40];
};

/* The length is what the sender claims: just enough to reach the saved
 * return address in this compiler's frame layout (gcc: name, 4 bytes of
 * padding, lr; clang: name, r4, r6, r7, lr), so the caller's frame above
 * stays intact and a stack scan can find it. */
#if defined(__clang__)
#define CLAIMED_LEN 32
#else
#define CLAIMED_LEN 24
#endif
static struct packet rx_pkt = {
	1, CLAIMED_LEN,
	"sensor-node-AAAAAAAAAAAAAAAAAAAAAAAAAAA",
};

__attribute__((noinline)) int handle_packet(const struct packet *p)
{
	char name[16];
	memcpy(name, p->name, p->name_len); /* no bound check */
	console_write(name);
	return name[0];
}

__attribute__((noinline)) int net_rx(void)
{
	const struct packet *p = &rx_pkt;
	OPAQUE(p);
	int r = handle_packet(p);
	console_write("rx done\n");
	return r;
}

int main(void)
{
	int r = net_rx();
	console_write("bye\n"); /* main keeps its frame: the scan has it to find */
	return r;
}
