// eh_pipeline: sensor-fusion firmware in C++ on a Cortex-M7 with its FPU
// on, built as a release ships: exceptions on (arm-none-eabi-g++'s
// default), -g0, so the only unwind information for its code is the EHABI
// index (.ARM.exidx, .ARM.extab). Filter stages are classes behind a
// virtual interface, run by a templated pipeline; blocks reach it through
// a std::function the application registered. Start-up throws (and
// catches) a ConfigError: the stored coefficient version is stale, so the
// factory set is used, which lives in an external EEPROM window that is
// not mapped. The Kalman stage (its prologue saves d8 and up: vpush)
// reads it: HardFault FORCED PRECISERR, BFAR 0x7000004c. On the way: the
// block processor's float history (a large sub sp) and the dispatcher's
// alloca'd copy of the block (r7 frame pointer).
#include <cstdint>
#include <functional>
#include "cmsis_lite.h"
#include "board.h"

#define CPACR (*(volatile uint32_t *)0xE000ED88u)

extern "C" void SystemInit(void)
{
	CPACR |= 0xFu << 20; // CP10/CP11 full access, as CMSIS's SystemInit does
	__DSB();
	__ISB();
}

namespace dsp {

struct Coeffs {
	float gain, bias, q, r;
};

class Stage {
public:
	virtual ~Stage() {}
	virtual float process(float x) = 0;
};

class Lowpass : public Stage {
public:
	explicit Lowpass(float a) : a_(a) {}
	float process(float x) override
	{
		y_ += a_ * (x - y_);
		return y_;
	}

private:
	float a_, y_ = 0;
};

volatile float g_noise = 0.001f;

__attribute__((noinline)) float noise_floor(float x)
{
	return g_noise * (x < 0 ? -x : x);
}

class Kalman : public Stage {
public:
	explicit Kalman(const Coeffs *c) : c_(c) {}
	float process(float x) override;

private:
	const Coeffs *c_;
	float est_ = 0, p_ = 1;
};

// pred and pp live across the call in callee-saved VFP registers.
__attribute__((noinline)) float Kalman::process(float x)
{
	float pred = est_ * 0.98f;
	float pp = p_ + 0.01f;
	float n = noise_floor(x);
	float k = pp / (pp + c_->r + n);
	est_ = pred + k * (x - pred);
	p_ = (1.0f - k) * pp;
	return est_ * c_->gain + c_->bias + pred * n;
}

template <unsigned N>
class Pipeline {
public:
	void add(Stage *s)
	{
		if (n_ < N)
			stages_[n_++] = s;
	}
	__attribute__((noinline)) float run(float x)
	{
		for (unsigned i = 0; i < n_; i++)
			x = stages_[i]->process(x);
		return x;
	}

private:
	Stage *stages_[N] = {};
	unsigned n_ = 0;
};

} // namespace dsp

struct Block {
	const int16_t *samples;
	unsigned n;
};

float g_level; // read by the host over the debug link

// The block's filtered history stays on the stack for the level estimate.
__attribute__((noinline)) float process_block(dsp::Pipeline<3> &p, const Block &b)
{
	float hist[96];
	unsigned n = b.n < 96 ? b.n : 96;
	for (unsigned i = 0; i < n; i++)
		hist[i] = p.run(static_cast<float>(b.samples[i]) * (1.0f / 32768.0f));
	float acc = 0;
	for (unsigned i = 0; i < n; i++)
		acc += hist[i] * hist[i];
	return acc / static_cast<float>(n ? n : 1);
}

class App {
public:
	using Handler = std::function<float(const Block &)>;
	void on_block(Handler h) { handler_ = std::move(h); }
	float dispatch(const int16_t *dma, unsigned n);

private:
	Handler handler_;
};

// The DMA buffer is copied out before the next transfer overwrites it.
__attribute__((noinline)) float App::dispatch(const int16_t *dma, unsigned n)
{
	int16_t *copy = static_cast<int16_t *>(__builtin_alloca(n * sizeof(int16_t)));
	for (unsigned i = 0; i < n; i++)
		copy[i] = dma[i];
	return handler_(Block{copy, n});
}

struct ConfigError {
	int version;
};

static const dsp::Coeffs rom_coeffs = {1.0f, 0.0f, 0.01f, 0.1f};
volatile uint32_t g_stored_version = 2;

__attribute__((noinline)) const dsp::Coeffs *load_coeffs(uint32_t version)
{
	if (version != 3)
		throw ConfigError{static_cast<int>(version)};
	return &rom_coeffs;
}

// The factory set sits in the external calibration EEPROM's window,
// which this board does not map.
__attribute__((noinline)) const dsp::Coeffs *factory_coeffs()
{
	uintptr_t eeprom = 0x70000040u;
	OPAQUE(eeprom);
	return reinterpret_cast<const dsp::Coeffs *>(eeprom);
}

static const int16_t adc_dma[16] = {1200, -800, 400, 3000, -2500, 90, 10, -10,
				    700, 650, -300, 0, 12, 5000, -4000, 33};

int main()
{
	const dsp::Coeffs *c;
	try {
		c = load_coeffs(g_stored_version);
	} catch (const ConfigError &e) {
		console_write("stale coefficients, version ");
		console_hex(static_cast<uint32_t>(e.version));
		c = factory_coeffs();
	}
	dsp::Lowpass lp(0.25f);
	dsp::Kalman kf(c);
	dsp::Pipeline<3> pipe;
	pipe.add(&lp);
	pipe.add(&kf);
	App app;
	app.on_block([&pipe](const Block &b) { return process_block(pipe, b); });
	g_level = app.dispatch(adc_dma, 16);
	console_hex(static_cast<uint32_t>(g_level * 1000.0f));
	return 0;
}
