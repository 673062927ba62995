// cppvirtual: a virtual call through an object whose vptr was overwritten
// (what a freed-and-reused object looks like): the vptr points at heap-like
// data, the slot holds 0xae094711, and the call goes wild. No configurable
// fault enabled: HardFault, FORCED, IACCVIOL at 0xae094710.
#include "crashlab.h"

extern "C" const char program_name[] = "cppvirtual";

namespace net {

class Connection {
public:
	virtual void poll() = 0;
	virtual void close() = 0;
	int id = 0;
};

class Server {
public:
	NOINLINE void close_all();
	Connection *volatile clients[4] = {};
};

NOINLINE void Server::close_all()
{
	for (int i = 0; i < 4; i++) {
		Connection *c = clients[i];
		if (c != nullptr)
			c->close();
	}
}

} // namespace net

// A freed block: its first word (the vptr) now points at other junk whose
// words are not code addresses.
uint32_t junk_table[4] = {0xae094711u, 0xae094711u, 0, 0};
uint32_t freed_block[2] = {reinterpret_cast<uint32_t>(junk_table), 3};

net::Server server;

NOINLINE void run_test()
{
	server.clients[2] = reinterpret_cast<net::Connection *>(freed_block);
	server.close_all();
	print("crashlab: not reached\n");
}

extern "C" void __cxa_pure_virtual()
{
	fault_report("__cxa_pure_virtual");
}

int main()
{
	start(program_name);
	run_test();
	return 0;
}
