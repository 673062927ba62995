/* ramfunc: the flash controller's erase routine must not run from the
 * flash it erases, so it lives in RAM (section .ramfunc, copied there with
 * .data by the startup code) and is called from flash like any function:
 * the linker inserts a long-branch veneer, the call being too far for a
 * BL. The routine unlocks the controller through a pointer that a failed
 * probe left pointing at an unmapped window: HardFault FORCED PRECISERR on
 * its first store, in RAM, BFAR 0x60000000. */
#include "cmsis_lite.h"
#include "board.h"

struct flash_ctrl {
	volatile uint32_t key, cmd, addr, status;
};

static struct flash_ctrl *fctrl;

#define RAMFUNC __attribute__((section(".ramfunc"), noinline))

RAMFUNC int flash_erase_sector(struct flash_ctrl *c, uint32_t sector)
{
	c->key = 0x45670123u;
	c->addr = sector * 4096u;
	c->cmd = 2;
	unsigned spins = 0;
	while (c->status & 1u) {
		if (++spins > 100000u)
			return -1;
	}
	return (int)(c->status >> 4);
}

__attribute__((noinline)) int storage_format(unsigned first, unsigned count)
{
	int err = 0;
	for (unsigned s = first; s < first + count && !err; s++)
		err = flash_erase_sector(fctrl, s);
	console_write(err ? "format failed\n" : "formatted\n");
	return err;
}

static void flash_probe(void)
{
	struct flash_ctrl *c = (struct flash_ctrl *)0x60000000;
	OPAQUE(c);
	fctrl = c;
}

int main(void)
{
	flash_probe();
	return storage_format(4, 2);
}
