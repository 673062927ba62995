/* badfnptr: a call through a function pointer read from a stale object, as
 * in the Photon TCPServer crash: the pointer is 0xae094711 (a Thumb address
 * in the Device region, which never executes). MemManage is enabled:
 * MemManage, IACCVIOL, the stacked PC is 0xae094710 and MMFAR is not valid
 * (an instruction fetch fault does not set MMARVALID). */
#include "crashlab.h"

const char program_name[] = "badfnptr";

typedef void (*data_fn)(int id);

struct client {
	data_fn on_data;
	int id;
};

/* What a freed-and-reused block looks like to the code still using it. */
volatile struct client stale_client = {(data_fn)0xae094711u, 2};

NOINLINE void dispatch_client(volatile struct client *c)
{
	c->on_data(c->id);
	print("crashlab: not reached\n");
}

NOINLINE void poll_clients(void)
{
	dispatch_client(&stale_client);
	print("crashlab: not reached\n");
}

int main(void)
{
	start(program_name);
	SCB_SHCSR |= SHCSR_MEMFAULTENA;
	poll_clients();
	return 0;
}
