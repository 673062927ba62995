/* wifi_link.h: the driver for the WiFi co-processor on USART2.
 *
 * Frames (both directions; README.md "Co-processor protocol"):
 *   0x7E  type  conn  len_lo len_hi  payload[len]  csum
 * csum makes the byte sum of type..csum zero (mod 256). len <= WIFI_MAX_PAYLOAD.
 *
 * Receive is interrupt driven: the USART2 RXNE interrupt moves bytes into a
 * ring buffer and pends PendSV, the "network thread", which parses frames
 * and calls the socket layer (socket_hal_on_*) from interrupt context, the
 * way WICED's network thread called Device OS's socket callbacks. */
#ifndef WIFI_LINK_H
#define WIFI_LINK_H

#include <stddef.h>
#include <stdint.h>

enum wifi_frame_type : uint8_t {
	/* co-processor -> firmware */
	WIFI_LINK_UP = 0x01,
	WIFI_LINK_DOWN = 0x02,
	WIFI_ACCEPT = 0x03, /* conn = slot, payload = port (u16 LE) */
	WIFI_DATA = 0x04,   /* conn, payload = bytes */
	WIFI_CLOSE = 0x05,  /* conn: the peer closed or the connection failed */
	WIFI_ERROR = 0x06,  /* payload = text */
	/* firmware -> co-processor */
	WIFI_HELLO = 0x80,    /* payload = firmware name; the co-processor resets its state */
	WIFI_LISTEN = 0x81,   /* payload = port (u16 LE) */
	WIFI_SEND = 0x82,     /* conn, payload = bytes */
	WIFI_CLOSE_REQ = 0x83,/* conn */
	WIFI_UNLISTEN = 0x84, /* payload = port (u16 LE) */
};

#define WIFI_SOF 0x7E
#define WIFI_MAX_PAYLOAD 512
#define WIFI_MAX_CONNS 8 /* the co-processor's accept slots */

void wifi_init(void);
/* wifi_poll runs from the system loop: it repeats HELLO until the
 * co-processor has answered. */
void wifi_poll(void);
bool wifi_ready(void);
/* wifi_link_epoch counts link losses; sockets remember the epoch they were
 * made in and send nothing to the co-processor after it changed. */
uint32_t wifi_link_epoch(void);
/* wifi_send_frame sends one frame; callable from the main loop and from the
 * network thread (it masks interrupts while it writes). */
void wifi_send_frame(uint8_t type, uint8_t conn, const void *payload, size_t len);

/* Implemented by the socket layer; called from the network thread. */
void socket_hal_on_link(bool up);
void socket_hal_on_accept(uint8_t conn, uint16_t port);
void socket_hal_on_data(uint8_t conn, const uint8_t *data, size_t len);
void socket_hal_on_close(uint8_t conn);

#endif
