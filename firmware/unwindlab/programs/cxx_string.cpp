// cxx_string: an embedded C++ event journal (no exceptions, no RTTI)
// appends each message to a std::string from Debian's libstdc++. One
// message comes from an unmapped window, so newlib's memcpy faults while
// libstdc++'s basic_string::_M_append copies it (_S_copy, inlined there):
// HardFault FORCED PRECISERR, BFAR 0x60000040. The frames run user ->
// libstdc++ (out of line, with its own DWARF) -> newlib's assembly memcpy.
#include <cstdint>
#include <string>
#include "cmsis_lite.h"
#include "board.h"

namespace journal {

class Journal {
public:
	__attribute__((noinline)) void record(const char *msg, std::size_t n)
	{
		text_.append(msg, n);
		++entries_;
	}
	const char *text() const { return text_.c_str(); }

private:
	std::string text_;
	unsigned entries_ = 0;
};

} // namespace journal

int main()
{
	journal::Journal j;
	j.record("boot; ", 6);
	auto *remote = reinterpret_cast<const char *>(0x60000040);
	OPAQUE(remote);
	j.record(remote, 40);
	console_write(j.text());
	return 0;
}
