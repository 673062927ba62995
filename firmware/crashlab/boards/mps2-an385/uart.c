/* mps2-an385: CMSDK APB UART0 at 0x40004000 is QEMU's first -serial.
 * QEMU drops characters unless CTRL.TXEN is set and BAUDDIV >= 16. */
#include "crashlab.h"

#define UART0_DATA    REG32(0x40004000u)
#define UART0_STATE   REG32(0x40004004u)
#define UART0_CTRL    REG32(0x40004008u)
#define UART0_BAUDDIV REG32(0x40004010u)

const char board_name[] = "mps2-an385";
const uint32_t board_cpu_hz = 25000000u;

void uart_init(void)
{
	UART0_BAUDDIV = 16;
	UART0_CTRL = 3; /* TX and RX enable (crashcatcher's HexDump waits for a key) */
}

int uart_getc(void)
{
	while ((UART0_STATE & 2u) == 0) /* RX buffer full */
		;
	return (int)(UART0_DATA & 0xFFu);
}

void uart_putc(char c)
{
	while (UART0_STATE & 1u) /* TX buffer full */
		;
	UART0_DATA = (uint8_t)c;
}
