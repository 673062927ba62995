// uafvtable: a use after free through a vtable, with the block reused.
// Sessions come from a fixed-size block pool; closing session 1 frees its
// block but leaves registry.sessions[1] pointing at it. A Packet is then
// allocated from the same block: its first word (a cursor into its own
// payload) is where the Session's vptr was, and the payload's fourth word,
// 0xae094711, is what the stale virtual call to close() jumps to. No
// configurable fault enabled: HardFault FORCED IACCVIOL at 0xae094710. An
// analysis should say registry.sessions[1] points to an object whose vptr
// is not a vtable.
#include "crashlab.h"

extern "C" const char program_name[] = "uafvtable";

class Session {
public:
	virtual ~Session() {}
	virtual int poll() { return id; }
	virtual void close() { open = false; }
	int id = 0;
	bool open = true;
};

struct Packet {
	uint8_t *cursor;
	uint32_t len;
	uint8_t payload[16];
};

// The pool: four 32-byte blocks and a free mask.
union Block {
	uint8_t bytes[32];
	uint32_t align;
};
Block pool[4];
uint32_t pool_used;

NOINLINE void *pool_alloc()
{
	for (int i = 0; i < 4; i++) {
		if (!(pool_used & (1u << i))) {
			pool_used |= 1u << i;
			return &pool[i];
		}
	}
	return nullptr;
}

NOINLINE void pool_free(void *p)
{
	for (int i = 0; i < 4; i++)
		if (p == &pool[i])
			pool_used &= ~(1u << i);
}

void *operator new(unsigned int, void *p) noexcept { return p; }

struct Registry {
	Session *sessions[3];
};
Registry registry;

NOINLINE void close_session(int i)
{
	Session *s = registry.sessions[i];
	s->close();
	s->~Session();
	pool_free(s);
	// The bug: registry.sessions[i] is not cleared.
}

NOINLINE Packet *receive_packet()
{
	Packet *p = static_cast<Packet *>(pool_alloc());
	// close() is the fourth slot (two destructors, poll, close): the
	// payload's fourth word is what the stale call reads.
	static const uint8_t wire[16] = {'G', 'E', 'T', ' ', '/', 'i', 'n', 'd', 'e', 'x', 0, 0, 0x11, 0x47, 0x09, 0xae};
	for (int i = 0; i < 16; i++)
		p->payload[i] = wire[i];
	p->cursor = p->payload;
	p->len = 16;
	return p;
}

NOINLINE void close_all()
{
	for (int i = 0; i < 3; i++) {
		Session *s = registry.sessions[i];
		if (s)
			s->close();
	}
}

extern "C" void __cxa_pure_virtual()
{
	fault_report("__cxa_pure_virtual");
}

void operator delete(void *) noexcept {}
void operator delete(void *, unsigned int) noexcept {}

int main()
{
	start(program_name);
	for (int i = 0; i < 3; i++) {
		registry.sessions[i] = new (pool_alloc()) Session;
		registry.sessions[i]->id = i;
	}
	close_session(1);
	Packet *volatile p = receive_packet();
	(void)p;
	close_all();
	print("crashlab: not reached\n");
	return 0;
}
