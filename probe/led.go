package probe

import (
	"context"
	"encoding/binary"
	"fmt"
	"time"
)

// An LEDProfile says where a board's RGB LED PWM registers are and how a
// compare value becomes brightness.
//
// Brightness model: the timer runs in PWM mode 1 with normal output
// polarity, so a channel's pin is high for CCR counts out of every ARR+1
// (duty = CCR/(ARR+1), FACTS.md section 4). With ActiveLow (a common-anode
// LED, as on the Photon) the LED is lit while the pin is low, so
// brightness = 1 - duty; otherwise brightness = duty. A timer with ARR 0
// is not running: every channel reads as off. A firmware that drives the
// LED another way (PWM mode 2, inverted CCxP) is described by flipping
// ActiveLow.
type LEDProfile struct {
	Name      string
	TimerBase uint64    // timer peripheral base address
	ARROffset uint64    // auto-reload register offset
	CCROffset [3]uint64 // capture/compare register offsets for red, green, blue
	ActiveLow bool
}

// PhotonLEDProfile is the Particle Photon's RGB LED: TIM2 at 0x40000000,
// ARR at 0x2C, CCR2 (0x38) red on PA1, CCR3 (0x3C) green on PA2, CCR4
// (0x40) blue on PA3, active low. The bundled netduino2 firmware uses the same.
func PhotonLEDProfile() LEDProfile {
	return LEDProfile{Name: "photon-tim2", TimerBase: 0x40000000, ARROffset: 0x2C,
		CCROffset: [3]uint64{0x38, 0x3C, 0x40}, ActiveLow: true}
}

// span is the one contiguous register block that covers ARR and the three
// CCRs, so a sample costs a single memory read (on QEMU every read halts
// the core, so fewer is better).
func (p LEDProfile) span() (addr uint64, n int) {
	lo, hi := p.ARROffset, p.ARROffset
	for _, o := range p.CCROffset {
		lo, hi = min(lo, o), max(hi, o)
	}
	return p.TimerBase + lo, int(hi-lo) + 4
}

// Brightness converts one channel's compare value to 0..1 (see LEDProfile).
func (p LEDProfile) Brightness(arr, ccr uint32) float64 {
	if arr == 0 {
		return 0
	}
	duty := min(float64(ccr)/(float64(arr)+1), 1)
	if p.ActiveLow {
		return 1 - duty
	}
	return duty
}

// Decode turns the register block read at span() into a sample.
func (p LEDProfile) Decode(t time.Time, regs []byte) (LEDSample, error) {
	base, n := p.span()
	if len(regs) < n {
		return LEDSample{}, fmt.Errorf("LED registers: got %d bytes, want %d", len(regs), n)
	}
	word := func(off uint64) uint32 {
		i := p.TimerBase + off - base
		return binary.LittleEndian.Uint32(regs[i : i+4])
	}
	arr := word(p.ARROffset)
	return LEDSample{Time: t,
		R: p.Brightness(arr, word(p.CCROffset[0])),
		G: p.Brightness(arr, word(p.CCROffset[1])),
		B: p.Brightness(arr, word(p.CCROffset[2])),
	}, nil
}

// An LEDSample is the LED's brightness per channel (0..1) at one moment.
type LEDSample struct {
	Time    time.Time
	R, G, B float64
}

// maxReadFailures: SampleLED gives up after this many reads in a row fail;
// single failures are missed samples, which the decoder tolerates.
const maxReadFailures = 5

// SampleLED reads the LED registers every interval until ctx ends and
// passes each sample to onSample. Each read gets its own timeout (the
// larger of interval and 1s). It returns nil when ctx ends, or the last
// error after several consecutive read failures. read is typically the
// GDB client's ReadMemory.
func SampleLED(ctx context.Context, read func(ctx context.Context, addr uint64, n int) ([]byte, error),
	profile LEDProfile, interval time.Duration, onSample func(LEDSample)) error {
	if interval <= 0 {
		return fmt.Errorf("LED sample interval %v: must be positive", interval)
	}
	addr, n := profile.span()
	tick := time.NewTicker(interval)
	defer tick.Stop()
	failures := 0
	for {
		rctx, cancel := context.WithTimeout(ctx, max(interval, time.Second))
		t := time.Now()
		b, err := read(rctx, addr, n)
		cancel()
		if ctx.Err() != nil {
			return nil
		}
		if err == nil {
			var s LEDSample
			if s, err = profile.Decode(t, b); err == nil {
				failures = 0
				onSample(s)
			}
		}
		if err != nil {
			failures++
			if failures >= maxReadFailures {
				return fmt.Errorf("read LED registers at 0x%08x: %w", addr, err)
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// LED colours.
const (
	ColorOff     = "off"
	ColorRed     = "red"
	ColorGreen   = "green"
	ColorBlue    = "blue"
	ColorCyan    = "cyan"
	ColorMagenta = "magenta"
	ColorYellow  = "yellow"
	ColorWhite   = "white"
)

// colorOf names the hue of a lit sample: a channel counts when it is at
// least half the strongest one.
func colorOf(r, g, b float64) string {
	m := max(r, g, b)
	if m <= 0 {
		return ColorOff
	}
	const rel = 0.5
	hasR, hasG, hasB := r >= rel*m, g >= rel*m, b >= rel*m
	switch {
	case hasR && hasG && hasB:
		return ColorWhite
	case hasR && hasG:
		return ColorYellow
	case hasR && hasB:
		return ColorMagenta
	case hasG && hasB:
		return ColorCyan
	case hasR:
		return ColorRed
	case hasG:
		return ColorGreen
	default:
		return ColorBlue
	}
}
