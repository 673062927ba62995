/* The default SysTick_Handler: counts milliseconds for systick_start_ms.
 * Alone in the board archive so a program's own definition replaces it. */
#include "crashlab.h"

void SysTick_Handler(void)
{
	ms_ticks++;
}
