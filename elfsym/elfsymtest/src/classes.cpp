// classes.cpp: namespaces, classes, virtual methods, a template and an
// overloaded function, so names must come from DW_AT_linkage_name.
#include <stdint.h>

extern "C" uint32_t run_c(void);
extern "C" volatile uint32_t sink;

namespace net {

struct Client {
	int fd;
	bool closed;
	virtual ~Client() {}
	virtual int poll() { return closed ? -1 : fd; }
};

struct SlowClient : Client {
	int poll() override { sink = sink + 1; return fd * 2; }
};

class Server {
public:
	Client *clients[4];
	int count;
	int poll_clients();
	static int instances;
private:
	inline int poll_one(int i) { return clients[i] ? clients[i]->poll() : 0; }
};

int Server::instances;

__attribute__((noinline)) int Server::poll_clients()
{
	int busy = 0;
	for (int i = 0; i < count; i++)
		busy += poll_one(i);
	return busy;
}

} // namespace net

namespace util {

template <typename T>
__attribute__((noinline)) T clamp_add(T a, T b, T hi)
{
	T s = a + b;
	return s > hi ? hi : s;
}

__attribute__((noinline)) int scale(int v) { return v * 3 + (int)sink; }
__attribute__((noinline)) int scale(int v, int by) { return v * by + (int)sink; }
__attribute__((noinline)) float scale(float v) { return v * 1.5f + (float)sink; }

} // namespace util

static net::SlowClient slow;
static net::Client fast;
net::Server g_server;

int main()
{
	g_server.clients[0] = &slow;
	g_server.clients[1] = &fast;
	g_server.count = 2;
	int r = g_server.poll_clients();
	r += util::clamp_add<int>(r, 7, 100);
	r += (int)util::clamp_add<unsigned>(3u, (unsigned)r, 50u);
	r += util::scale(r) + util::scale(r, 5) + (int)util::scale((float)r);
	return r + (int)run_c();
}
