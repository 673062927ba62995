/* udf_epilogue: a settings lookup whose error path is __builtin_trap().
 * clang places the trap (udf) after the function's epilogue, where the CFI
 * already says the frame is popped, though the frame is still there when
 * the trap runs: HardFault FORCED UNDEFINSTR. */
#include "cmsis_lite.h"
#include "board.h"

struct setting {
	uint16_t key;
	int16_t value;
};

static const struct setting defaults[] = {{1, 10}, {2, 20}, {7, -1}};

__attribute__((noinline)) int table_get(unsigned key)
{
	for (unsigned i = 0; i < sizeof defaults / sizeof defaults[0]; i++)
		if (defaults[i].key == key)
			return defaults[i].value;
	return -1;
}

__attribute__((noinline)) int cfg_lookup(unsigned key)
{
	int v = table_get(key);
	if (v >= 0)
		return v * 2;
	__builtin_trap(); /* a missing setting is a configuration bug */
}

__attribute__((noinline)) int settings_apply(const uint8_t *keys, unsigned n)
{
	int total = 0;
	for (unsigned i = 0; i < n; i++)
		total += cfg_lookup(keys[i]);
	return total;
}

static const uint8_t boot_keys[] = {1, 2, 7};

int main(void)
{
	const uint8_t *k = boot_keys;
	OPAQUE(k);
	return settings_apply(k, 3);
}
