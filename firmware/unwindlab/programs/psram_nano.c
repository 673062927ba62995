/* psram_nano: psram_heap's connection table built with newlib-nano
 * (--specs=nano.specs), as size-conscious projects ship it: the heap is
 * nano's (a size word per chunk, a free list), still in PSRAM at
 * 0x60000000, and neither the image's symbols nor DWARF say where it ends
 * (the project's _sbrk keeps its own break), so the capture finds the
 * heap's end by walking the chunks on the target. */
#include "psram_heap.c"
