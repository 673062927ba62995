package probe

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// ledColors are the RGB mixes the firmware uses; brightness below full as
// Device OS scales the LED.
var ledColors = map[string][3]float64{
	ColorRed: {1, 0, 0}, ColorGreen: {0, 1, 0}, ColorBlue: {0, 0, 1},
	ColorCyan: {0, 1, 1}, ColorMagenta: {1, 0, 1}, ColorYellow: {1, 1, 0}, ColorWhite: {1, 1, 1},
}

// A ledWave gives the LED's brightness (0..1) at time t.
type ledWave func(t time.Duration) float64

func solidWave(t time.Duration) float64 { return 1 }

func blinkWave(period time.Duration) ledWave {
	return func(t time.Duration) float64 {
		if t%period < period/2 {
			return 1
		}
		return 0
	}
}

func breathWave(period time.Duration) ledWave {
	return func(t time.Duration) float64 {
		return 0.5 - 0.5*math.Cos(2*math.Pi*float64(t)/float64(period))
	}
}

// triangleWave is the bundled firmware's breathing: dark to full and back, linearly.
func triangleWave(period time.Duration) ledWave {
	return func(t time.Duration) float64 {
		x := float64(t%period) / float64(period)
		return 1 - math.Abs(2*x-1)
	}
}

// sosWave plays FACTS.md section 4's SOS with panic code n, forever.
func sosWave(n int) (ledWave, time.Duration) {
	type seg struct {
		on  bool
		dur time.Duration
	}
	ms := func(v int) time.Duration { return time.Duration(v) * time.Millisecond }
	var segs []seg
	for range 3 {
		segs = append(segs, seg{true, ms(150)}, seg{false, ms(100)})
	}
	segs = append(segs, seg{false, ms(100)})
	for range 3 {
		segs = append(segs, seg{true, ms(300)}, seg{false, ms(100)})
	}
	segs = append(segs, seg{false, ms(100)})
	for range 3 {
		segs = append(segs, seg{true, ms(150)}, seg{false, ms(100)})
	}
	segs = append(segs, seg{false, ms(900)})
	for range n {
		segs = append(segs, seg{true, ms(300)}, seg{false, ms(300)})
	}
	segs = append(segs, seg{false, ms(800)})
	var cycle time.Duration
	for _, s := range segs {
		cycle += s.dur
	}
	return func(t time.Duration) float64 {
		t %= cycle
		for _, s := range segs {
			if t < s.dur {
				if s.on {
					return 1
				}
				return 0
			}
			t -= s.dur
		}
		return 0
	}, cycle
}

// A ledScene is a sequence of (colour, wave, duration) played in order.
type ledScene []struct {
	color string
	wave  ledWave
	dur   time.Duration
}

// samples renders a scene at rate Hz with ±jitter on every sample time
// and a fraction of samples missing, as a GDB-polled LED would give.
func (sc ledScene) samples(rng *rand.Rand, hz float64, jitter time.Duration, missing float64) []LEDSample {
	t0 := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	var total time.Duration
	for _, p := range sc {
		total += p.dur
	}
	dt := time.Duration(float64(time.Second) / hz)
	var times []time.Duration
	for k := time.Duration(0); k*dt < total; k++ {
		j := time.Duration((rng.Float64()*2 - 1) * float64(jitter))
		if t := k*dt + j; t >= 0 && t < total {
			times = append(times, t)
		}
	}
	slices.Sort(times)
	var out []LEDSample
	for _, t := range times {
		if rng.Float64() < missing {
			continue
		}
		local, i := t, 0
		for local >= sc[i].dur {
			local -= sc[i].dur
			i++
		}
		c := ledColors[sc[i].color]
		l := 0.7 * sc[i].wave(local) // Device OS dims the LED
		out = append(out, LEDSample{Time: t0.Add(t), R: c[0] * l, G: c[1] * l, B: c[2] * l})
	}
	return out
}

// decodeAll feeds samples and returns every committed state.
func decodeAll(samples []LEDSample) []LEDState {
	var states []LEDState
	d := NewLEDDecoder(LEDDecoderOptions{OnChange: func(s LEDState) { states = append(states, s) }})
	for _, s := range samples {
		d.Add(s)
	}
	return states
}

func stateNames(states []LEDState) string {
	var s []string
	for _, st := range states {
		s = append(s, st.String())
	}
	return strings.Join(s, " -> ")
}

