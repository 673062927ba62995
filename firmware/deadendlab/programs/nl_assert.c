/* nl_assert: a failed assert() with newlib's own __assert_func, which
 * prints "assertion ... failed" through stdio (the RAM log here) and calls
 * abort(); abort raises SIGABRT (no handler: _kill fails) and ends in
 * syscalls.c's _exit, a while (1). No fault, nothing on a console: the
 * board just hangs. The calibration table was never loaded, so
 * sensor_scale's check fails for channel 2. */
#include <assert.h>
#include <stdint.h>

struct calibration {
	uint16_t gain[4];
	uint16_t offset[4];
	int loaded;
};

struct calibration g_cal; /* never loaded: zero */

__attribute__((noinline)) int sensor_scale(int channel, int raw)
{
	assert(g_cal.loaded && g_cal.gain[channel] != 0);
	return (raw - g_cal.offset[channel]) * 1000 / g_cal.gain[channel];
}

__attribute__((noinline)) int sample_channels(const int *raw, int n)
{
	int sum = 0;
	for (int i = 0; i < n; i++)
		sum += sensor_scale(i + 2, raw[i]);
	return sum;
}

static const int readings[3] = {812, 790, 805};

int main(void)
{
	volatile int total = sample_channels(readings, 3);
	(void)total;
	return 0;
}
