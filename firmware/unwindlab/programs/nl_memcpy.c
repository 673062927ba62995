/* nl_memcpy: a flash driver programs a configuration page with newlib's
 * memcpy (hand-written assembly, no CFI) into a memory-mapped flash window
 * that is not mapped on this board: HardFault FORCED PRECISERR on the
 * first store, BFAR 0x60000100. */
#include <string.h>
#include "cmsis_lite.h"
#include "board.h"

#define FLASH_PAGE 64u

struct flash_dev {
	uintptr_t base;
	uint32_t page_size;
	uint32_t writes;
};

static struct flash_dev ext_flash = {0x60000000u, FLASH_PAGE, 0};

__attribute__((noinline)) int flash_program(struct flash_dev *dev, uint32_t off, const void *src, size_t len)
{
	if (off % dev->page_size || len > dev->page_size)
		return -1;
	void *dst = (void *)(dev->base + off);
	memcpy(dst, src, len);
	dev->writes++;
	return 0;
}

struct config {
	uint32_t magic;
	uint32_t baud;
	char name[24];
};

__attribute__((noinline)) int config_save(const struct config *c)
{
	uint32_t page[FLASH_PAGE / 4];
	memset(page, 0xff, sizeof page);
	memcpy(page, c, sizeof *c);
	return flash_program(&ext_flash, 0x100, page, sizeof page);
}

static struct config cfg = {0xc0f16u, 115200, "node-7"};

int main(void)
{
	return config_save(&cfg);
}