// samplings are the conditions every pattern must survive.
var samplings = []struct {
	hz      float64
	jitter  time.Duration
	missing float64
}{
	{20, 10 * time.Millisecond, 0.10},
	{20, 20 * time.Millisecond, 0.20},
	{33, 15 * time.Millisecond, 0.15},
	{50, 10 * time.Millisecond, 0.10},
	{50, 20 * time.Millisecond, 0.20},
}

func TestLEDDecoderSteadyPatterns(t *testing.T) {
	ms := func(v int) time.Duration { return time.Duration(v) * time.Millisecond }
	tests := []struct {
		color string
		wave  ledWave
		want  string
		minHz float64 // the fast blink (10 Hz) cannot be resolved below ~35 Hz sampling (Nyquist plus jitter)
	}{
		{ColorCyan, breathWave(4 * time.Second), "breathing cyan", 0},
		{ColorGreen, breathWave(4 * time.Second), "breathing green", 0},
		{ColorBlue, breathWave(4 * time.Second), "breathing blue", 0},
		{ColorWhite, breathWave(4 * time.Second), "breathing white", 0},
		{ColorMagenta, breathWave(4 * time.Second), "breathing magenta", 0},
		{ColorCyan, triangleWave(4 * time.Second), "breathing cyan", 0},
		{ColorGreen, blinkWave(ms(500)), "blinking green (slow)", 0},
		{ColorGreen, blinkWave(ms(200)), "blinking green (normal)", 0},
		{ColorGreen, blinkWave(ms(100)), "blinking green (fast)", 35},
		{ColorBlue, blinkWave(ms(500)), "blinking blue (slow)", 0},
		{ColorBlue, blinkWave(ms(200)), "blinking blue (normal)", 0},
		{ColorBlue, blinkWave(ms(100)), "blinking blue (fast)", 35},
		{ColorCyan, blinkWave(ms(500)), "blinking cyan (slow)", 0},
		{ColorCyan, blinkWave(ms(200)), "blinking cyan (normal)", 0},
		{ColorCyan, blinkWave(ms(100)), "blinking cyan (fast)", 35},
		{ColorRed, solidWave, "solid red", 0},
		{ColorYellow, solidWave, "solid yellow", 0},
		{ColorWhite, solidWave, "solid white", 0},
		{ColorGreen, func(time.Duration) float64 { return 0 }, "off", 0},
	}
	for _, tt := range tests {
		for _, sm := range samplings {
			hz := sm.hz
			if hz < tt.minHz {
				hz = 50
			}
			name := fmt.Sprintf("%s/%.0fHz±%v-%.0f%%missing", tt.want, hz, sm.jitter, sm.missing*100)
			t.Run(name, func(t *testing.T) {
				rng := rand.New(rand.NewPCG(uint64(hz), uint64(sm.jitter)))
				scene := ledScene{{tt.color, tt.wave, 15 * time.Second}}
				states := decodeAll(scene.samples(rng, hz, sm.jitter, sm.missing))
				if len(states) != 1 {
					t.Fatalf("states = %s, want exactly %q (no flapping)", stateNames(states), tt.want)
				}
				got := states[0]
				// Compare without the measured period.
				words := got.String()
				if i := strings.Index(words, ", "); i >= 0 {
					words = words[:i] + ")"
				}
				if words != tt.want {
					t.Errorf("state = %q, want %q", got.String(), tt.want)
				}
			})
		}
	}
}

func TestLEDDecoderMeasuresPeriods(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tt := range []struct {
		color  string
		wave   ledWave
		period time.Duration
	}{
		{ColorGreen, blinkWave(200 * time.Millisecond), 200 * time.Millisecond},
		{ColorCyan, breathWave(4 * time.Second), 4 * time.Second},
	} {
		d := NewLEDDecoder(LEDDecoderOptions{Window: 10 * time.Second})
		for _, s := range (ledScene{{tt.color, tt.wave, 20 * time.Second}}).samples(rng, 33, 15*time.Millisecond, 0.15) {
			d.Add(s)
		}
		got := d.State().Period
		if math.Abs(float64(got-tt.period)) > 0.15*float64(tt.period) {
			t.Errorf("%s: period = %v, want %v ±15%%", d.State(), got, tt.period)
		}
	}
}

