// cxx_sort: an embedded C++ scheduler (no exceptions, no RTTI) orders its
// task table with std::sort from Debian's libstdc++ and a lambda that
// follows each task's priority pointer. One task was registered with a
// priority record from an unmapped window, so the comparator faults while
// libstdc++'s introsort is running: HardFault FORCED PRECISERR, BFAR
// 0x60000020. The frames run user -> libstdc++ templates -> user lambda.
#include <algorithm>
#include <cstdint>
#include "cmsis_lite.h"
#include "board.h"

namespace sched {

struct Priority {
	uint8_t level;
	uint8_t boost;
};

struct Task {
	const char *name;
	const Priority *prio;
	uint32_t period_ms;
};

class Scheduler {
public:
	bool add(const char *name, const Priority *prio, uint32_t period_ms)
	{
		if (count_ == kMaxTasks)
			return false;
		tasks_[count_++] = Task{name, prio, period_ms};
		return true;
	}
	void sort_by_priority();
	const Task &first() const { return tasks_[0]; }

private:
	static constexpr unsigned kMaxTasks = 24;
	Task tasks_[kMaxTasks];
	unsigned count_ = 0;
};

__attribute__((noinline)) void Scheduler::sort_by_priority()
{
	std::sort(tasks_, tasks_ + count_, [](const Task &a, const Task &b) {
		return a.prio->level + a.prio->boost > b.prio->level + b.prio->boost;
	});
}

} // namespace sched

static const sched::Priority prios[5] = {{1, 0}, {3, 1}, {2, 0}, {7, 0}, {4, 2}};
static const char *const names[5] = {"idle", "net", "log", "ctrl", "ui"};

int main()
{
	sched::Scheduler s;
	auto *remote = reinterpret_cast<const sched::Priority *>(0x60000020);
	OPAQUE(remote);
	for (unsigned i = 0; i < 20; i++)
		s.add(names[i % 5], i == 13 ? remote : &prios[i % 5], 10 * (i + 1));
	s.sort_by_priority();
	console_write(s.first().name);
	return 0;
}
