/* vendor_cube: vendor_codec's player and vendor library linked by an
 * STM32CubeIDE-style script (boards/mps2-an385/cube.ld), whose EHABI
 * index section is named .ARM: gdb looks the index up as ".ARM.exidx"
 * and does not find it. */
#include "vendor_codec.c"