func TestLEDDecoderReadsSOSAndPanicCode(t *testing.T) {
	for code := 1; code <= 14; code++ {
		for _, sm := range samplings {
			name := fmt.Sprintf("code%d/%.0fHz±%v-%.0f%%missing", code, sm.hz, sm.jitter, sm.missing*100)
			t.Run(name, func(t *testing.T) {
				rng := rand.New(rand.NewPCG(uint64(code), uint64(sm.hz)))
				sos, cycle := sosWave(code)
				// Cloud-connected, then the panic: SOS played twice, then the reset.
				scene := ledScene{
					{ColorCyan, breathWave(4 * time.Second), 6 * time.Second},
					{ColorRed, sos, 2 * cycle},
					{ColorWhite, solidWave, 4 * time.Second},
				}
				states := decodeAll(scene.samples(rng, sm.hz, sm.jitter, sm.missing))
				want := fmt.Sprintf("SOS %d %s", code, PanicName(code))
				sawCode := false
				for _, st := range states {
					if st.Pattern == PatternSOS && st.Code != 0 {
						if st.String() != want {
							t.Errorf("decoded %q, want %q (all: %s)", st, want, stateNames(states))
						}
						sawCode = true
					}
				}
				if !sawCode {
					t.Fatalf("states = %s, never %q", stateNames(states), want)
				}
				if got := stateNames(states); !strings.HasPrefix(got, "breathing cyan -> ") || !strings.HasSuffix(got, " -> solid white") {
					t.Errorf("states = %s, want breathing cyan first and solid white last", got)
				}
				if len(states) > 5 {
					t.Errorf("states flap: %s", stateNames(states))
				}
			})
		}
	}
}

func TestLEDProfileConvertsCompareToBrightness(t *testing.T) {
	p := PhotonLEDProfile()
	addr, n := p.span()
	if addr != 0x4000002C || n != 0x18 {
		t.Fatalf("span = %#x+%d, want one read of 0x4000002c..0x40000044", addr, n)
	}
	regs := make([]byte, n)
	put := func(off uint64, v uint32) { binary.LittleEndian.PutUint32(regs[off-0x2C:], v) }
	put(0x2C, 9999) // ARR: 100 Hz at 1 MHz
	put(0x38, 0)    // red: pin never high -> active-low LED fully lit
	put(0x3C, 5000) // green: half
	put(0x40, 9999) // blue: pin high 9999 of 10000 counts -> almost dark
	s, err := p.Decode(time.Time{}, regs)
	if err != nil {
		t.Fatal(err)
	}
	if s.R != 1 || math.Abs(s.G-0.5) > 1e-9 || s.B > 0.001 {
		t.Errorf("active-low sample = %+v, want R 1, G 0.5, B ~0", s)
	}
	p.ActiveLow = false
	s, _ = p.Decode(time.Time{}, regs)
	if s.R != 0 || math.Abs(s.G-0.5) > 1e-9 || s.B < 0.999 {
		t.Errorf("active-high sample = %+v, want R 0, G 0.5, B ~1", s)
	}
	put(0x2C, 0) // timer not set up
	if s, _ := p.Decode(time.Time{}, regs); s.R+s.G+s.B != 0 {
		t.Errorf("ARR 0 sample = %+v, want all off", s)
	}
	if _, err := p.Decode(time.Time{}, regs[:8]); err == nil {
		t.Error("Decode of a short read succeeded")
	}
}

func TestSampleLEDReadsAtIntervalAndToleratesFailures(t *testing.T) {
	p := PhotonLEDProfile()
	var mu sync.Mutex
	calls := 0
	read := func(ctx context.Context, addr uint64, n int) ([]byte, error) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if calls%3 == 0 {
			return nil, errors.New("target running")
		}
		b := make([]byte, n)
		binary.LittleEndian.PutUint32(b[0:], 9999)
		binary.LittleEndian.PutUint32(b[0x38-0x2C:], 9999) // red off
		binary.LittleEndian.PutUint32(b[0x3C-0x2C:], 0)    // green on
		binary.LittleEndian.PutUint32(b[0x40-0x2C:], 9999)
		return b, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	var got []LEDSample
	err := SampleLED(ctx, read, p, 10*time.Millisecond, func(s LEDSample) { got = append(got, s) })
	if err != nil {
		t.Fatalf("SampleLED: %v", err)
	}
	if len(got) < 8 || got[0].G < 0.99 || got[0].R > 0.01 {
		t.Errorf("samples = %d, first %+v; want about 13 green ones", len(got), got[0])
	}

	failing := func(ctx context.Context, addr uint64, n int) ([]byte, error) { return nil, errors.New("no target") }
	err = SampleLED(context.Background(), failing, p, time.Millisecond, func(LEDSample) {})
	if err == nil || !strings.Contains(err.Error(), "no target") {
		t.Errorf("SampleLED with a dead target = %v, want its error", err)
	}
}

