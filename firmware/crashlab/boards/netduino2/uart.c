/* netduino2 (STM32F205): USART1 at 0x40011000 is QEMU's first -serial.
 * QEMU's model only transmits while CR1.UE and CR1.TE are set; SR.TXE always
 * reads 1, and RCC is not modelled, so no clock setup is needed. */
#include "crashlab.h"

#define USART1_SR  REG32(0x40011000u)
#define USART1_DR  REG32(0x40011004u)
#define USART1_CR1 REG32(0x4001100Cu)

const char board_name[] = "netduino2";
const uint32_t board_cpu_hz = 120000000u;

void uart_init(void)
{
	/* RE too: QEMU drops what arrives while it is clear, and
	 * crashcatcher's HexDump waits for a key. */
	USART1_CR1 = (1u << 13) | (1u << 3) | (1u << 2); /* UE | TE | RE */
}

int uart_getc(void)
{
	while ((USART1_SR & (1u << 5)) == 0) /* RXNE */
		;
	return (int)(USART1_DR & 0xFFu);
}

void uart_putc(char c)
{
	while ((USART1_SR & (1u << 7)) == 0) /* TXE */
		;
	USART1_DR = (uint8_t)c;
}
