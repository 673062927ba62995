package probe

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"
)

// LED patterns.
const (
	PatternUnknown   = "unknown" // not enough samples yet
	PatternOff       = "off"
	PatternSolid     = "solid"
	PatternBlinking  = "blinking"
	PatternBreathing = "breathing"
	PatternSOS       = "SOS"
)

// Blink speeds (FACTS.md section 4: periods of 500, 200 and 100 ms).
const (
	SpeedSlow      = "slow"
	SpeedNormal    = "normal"
	SpeedFast      = "fast"
	SpeedIrregular = "irregular"
)

var blinkSpeeds = []struct {
	name   string
	period time.Duration
}{{SpeedFast, 100 * time.Millisecond}, {SpeedNormal, 200 * time.Millisecond}, {SpeedSlow, 500 * time.Millisecond}}

// An LEDState is what the LED is doing, as decoded.
type LEDState struct {
	Color   string        // ColorRed, ...; ColorOff when off, "" when unknown
	Pattern string        // PatternSolid, ...
	Speed   string        // blinking only: SpeedSlow, SpeedNormal, SpeedFast, SpeedIrregular, or "" (a steady period matching none)
	Period  time.Duration // measured blink or breathing period, 0 if unmeasured
	Code    int           // SOS: the panic code, 0 while not yet seen
	Panic   string        // SOS: the Device OS panic name
	Since   time.Time     // time of the sample that committed this state
}

// String is the state in words: "breathing cyan", "blinking green (fast,
// 100ms)", "SOS 1 HardFault", "off".
func (s LEDState) String() string {
	switch s.Pattern {
	case PatternOff, PatternUnknown, "":
		if s.Pattern == "" {
			return PatternUnknown
		}
		return s.Pattern
	case PatternSOS:
		if s.Code == 0 {
			return "SOS"
		}
		if s.Panic == "" {
			return fmt.Sprintf("SOS %d", s.Code)
		}
		return fmt.Sprintf("SOS %d %s", s.Code, s.Panic)
	case PatternBlinking:
		detail := s.Speed
		if s.Period > 0 {
			if detail != "" {
				detail += ", "
			}
			detail += s.Period.Round(10 * time.Millisecond).String()
		}
		if detail == "" {
			return "blinking " + s.Color
		}
		return fmt.Sprintf("blinking %s (%s)", s.Color, detail)
	default:
		return s.Pattern + " " + s.Color
	}
}

// same reports whether two states are the same for change detection
// (measured periods and times may differ).
func (s LEDState) same(o LEDState) bool {
	return s.Color == o.Color && s.Pattern == o.Pattern && s.Speed == o.Speed && s.Code == o.Code
}

// LEDDecoderOptions configures NewLEDDecoder; zero values pick defaults.
type LEDDecoderOptions struct {
	Window    time.Duration // samples classified together (default 6s)
	Hold      time.Duration // a new state must persist this long before it is reported (default 1s)
	Threshold float64       // brightness above which the LED counts as lit (default 0.08)
	Timeline  *Timeline     // receives led-change events
	OnChange  func(LEDState)
}

// An LEDDecoder turns brightness samples into colour and pattern. Feed it
// samples in time order; they may be irregular (jitter) and some may be
// missing. It is not safe for concurrent use.
//
// Two analyses run side by side: a window classifier (off, solid,
// breathing, blinking and its period) over the last Window of samples,
// and an SOS recogniser over the sequence of lit/unlit runs, which needs
// the run structure (preamble, pause, N code pulses, pause) rather than a
// window. Changes are reported only after Hold of agreement (hysteresis),
// except SOS, whose structure is evidence enough.
type LEDDecoder struct {
	opts    LEDDecoderOptions
	samples []LEDSample // the window, oldest first
	runs    []ledRun    // recent lit/unlit runs; the last is in progress
	state   LEDState
	cand    LEDState
	candAt  time.Time
	sosSeen time.Time // last SOS evidence
	sosDone bool      // the current long pause was analysed

	classifiedAt time.Time
}

