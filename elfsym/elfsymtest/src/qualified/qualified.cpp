// qualified.cpp: template instances over types local to a function have no
// linkage, so gcc gives them no DW_AT_linkage_name: their names are
// qualified only by the namespaces and classes their declarations sit in
// (a member of a class template in a namespace, a function in an anonymous
// namespace), as gdb prints them; the lambda's closure is anonymous, so its
// operator() is not qualified at all.
namespace net {
template <typename T> struct Ring {
	T buf[8];
	unsigned head;
	template <typename U> int pick(U i) const
	{
		static unsigned picks; // named within Ring<...>, itself in net
		picks++;
		return buf[(head + i.n) & 7].v;
	}
};
template <typename T, typename U> int sum(const Ring<T> &r, U n)
{
	int s = 0;
	for (unsigned i = 0; i < n.n; i++)
		s += r.pick(U{i}) * static_cast<int>(i + 1);
	return s;
}
} // namespace net

namespace {
template <typename F> int apply(F f, int v) { return f(v) + f(v + 1); }
} // namespace

// Static locals of functions both inlined and kept out of line (their
// addresses are taken): clang writes the concrete DIE, holding the static,
// before the abstract one it names, so the static's function is named
// from the abstract DIE: bump without a linkage name from gcc, tally's
// linkage name demangled to a template instance with a return type.
namespace net {
struct Local {
	unsigned n;
};
template <typename U> int tally(U u)
{
	static int total;
	total += static_cast<int>(u.n);
	return total;
}
namespace {
inline int bump(int x)
{
	static int hits;
	hits += x;
	return hits;
}
} // namespace
} // namespace net

volatile unsigned count = 5;
volatile int out;
int words[8];

extern "C" __attribute__((noinline)) int qualified_main(void)
{
	struct Cell {
		int v;
	};
	struct Index {
		unsigned n;
	};
	static net::Ring<Cell> ring;
	for (unsigned i = 0; i < 8; i++)
		ring.buf[i].v = words[i] ^ static_cast<int>(count);
	ring.head = count;
	int k = net::sum(ring, Index{count});
	out = apply([](int x) { return x * words[x & 7]; }, k);
	return out;
}

int (*volatile taken_tally)(net::Local);
int (*volatile taken_bump)(int);

extern "C" __attribute__((noinline)) int statics_main(void)
{
	int k = net::tally(net::Local{count});
	taken_tally = &net::tally<net::Local>;
	k += net::bump(k);
	taken_bump = &net::bump;
	return k;
}

extern "C" void Reset_Handler(void)
{
	for (;;) {
		qualified_main();
		statics_main();
	}
}

__attribute__((section(".vectors"), used)) void (*const vectors[2])(void) = {
	reinterpret_cast<void (*)(void)>(0x20001000), Reset_Handler,
};