func TestLEDChangeGoesToTimeline(t *testing.T) {
	tl := NewTimeline(0)
	d := NewLEDDecoder(LEDDecoderOptions{Timeline: tl})
	rng := rand.New(rand.NewPCG(7, 7))
	for _, s := range (ledScene{{ColorGreen, blinkWave(200 * time.Millisecond), 6 * time.Second}}).samples(rng, 50, 0, 0) {
		d.Add(s)
	}
	ev := tl.Events()
	if len(ev) != 1 || ev[0].Kind != EventLEDChange || ev[0].Fields["color"] != "green" || ev[0].Fields["speed"] != "normal" {
		t.Errorf("events = %+v, want one led-change to blinking green", ev)
	}
}

func TestLEDDecoderFollowsPatternChangesWithoutFlapping(t *testing.T) {
	ms := func(v int) time.Duration { return time.Duration(v) * time.Millisecond }
	// WiFi connecting, DHCP, cloud handshake, connected, then WiFi lost.
	scene := ledScene{
		{ColorGreen, blinkWave(ms(200)), 6 * time.Second},
		{ColorGreen, blinkWave(ms(100)), 5 * time.Second},
		{ColorCyan, blinkWave(ms(500)), 6 * time.Second},
		{ColorCyan, breathWave(4 * time.Second), 10 * time.Second},
		{ColorGreen, solidWave, 5 * time.Second},
		{ColorGreen, func(time.Duration) float64 { return 0 }, 8 * time.Second},
	}
	want := "blinking green (normal) -> blinking green (fast) -> blinking cyan (slow) -> breathing cyan -> solid green -> off"
	for _, sm := range samplings {
		if sm.hz < 35 {
			continue // the fast blink needs more (see TestLEDDecoderSteadyPatterns)
		}
		rng := rand.New(rand.NewPCG(3, uint64(sm.hz)))
		states := decodeAll(scene.samples(rng, sm.hz, sm.jitter, sm.missing))
		var got []string
		for _, st := range states {
			s := st.String()
			if i := strings.Index(s, ", "); i >= 0 {
				s = s[:i] + ")"
			}
			got = append(got, s)
		}
		if strings.Join(got, " -> ") != want {
			t.Errorf("%.0f Hz: states\n got %s\nwant %s", sm.hz, strings.Join(got, " -> "), want)
		}
	}
}

// FuzzLEDDecoder feeds arbitrary sample streams: 4 bytes per sample, the
// time step in ms and R, G, B as 0..255.
func FuzzLEDDecoder(f *testing.F) {
	rng := rand.New(rand.NewPCG(1, 1))
	sos, cycle := sosWave(3)
	var seed []byte
	prev := time.Time{}
	for _, s := range (ledScene{{ColorRed, sos, cycle}}).samples(rng, 20, 10*time.Millisecond, 0.1) {
		step := 0
		if !prev.IsZero() {
			step = int(s.Time.Sub(prev).Milliseconds())
		}
		prev = s.Time
		seed = append(seed, byte(min(step, 255)), byte(s.R*255), byte(s.G*255), byte(s.B*255))
	}
	f.Add(seed)
	f.Add([]byte{0, 255, 255, 255, 50, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		d := NewLEDDecoder(LEDDecoderOptions{})
		now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		for i := 0; i+4 <= len(data); i += 4 {
			now = now.Add(time.Duration(data[i]) * time.Millisecond)
			st, _ := d.Add(LEDSample{Time: now, R: float64(data[i+1]) / 255, G: float64(data[i+2]) / 255, B: float64(data[i+3]) / 255})
			if st.Pattern == "" || st.String() == "" {
				t.Fatalf("empty state %+v", st)
			}
			if st.Pattern == PatternSOS && st.Code != 0 && st.Color != ColorRed {
				t.Fatalf("SOS not red: %+v", st)
			}
		}
	})
}