const classifyEvery = 50 * time.Millisecond

// NewLEDDecoder returns a decoder in the unknown state.
func NewLEDDecoder(opts LEDDecoderOptions) *LEDDecoder {
	if opts.Window <= 0 {
		opts.Window = 6 * time.Second
	}
	if opts.Hold <= 0 {
		opts.Hold = time.Second
	}
	if opts.Threshold <= 0 {
		opts.Threshold = 0.08
	}
	return &LEDDecoder{opts: opts, state: LEDState{Pattern: PatternUnknown}}
}

// State returns the current (committed) state.
func (d *LEDDecoder) State() LEDState { return d.state }

// Add feeds one sample; it returns the new state and true when the state
// changed. Samples older than the previous one are ignored.
func (d *LEDDecoder) Add(s LEDSample) (LEDState, bool) {
	if n := len(d.samples); n > 0 && s.Time.Before(d.samples[n-1].Time) {
		return d.state, false
	}
	d.samples = append(d.samples, s)
	cut := 0
	for cut < len(d.samples) && s.Time.Sub(d.samples[cut].Time) > d.opts.Window {
		cut++
	}
	if cut > 0 {
		d.samples = append(d.samples[:0], d.samples[cut:]...)
	}
	d.addRun(s)

	if sos, ok := d.recogniseSOS(s.Time); ok {
		d.sosSeen = s.Time
		if d.state.Pattern == PatternSOS && sos.Code == 0 {
			return d.state, false // a new preamble: keep the code already decoded
		}
		return d.commit(sos, s.Time)
	}
	// The window classifier is linear in the window; running it at most
	// every classifyEvery keeps a 50 Hz sampler cheap.
	if !d.classifiedAt.IsZero() && s.Time.Sub(d.classifiedAt) < classifyEvery {
		return d.state, false
	}
	d.classifiedAt = s.Time
	cand := d.classify()
	if d.state.Pattern == PatternSOS && s.Time.Sub(d.sosSeen) < sosKeep && cand.Color == ColorRed {
		// Inside an SOS the window sees red pulses of odd rhythm: that is
		// the SOS still playing, not a new state.
		d.cand = d.state
		return d.state, false
	}
	if cand.same(d.state) {
		d.cand, d.candAt = cand, s.Time
		d.state.Period = cand.Period
		return d.state, false
	}
	if !cand.same(d.cand) {
		d.cand, d.candAt = cand, s.Time
	}
	if cand.Pattern == PatternUnknown || s.Time.Sub(d.candAt) < d.opts.Hold {
		return d.state, false
	}
	return d.commit(cand, s.Time)
}

// sosKeep: an SOS state survives red-ish windows this long after the last
// recognised preamble or code (a 14-pulse code plus pauses is about 10s).
const sosKeep = 12 * time.Second

func (d *LEDDecoder) commit(st LEDState, t time.Time) (LEDState, bool) {
	if st.same(d.state) {
		return d.state, false
	}
	st.Since = t
	d.state, d.cand, d.candAt = st, st, t
	if tl := d.opts.Timeline; tl != nil {
		f := map[string]string{"color": st.Color, "pattern": st.Pattern}
		if st.Speed != "" {
			f["speed"] = st.Speed
		}
		if st.Period > 0 {
			f["period_ms"] = strconv.FormatInt(st.Period.Milliseconds(), 10)
		}
		if st.Code != 0 {
			f["code"] = strconv.Itoa(st.Code)
			f["panic"] = st.Panic
		}
		tl.Add(Event{Time: t, Kind: EventLEDChange, Source: "led", Text: "LED " + st.String(), Fields: f})
	}
	if d.opts.OnChange != nil {
		d.opts.OnChange(st)
	}
	return st, true
}

