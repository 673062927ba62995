/* system.cpp: main() and the system loop around the application, the part
 * of Device OS that watches the network and drives the status LED. */
#include <new>
#include <stdlib.h>

#include "hal.h"
#include "socket_hal.h"
#include "wifi_link.h"
#include "wiring.h"

#ifndef FIX_CLIENTS
#define FIX_CLIENTS 0
#endif

extern "C" void led_init(void);

/* Called by the C++ runtime for a pure virtual call: Device OS panics. */
extern "C" void __cxa_pure_virtual(void) { panic(PANIC_PUREVIRTUALCALL, "PureVirtualCall"); }

namespace {

struct NetWatch {
	uint32_t seen_epoch = 0;
	bool up = false;

	/* process runs between loop() calls: a link loss closes every socket
	 * (socket_close_all), as Device OS did when it reset the WLAN. The
	 * network counts as ready again only from the next call on, so the
	 * application always sees WiFi.ready() false for at least one loop()
	 * after a loss, however short it was. */
	void process()
	{
		wifi_poll();
		uint32_t ep = wifi_link_epoch();
		if (ep != seen_epoch) {
			seen_epoch = ep;
			up = false;
			LOG_WARN("net", "link lost, closing all sockets");
			socket_close_all();
			led_set_status(LED_BREATHE_BLUE);
			return;
		}
		if (!up && wifi_ready()) {
			up = true;
			LOG_INFO("net", "link up");
			socket_link_up();
			led_set_status(LED_BREATHE_CYAN);
		}
	}
};

NetWatch net;

} // namespace

/* system_network_ready is WiFi.ready(): the system's view, which lags the
 * link by one system pass. */
bool system_network_ready() { return net.up; }

/* system_wait_ready runs the system part until the link is up (setup()
 * uses it the way the report's sketch waited for the cloud). */
void system_wait_ready()
{
	while (!net.up) {
		net.process();
		__asm volatile("wfi");
	}
}

int main()
{
	hal_init();
	led_init();
	uint32_t reason, data;
	reset_reason_get(&reason, &data);
	LOG_INFO("hal", "Last reset reason: %lu (data: 0x%02lx)", (unsigned long)reason, (unsigned long)data);
	LOG_INFO("system", "webserver firmware, socket layer %s", FIX_CLIENTS ? "0.7.0 (clients[] cleared)" : "0.6");
	led_set_status(LED_BLINK_GREEN);
	wifi_init();
	setup();
	for (;;) {
		net.process();
		loop();
		/* Sleep until the next interrupt (SysTick at 1 kHz or the link):
		 * the loop has nothing to do in between, and QEMU then idles. */
		__asm volatile("wfi");
	}
}

/* The allocation operators, on newlib's malloc. Defined here rather than
 * taken from libstdc++, whose versions pull in the exception runtime this
 * -fno-exceptions build does not have. A plain new that fails panics with
 * OutOfHeap as Device OS does; the nothrow form returns null. */
void *operator new(size_t n)
{
	void *p = malloc(n);
	if (!p)
		panic(PANIC_OUTOFHEAP, "OutOfHeap");
	return p;
}
void *operator new[](size_t n) { return operator new(n); }
void *operator new(size_t n, const std::nothrow_t &) noexcept { return malloc(n); }
void operator delete(void *p) noexcept { free(p); }
void operator delete[](void *p) noexcept { free(p); }
void operator delete(void *p, size_t) noexcept { free(p); }
void operator delete[](void *p, size_t) noexcept { free(p); }
