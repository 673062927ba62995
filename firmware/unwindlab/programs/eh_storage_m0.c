/* eh_storage_m0: eh_storage's storage stack on a Cortex-M0 (micro:bit),
 * -g0 -funwind-tables: ARMv6-M saves r8-r11 by moving them to low
 * registers and pushing those, which the EHABI entry records as pops of
 * the high registers themselves. No CFSR on ARMv6-M: the unmapped SPI
 * window is a plain HardFault. */
#include "eh_storage.c"
