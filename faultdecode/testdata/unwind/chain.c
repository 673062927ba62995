/* Crash scenarios for faultdecode's unwinder tests. The test sets
   `scenario` from the debugger at main, then stops at a fault handler. */
#include <stdint.h>

#define SCB_CCR   (*(volatile uint32_t *)0xE000ED14)
#define SCB_SHCSR (*(volatile uint32_t *)0xE000ED24)
#define SCB_ICSR  (*(volatile uint32_t *)0xE000ED04)

volatile int scenario;
volatile int zero;
volatile uint32_t sink;
uint32_t thread_stack[256];

void nocfi_mid(int x); /* nocfi.c, built without debug info */

static inline __attribute__((always_inline)) int divide(int x, int y)
{
	return x / y;
}

__attribute__((noinline)) int c(int x)
{
	int r = divide(x, zero);
	sink = r;
	return r + 1;
}

__attribute__((noinline)) int b(int x)
{
	return c(x + 1) + 2;
}

__attribute__((noinline)) int a(int x)
{
	if (scenario == 4) {
		nocfi_mid(x);
		return 0;
	}
	return b(x + 1) + 3;
}

typedef void (*handler_fn)(void);

__attribute__((noinline)) void call_through(handler_fn fn)
{
	fn();
	sink = 1;
}

__attribute__((noinline)) void isr_work(void)
{
	sink = 100 / zero;
}

void PendSV_Handler(void)
{
	isr_work();
}

__attribute__((noinline)) void thread_work(void)
{
	SCB_ICSR = 1u << 28; /* PENDSVSET: the ISR runs right here */
	sink = 2;
}

__attribute__((noinline)) void fill(volatile uint32_t *p, uint32_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = v;
}

__attribute__((noinline)) void smash(void)
{
	volatile uint32_t buf[2];
	fill(buf, 0xdeadbeef, 6); /* runs over the saved r7 and lr */
}

int main(void)
{
	SCB_CCR |= 1u << 4; /* DIV_0_TRP */
	switch (scenario) {
	case 1: /* precise UsageFault in c(), escalated to HardFault */
	case 4: /* the same under a function with no CFI */
		a(1);
		break;
	case 2: /* a bad function pointer */
		call_through((handler_fn)0xae094710);
		break;
	case 3: /* a fault in an ISR interrupting thread code on PSP */
		__asm volatile("msr psp, %0\n\tmovs r0, #2\n\tmsr control, r0\n\tisb"
			       :: "r"(&thread_stack[256]) : "r0");
		thread_work();
		break;
	case 5: /* a smashed return address */
		smash();
		break;
	case 6: /* UsageFault with its own handler enabled */
		SCB_SHCSR |= 1u << 18;
		a(1);
		break;
	}
	for (;;)
		;
}