// classify looks at the window: off, solid, breathing or blinking.
func (d *LEDDecoder) classify() LEDState {
	w := d.sinceColorChange()
	if len(w) < 8 || w[len(w)-1].Time.Sub(w[0].Time) < d.opts.Window*4/10 {
		return LEDState{Pattern: PatternUnknown}
	}
	var maxL float64
	levels := make([]float64, len(w))
	for i, s := range w {
		levels[i] = max(s.R, s.G, s.B)
		maxL = max(maxL, levels[i])
	}
	if maxL < d.opts.Threshold {
		return LEDState{Color: ColorOff, Pattern: PatternOff}
	}
	lit, mid := 0, 0
	votes := map[string]int{}
	for i, s := range w {
		l := levels[i]
		if l >= d.opts.Threshold {
			lit++
		}
		if l > 0.2*maxL && l < 0.8*maxL {
			mid++
		}
		if l >= max(d.opts.Threshold, 0.3*maxL) {
			votes[colorOf(s.R, s.G, s.B)]++
		}
	}
	color := ""
	for c, n := range votes {
		if color == "" || n > votes[color] || n == votes[color] && c < color {
			color = c
		}
	}
	// A solid LED read from its PWM registers has one level; a blinking
	// one two; breathing sweeps through the levels between.
	if float64(mid) >= 0.2*float64(len(w)) {
		return LEDState{Color: color, Pattern: PatternBreathing, Period: breathPeriod(w, levels, maxL)}
	}
	if lit == len(w) {
		return LEDState{Color: color, Pattern: PatternSolid}
	}
	starts := d.litStartsSince(w[0].Time)
	if len(starts) < 2 {
		if lit >= len(w)*9/10 {
			return LEDState{Color: color, Pattern: PatternSolid} // a dropout, not a blink
		}
		return LEDState{Pattern: PatternUnknown} // one flash or a transition
	}
	intervals := make([]float64, len(starts)-1)
	for i := range intervals {
		intervals[i] = float64(starts[i+1].Sub(starts[i]))
	}
	period := time.Duration(median(intervals))
	st := LEDState{Color: color, Pattern: PatternBlinking, Period: period}
	if spread(intervals) > 0.3 {
		st.Speed = SpeedIrregular
		return st
	}
	for _, b := range blinkSpeeds {
		if r := float64(period) / float64(b.period); r > 0.7 && r < 1.4 {
			st.Speed = b.name
		}
	}
	return st
}

// sinceColorChange returns the window from the first sample after the
// LED last showed another colour, so a new colour is judged on its own
// samples rather than mixed with the previous pattern's.
func (d *LEDDecoder) sinceColorChange() []LEDSample {
	w := d.samples
	cur := ""
	for i := len(w) - 1; i >= 0; i-- {
		s := w[i]
		if max(s.R, s.G, s.B) < max(d.opts.Threshold, 0.2) {
			continue
		}
		c := colorOf(s.R, s.G, s.B)
		if cur == "" {
			cur = c
		} else if c != cur {
			// Start at the new colour's first lit sample: the dark pause
			// between the two patterns belongs to neither.
			j := i + 1
			for j < len(w) && max(w[j].R, w[j].G, w[j].B) < d.opts.Threshold {
				j++
			}
			return w[j:]
		}
	}
	return w
}

// breathPeriod estimates a breathing period from the times the level
// crosses the middle of its range upwards (0 if fewer than two crossings).
func breathPeriod(w []LEDSample, levels []float64, maxL float64) time.Duration {
	minL := slices.Min(levels)
	midL := (minL + maxL) / 2
	var ups []time.Time
	for i := 1; i < len(w); i++ {
		if levels[i-1] < midL && levels[i] >= midL {
			ups = append(ups, w[i].Time)
		}
	}
	if len(ups) < 2 {
		return 0
	}
	return ups[len(ups)-1].Sub(ups[0]) / time.Duration(len(ups)-1)
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// spread is the median absolute deviation relative to the median: a
// robust irregularity measure, as a missed pulse (coarse sampling) makes
// one interval double without making the rhythm irregular.
func spread(v []float64) float64 {
	m := median(v)
	dev := make([]float64, len(v))
	for i, x := range v {
		dev[i] = math.Abs(x - m)
	}
	return median(dev) / m
}
