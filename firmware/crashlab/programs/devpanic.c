/* devpanic: a failed SPARK_ASSERT, as Particle Device OS writes it
 * (services/inc/service_debug.h, logging.h, panic.h):
 *   SPARK_ASSERT(p) -> PANIC(AssertionFailure, "AssertionFailure " #p)
 *                   -> panic_(AssertionFailure, (void *)msg, HAL_Delay_Microseconds)
 * Device OS's panic_ blinks the SOS and resets; this one prints the code
 * and message and traps (udf), so the UsageFault handler sees UNDEFINSTR. */
#include "crashlab.h"

const char program_name[] = "devpanic";

typedef enum {
	HardFault = 1,
	NMIFault = 2,
	MemManage = 3,
	BusFault = 4,
	UsageFault = 5,
	InvalidLenth = 6,
	Exit = 7,
	OutOfHeap = 8,
	SPIOverRun = 9,
	AssertionFailure = 10,
	InvalidCase = 11,
	PureVirtualCall = 12,
	StackOverflow = 13,
	HeapError = 14,
} ePanicCode;

NOINLINE void HAL_Delay_Microseconds(uint32_t us)
{
	for (volatile uint32_t i = 0; i < us; i++)
		;
}

void panic_(const ePanicCode code, void *extraInfo, void (*delay)(uint32_t))
{
	(void)delay;
	print("crashlab: panic ");
	print_dec((uint32_t)code, 1);
	print(": ");
	print((const char *)extraInfo);
	print("\n");
	__builtin_trap();
}

#define PANIC(_code, _fmt) panic_(_code, (void *)_fmt, HAL_Delay_Microseconds)
#define SPARK_ASSERT(predicate) do { if (!(predicate)) PANIC(AssertionFailure, "AssertionFailure " #predicate); } while (0)

volatile int free_sockets; /* zero: bss, every socket taken */

NOINLINE int socket_open(void)
{
	SPARK_ASSERT(free_sockets > 0);
	return --free_sockets;
}

NOINLINE int run_test(void)
{
	return socket_open() + 1;
}

int main(void)
{
	start(program_name);
	SCB_SHCSR |= SHCSR_USGFAULTENA;
	print_dec((uint32_t)run_test(), 1);
	return 0;
}
