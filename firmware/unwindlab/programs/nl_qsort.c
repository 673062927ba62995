/* nl_qsort: a routing table sorted by newlib's qsort with a comparator
 * that follows each route's link to read its cost. One route's link
 * pointer was never filled in from the (unmapped) link table, so the
 * comparator faults while qsort is running: HardFault FORCED PRECISERR,
 * BFAR 0x60000084. User code calls newlib, which calls user code back. */
#include <stdlib.h>
#include "cmsis_lite.h"
#include "board.h"

struct link {
	uint32_t id;
	uint32_t cost;
};

struct route {
	uint32_t dest;
	const struct link *link;
};

static struct link links[4] = {{1, 30}, {2, 10}, {3, 20}, {4, 5}};
static struct route routes[5];

__attribute__((noinline)) int route_cmp(const void *a, const void *b)
{
	const struct route *ra = a, *rb = b;
	uint32_t ca = ra->link->cost, cb = rb->link->cost;
	return ca < cb ? -1 : ca > cb;
}

__attribute__((noinline)) void routes_sort(struct route *r, size_t n)
{
	qsort(r, n, sizeof r[0], route_cmp);
	console_write("routes sorted\n");
}

static void routes_build(void)
{
	/* The fifth route's link lives in a table that was never mapped. */
	const struct link *remote = (const struct link *)0x60000080;
	OPAQUE(remote);
	for (unsigned i = 0; i < 4; i++) {
		routes[i].dest = 0x0a000000u + i;
		routes[i].link = &links[i];
	}
	routes[4].dest = 0x0a0000ffu;
	routes[4].link = remote;
}

int main(void)
{
	routes_build();
	routes_sort(routes, 5);
	return (int)routes[0].dest;
}
