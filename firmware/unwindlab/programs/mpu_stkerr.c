/* mpu_stkerr: a recursive expression evaluator runs in a thread on PSP
 * whose stack has a 256-byte no-access MPU guard at the bottom. Deep
 * nesting runs the stack into the guard: the write to a local faults
 * (MemManage DACCVIOL) with SP already inside the guard, so stacking the
 * exception frame fails too (MSTKERR): the frame in memory is not valid. */
#include "cmsis_lite.h"
#include "board.h"
#include "minithread.h"

static uint32_t thread_stack[512] __attribute__((aligned(2048)));
volatile int g_result;

__attribute__((noinline)) int eval_expr(const char *s, int depth)
{
	volatile char scratch[96]; /* the token being built, byte by byte */
	for (unsigned i = 0; i < sizeof scratch; i++)
		scratch[i] = s[i & 3];
	if (s[0] == '(')
		return eval_expr(s + 1, depth + 1) + scratch[0];
	return depth + scratch[0];
}

static char expr[64];

void eval_thread(void)
{
	for (unsigned i = 0; i < sizeof expr - 1; i++)
		expr[i] = '(';
	g_result = eval_expr(expr, 0);
	for (;;)
		__WFI();
}

static void mpu_guard(uint32_t base)
{
	MPU->RNR = 0;
	MPU->RBAR = base;
	/* 256 bytes (SIZE 7), no access, execute never */
	MPU->RASR = MPU_RASR_XN_Msk | (0u << MPU_RASR_AP_Pos) | (7u << MPU_RASR_SIZE_Pos) | MPU_RASR_ENABLE_Msk;
	MPU->CTRL = MPU_CTRL_PRIVDEFENA_Msk | MPU_CTRL_ENABLE_Msk;
	__DSB();
	__ISB();
}

int main(void)
{
	SCB->SHCSR |= SCB_SHCSR_MEMFAULTENA_Msk;
	mpu_guard((uint32_t)(uintptr_t)thread_stack);
	thread_start(eval_thread, thread_stack + 512);
	return 0;
}
