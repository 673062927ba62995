/* smash: a packet handler copies the name field into a 16-byte local
 * without checking its length. The 28-byte name runs over the saved
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

static struct packet rx_pkt = {
	1, 40,
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
	return net_rx();
}
