/* The default HardFault_Handler, kept alone in the board archive so a
 * program's own definition replaces it (see startup.c). */
#include "crashlab.h"

void HardFault_Handler(void)
{
	fault_report("HardFault_Handler");
}
