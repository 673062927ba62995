/* net.h: the gateway's frame format and the link state shared with DHCP. */
#ifndef NET_H
#define NET_H

#include <stdint.h>

#define FRAME_PAYLOAD 48

enum frame_type {
	FRAME_HELLO = 1,
	FRAME_OPEN,      /* open session `session` */
	FRAME_DATA,      /* payload for session `session` */
	FRAME_CLOSE,     /* close session `session` */
	FRAME_BULK,      /* a chunk of a bulk transfer, kept until complete */
	FRAME_OPTIONS,   /* TLV options at payload + opt_off */
	FRAME_QUERY,     /* ask crunch for payload[0]'s statistics */
	FRAME_SUBSCRIBE, /* send alerts to this peer */
	FRAME_DUMP,      /* debug: hex dump of the last bulk transfer */
	FRAME_LINK_RESET,
	FRAME_LINK_UP,   /* start DHCP */
};

struct frame {
	uint8_t type;
	uint8_t session;
	uint16_t len;     /* bytes used in payload */
	uint32_t opt_off; /* FRAME_OPTIONS: offset of the options in payload */
	uint8_t payload[FRAME_PAYLOAD];
};

#define LINK_UP   (1u << 0)
#define LINK_DHCP (1u << 1)

struct link {
	uint32_t flags;
	uint32_t lease_s;
	uint32_t xid; /* DHCP transaction id */
	uint32_t addr;
	uint8_t mac[6];
	char ifname[10];
	uint8_t scratch[80];
};

/* nic.c: the (simulated) Ethernet controller. */
void nic_init(void);
void nic_receive(struct frame *f);

#endif
