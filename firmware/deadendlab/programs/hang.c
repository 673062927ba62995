/* hang: a board that hangs without faulting and without stopping itself.
 * uart_flush waits for a transmit-complete flag the UART interrupt would
 * set, but the interrupt was never enabled: it spins forever with
 * interrupts on. Only a halt on request (capture --halt) shows where. */
#include <stdint.h>

volatile int g_tx_done; /* set by the UART TX interrupt, never enabled */
static char tx_buf[32];

__attribute__((noinline)) void uart_flush(void)
{
	while (!g_tx_done) {
	}
	g_tx_done = 0;
}

__attribute__((noinline)) void log_line(const char *s)
{
	int i = 0;
	while (s[i] && i < (int)sizeof tx_buf - 1) {
		tx_buf[i] = s[i];
		i++;
	}
	tx_buf[i] = 0;
	uart_flush();
}

int main(void)
{
	log_line("boot");
	return 0;
}
