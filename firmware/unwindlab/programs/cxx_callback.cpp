// cxx_callback: an event bus keeps its subscribers as std::function (from
// Debian's libstdc++, -fno-exceptions -fno-rtti). A subscriber table lives
// in a pool that a buggy "compact" overwrote with a copy from an unmapped
// region's stale image, so one std::function's invoker pointer is
// garbage: calling it jumps to 0x60000040, which is not code. HardFault
// (FORCED IBUSERR), the PC wild, LR still in the bus's dispatch loop.
#include <cstdint>
#include <cstring>
#include <functional>
#include "cmsis_lite.h"
#include "board.h"

namespace bus {

struct Event {
	uint16_t id;
	int32_t value;
};

class EventBus {
public:
	using Handler = std::function<void(const Event &)>;
	bool subscribe(Handler fn)
	{
		if (count_ == kMax)
			return false;
		subs_[count_++] = std::move(fn);
		return true;
	}
	void publish(const Event &e);
	Handler &slot(unsigned i) { return subs_[i]; }

private:
	static constexpr unsigned kMax = 4;
	Handler subs_[kMax];
	unsigned count_ = 0;
};

__attribute__((noinline)) void EventBus::publish(const Event &e)
{
	for (unsigned i = 0; i < count_; i++)
		subs_[i](e);
}

} // namespace bus

static int32_t level_sum;
static unsigned alarms;

__attribute__((noinline)) void on_level(const bus::Event &e) { level_sum += e.value; }

int main()
{
	bus::EventBus b;
	b.subscribe(on_level);
	b.subscribe([](const bus::Event &e) { alarms += e.value > 100; });
	// The "compact" that went wrong: slot 1 gets a stale image whose
	// invoker points into an unmapped window.
	uintptr_t stale[sizeof(std::function<void(const bus::Event &)>) / sizeof(uintptr_t)];
	std::memcpy(stale, &b.slot(1), sizeof stale);
	uintptr_t bad = 0x60000041;
	OPAQUE(bad);
	stale[sizeof stale / sizeof stale[0] - 1] = bad;
	std::memcpy(static_cast<void *>(&b.slot(1)), stale, sizeof stale);
	b.publish(bus::Event{7, 120});
	console_hex(static_cast<uint32_t>(level_sum));
	return 0;
}
