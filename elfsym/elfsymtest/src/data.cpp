// data.cpp: globals of every shape the data symbolizer names (structs,
// arrays, unions, nested arrays, C++ classes with bases and vtables,
// namespaces, static locals, a static class member).
#include <stdint.h>
#include <stdlib.h>

struct point { int16_t x, y; };
struct item { uint32_t id; char name[6]; point pos[2]; item *next; };

typedef struct { uint8_t kind; union { uint32_t word; point pt; item *ref; }; } tagged_t;

class Base {
public:
	virtual ~Base() {}
	virtual int run() { return base_count; }
	int base_count = 1;
};

class Derived : public Base {
public:
	int run() override { return extra[1]; }
	uint32_t extra[3] = {7, 8, 9};
	Base *peer = nullptr;
};

struct holder { uint16_t port; Derived *clients[4]; Base *any; };

namespace net {
item table[3];
int matrix[2][3];
struct Counter { static uint32_t hits; };
uint32_t Counter::hits = 5;
}

static tagged_t tags[2];
holder g_holder;
Derived g_derived;
extern const char greeting[] = "hello";

extern "C" __attribute__((noinline)) uint32_t bump(void)
{
	static uint32_t calls;
	return ++calls;
}

int main()
{
	g_holder.port = 80;
	for (int i = 0; i < 4; i++)
		g_holder.clients[i] = new Derived;
	delete g_holder.clients[1]; /* left dangling on purpose */
	g_holder.any = &g_derived;
	net::table[0].next = &net::table[1];
	tags[1].ref = &net::table[2];
	net::matrix[1][2] = bump();
	net::Counter::hits++;
	return g_holder.any->run() + greeting[0] + tags[0].kind;
}
