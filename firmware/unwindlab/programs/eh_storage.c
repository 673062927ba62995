/* eh_storage: a vendor storage stack in C, shipped as a release build
 * (-g0: no DWARF, no .debug_frame) but with -funwind-tables, as SDKs do
 * whose crash logger walks the stack: the only unwind information is
 * .ARM.exidx. A journal append fills a 512-byte sector on the stack
 * (sub sp), the block layer (many live registers: push {r4-r11, lr})
 * calls the flash driver through its ops table, and the driver builds its
 * command in a variable-length array (r7 frame pointer). The driver's
 * status register pointer points at an unmapped window: HardFault
 * FORCED PRECISERR, BFAR 0x60000300, while waiting for the flash. */
#include "cmsis_lite.h"
#include "board.h"

struct spi_regs {
	volatile uint32_t ctrl, status, data;
};

struct flash_dev;
struct flash_ops {
	int (*program)(struct flash_dev *d, uint32_t addr, const uint8_t *p, unsigned n);
};

struct flash_dev {
	const struct flash_ops *ops;
	struct spi_regs *regs;
	uint32_t base, writes;
	unsigned spins;
};

uint32_t flash_shadow[64]; /* what the host reads back over the debug link */

__attribute__((noinline)) uint32_t spi_wait_ready(struct flash_dev *d)
{
	unsigned spins = d->spins;
	uint32_t st = 0;
	for (unsigned i = 0; i < spins; i++) {
		st = d->regs->status;
		if (st & 1u)
			break;
	}
	return st;
}

__attribute__((noinline)) int spi_flash_program(struct flash_dev *d, uint32_t addr, const uint8_t *p, unsigned n)
{
	uint8_t cmd[n + 4]; /* the VLA: r7 keeps the frame */
	cmd[0] = 0x02;
	cmd[1] = (uint8_t)(addr >> 16);
	cmd[2] = (uint8_t)(addr >> 8);
	cmd[3] = (uint8_t)addr;
	for (unsigned i = 0; i < n; i++)
		cmd[4 + i] = p[i];
	uint32_t st = spi_wait_ready(d);
	uint32_t sum = 0;
	for (unsigned i = 0; i < n + 4; i++)
		sum = sum * 33u + cmd[i];
	flash_shadow[(addr >> 2) & 63u] = sum ^ st;
	d->writes++;
	return (int)n;
}

static const struct flash_ops spi_flash_ops = {spi_flash_program};

/* Programs a block a page at a time, whitening each page first: enough
 * live values that the compiler saves r4-r11. */
__attribute__((noinline)) int blk_write(struct flash_dev *d, uint32_t lba, const uint8_t *buf, unsigned n)
{
	uint32_t addr = d->base + lba * 512u;
	uint32_t key = lba * 2654435761u, seed = d->writes + 1u;
	unsigned done = 0, pages = 0;
	uint8_t page[32];
	while (done < n) {
		unsigned chunk = n - done > sizeof page ? sizeof page : n - done;
		for (unsigned i = 0; i < chunk; i++) {
			key = key * 1103515245u + seed;
			page[i] = buf[done + i] ^ (uint8_t)(key >> 24);
		}
		int r = d->ops->program(d, addr + done, page, chunk);
		if (r < 0)
			return r;
		seed += (uint32_t)r + pages;
		done += chunk;
		pages++;
	}
	return (int)(pages + seed + key);
}

struct journal {
	struct flash_dev *dev;
	uint32_t next_lba;
	uint32_t seq;
};

/* Appends one record in a sector of its own, assembled on the stack. */
__attribute__((noinline)) int journal_append(struct journal *j, const char *rec)
{
	uint8_t sector[512];
	unsigned n = 0;
	sector[n++] = (uint8_t)j->seq;
	sector[n++] = (uint8_t)(j->seq >> 8);
	while (*rec && n < sizeof sector)
		sector[n++] = (uint8_t)*rec++;
	while (n < sizeof sector)
		sector[n++] = 0xff;
	int r = blk_write(j->dev, j->next_lba, sector, sizeof sector);
	j->next_lba++;
	j->seq++;
	return r;
}

static struct flash_dev flash0 = {&spi_flash_ops, 0, 0x00100000u, 0, 1000};
static struct journal jrnl = {&flash0, 8, 1};

__attribute__((noinline)) void storage_task(const char *const *recs, unsigned nrec)
{
	for (unsigned i = 0; i < nrec; i++)
		if (journal_append(&jrnl, recs[i]) < 0)
			console_write("journal write failed\n");
}

int main(void)
{
	/* The board file maps the SPI controller where another board had it:
	 * an unmapped window on this one. */
	struct spi_regs *regs = (struct spi_regs *)0x600002fcu;
	OPAQUE(regs);
	flash0.regs = regs;
	static const char *const recs[] = {"boot", "mount /data"};
	storage_task(recs, 2);
	console_hex(flash0.writes);
	return 0;
}
