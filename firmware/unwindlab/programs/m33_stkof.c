/* m33_stkof: on the Cortex-M33 (ARMv8-M Mainline, mps2-an505, Secure
 * state) the main stack is limited by MSPLIM to its top 2 KiB. A request
 * parser with a 3000-byte local buffer moves SP below the limit in its
 * prologue: UsageFault STKOF. */
#include "cmsis_lite.h"
#include "board.h"

extern uint32_t __StackTop[];

__attribute__((noinline)) int parse_request(const char *req)
{
	char buf[3000];
	unsigned n = 0;
	while (req[n] && n < sizeof buf - 1) {
		buf[n] = req[n];
		n++;
	}
	buf[n] = 0;
	console_write(buf);
	return (int)n;
}

__attribute__((noinline)) int handle_req(const char *req)
{
	int n = parse_request(req);
	console_write("handled\n");
	return n;
}

static int app_run(void)
{
	const char *req = "GET /status HTTP/1.0";
	OPAQUE(req);
	return handle_req(req);
}

int main(void)
{
	SCB->SHCSR |= SCB_SHCSR_USGFAULTENA_Msk;
	__set_MSPLIM((uint32_t)(uintptr_t)__StackTop - 2048u);
	__ISB();
	return app_run();
}
