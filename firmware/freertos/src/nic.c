/* nic.c: the Ethernet controller model. The gateway's peer talks in a
 * fixed conversation, one frame every NIC_PERIOD_MS; after the last frame
 * it keeps saying hello. */
#include <string.h>
#include "app.h"
#include "net.h"

#define NIC_PERIOD_MS 5

static const struct frame conversation[] = {
	{FRAME_HELLO, 0, 0, 0, {0}},
	{FRAME_OPEN, 1, 0, 0, {0}},
	{FRAME_DATA, 1, 5, 0, "hello"},
	{FRAME_QUERY, 0, 1, 0, {1}},
	/* type 3 (MTU), length 2, 1500; the offset is a corrupted field. */
	{FRAME_OPTIONS, 0, 4, 0x40000000u, {3, 2, 0x05, 0xdc}},
	{FRAME_CLOSE, 1, 0, 0, {0}},
	{FRAME_BULK, 2, 28, 0, {0x11, 0x47, 0x09, 0xae, 0x00, 0x20, 0x00, 0x00,
		0x4f, 0x54, 0x41, 0x31, 0x2e, 0x30, 0x2e, 0x33}},
	{FRAME_DATA, 1, 4, 0, "ping"},
	{FRAME_QUERY, 0, 1, 0, {3}},
	{FRAME_DUMP, 2, 0, 0, {0}},
	{FRAME_HELLO, 0, 0, 0, {0}},
	{FRAME_HELLO, 0, 0, 0, {0}},
	{FRAME_LINK_RESET, 0, 0, 0, {0}},
	{FRAME_LINK_UP, 0, 0, 0, {0}},
	{FRAME_SUBSCRIBE, 0, 0, 0, {0}},
};

static unsigned next_frame;

void nic_init(void)
{
	next_frame = 0;
}

/* nic_receive blocks until the next frame arrives. */
void nic_receive(struct frame *f)
{
	vTaskDelay(pdMS_TO_TICKS(NIC_PERIOD_MS));
	if (next_frame < sizeof conversation / sizeof conversation[0]) {
		memcpy(f, &conversation[next_frame++], sizeof *f);
		return;
	}
	memcpy(f, &conversation[0], sizeof *f);
}
