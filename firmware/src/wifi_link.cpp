/* wifi_link.cpp: USART2 receive interrupt, ring buffer, the network thread
 * (PendSV) and the frame parser. See wifi_link.h. */
#include "wifi_link.h"

#include "hal.h"

#define USART2_BASE 0x40004400u
#define USART2_SR  REG32(USART2_BASE + 0x00u)
#define USART2_DR  REG32(USART2_BASE + 0x04u)
#define USART2_CR1 REG32(USART2_BASE + 0x0Cu)
#define USART_SR_RXNE (1u << 5)
#define USART_SR_TXE (1u << 7)
#define CR1_UE (1u << 13)
#define CR1_RXNEIE (1u << 5)
#define CR1_TE (1u << 3)
#define CR1_RE (1u << 2)

/* Receive ring, filled by the interrupt and drained by the network thread.
 * When it is full the interrupt stops reading (RXNEIE off) and leaves RXNE
 * set: QEMU then holds further bytes back, so nothing is lost. */
#define RX_RING 4096u
static uint8_t rx_ring[RX_RING];
static volatile uint32_t rx_head, rx_tail;

static volatile bool link_up;
static volatile uint32_t link_epoch;

extern "C" void USART2_IRQHandler(void)
{
	while (USART2_SR & USART_SR_RXNE) {
		if (rx_head - rx_tail >= RX_RING) {
			USART2_CR1 &= ~CR1_RXNEIE;
			break;
		}
		rx_ring[rx_head % RX_RING] = (uint8_t)USART2_DR;
		rx_head = rx_head + 1;
	}
	SCB_ICSR = ICSR_PENDSVSET;
}

/* Parser state, owned by the network thread. */
enum parse_state { P_SOF, P_TYPE, P_CONN, P_LEN0, P_LEN1, P_PAYLOAD, P_CSUM };
static struct {
	parse_state st;
	uint8_t type, conn, sum;
	uint16_t len, got;
	uint8_t payload[WIFI_MAX_PAYLOAD];
} rx;

/* heard is set by the first valid frame from the co-processor. Until then
 * the firmware repeats HELLO (wifi_poll): the co-processor may connect to
 * QEMU's end of the link after the boot HELLO went out and was lost. */
static volatile bool heard;
static uint32_t last_hello;

static void dispatch(void)
{
	heard = true;
	switch (rx.type) {
	case WIFI_LINK_UP:
		link_up = true;
		socket_hal_on_link(true);
		break;
	case WIFI_LINK_DOWN:
		if (link_up)
			link_epoch = link_epoch + 1;
		link_up = false;
		socket_hal_on_link(false);
		break;
	case WIFI_ACCEPT:
		if (rx.len >= 2)
			socket_hal_on_accept(rx.conn, (uint16_t)(rx.payload[0] | rx.payload[1] << 8));
		break;
	case WIFI_DATA:
		socket_hal_on_data(rx.conn, rx.payload, rx.len);
		break;
	case WIFI_CLOSE:
		socket_hal_on_close(rx.conn);
		break;
	default: /* ERROR and unknown types are ignored */
		break;
	}
}

static void parse(uint8_t b)
{
	switch (rx.st) {
	case P_SOF:
		if (b == WIFI_SOF) {
			rx.st = P_TYPE;
			rx.sum = 0;
		}
		return;
	case P_TYPE:
		rx.type = b;
		rx.st = P_CONN;
		break;
	case P_CONN:
		rx.conn = b;
		rx.st = P_LEN0;
		break;
	case P_LEN0:
		rx.len = b;
		rx.st = P_LEN1;
		break;
	case P_LEN1:
		rx.len |= (uint16_t)(b << 8);
		rx.got = 0;
		if (rx.len > WIFI_MAX_PAYLOAD) {
			rx.st = P_SOF; /* resynchronise on the next SOF */
			return;
		}
		rx.st = rx.len ? P_PAYLOAD : P_CSUM;
		break;
	case P_PAYLOAD:
		rx.payload[rx.got++] = b;
		if (rx.got == rx.len)
			rx.st = P_CSUM;
		break;
	case P_CSUM:
		rx.st = P_SOF;
		if ((uint8_t)(rx.sum + b) == 0)
			dispatch();
		return;
	}
	rx.sum = (uint8_t)(rx.sum + b);
}

/* The network thread: lowest priority, so the main loop can keep it out
 * with net_lock() and it never preempts the receive interrupt. */
extern "C" void PendSV_Handler(void)
{
	while (rx_tail != rx_head) {
		uint8_t b = rx_ring[rx_tail % RX_RING];
		rx_tail = rx_tail + 1;
		parse(b);
	}
	USART2_CR1 |= CR1_RXNEIE;
}

static void tx_byte(uint8_t b, uint8_t *sum)
{
	while ((USART2_SR & USART_SR_TXE) == 0)
		;
	USART2_DR = b;
	if (sum)
		*sum = (uint8_t)(*sum + b);
}

void wifi_send_frame(uint8_t type, uint8_t conn, const void *payload, size_t len)
{
	if (len > WIFI_MAX_PAYLOAD)
		len = WIFI_MAX_PAYLOAD;
	const uint8_t *p = (const uint8_t *)payload;
	uint32_t primask;
	__asm volatile("mrs %0, primask" : "=r"(primask));
	irq_disable();
	uint8_t sum = 0;
	tx_byte(WIFI_SOF, nullptr);
	tx_byte(type, &sum);
	tx_byte(conn, &sum);
	tx_byte((uint8_t)len, &sum);
	tx_byte((uint8_t)(len >> 8), &sum);
	for (size_t i = 0; i < len; i++)
		tx_byte(p[i], &sum);
	tx_byte((uint8_t)(0u - sum), nullptr);
	if (!primask)
		irq_enable();
}

static void send_hello(void)
{
	static const char name[] = "webserver";
	last_hello = millis();
	wifi_send_frame(WIFI_HELLO, 0, name, sizeof name - 1);
}

bool wifi_ready(void) { return link_up; }
uint32_t wifi_link_epoch(void) { return link_epoch; }

void wifi_init(void)
{
	USART2_CR1 = CR1_UE | CR1_TE | CR1_RE | CR1_RXNEIE;
	NVIC_IPR_BYTE(IRQ_USART2) = PRIO_USART2;
	NVIC_ISER(IRQ_USART2 / 32) = 1u << (IRQ_USART2 % 32);
	send_hello();
}

void wifi_poll(void)
{
	if (!heard && millis() - last_hello >= 200u)
		send_hello();
}
