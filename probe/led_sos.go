package probe

import "time"

// A ledRun is a stretch of samples that are all lit or all unlit. Its
// edges are placed halfway between the last sample of one run and the
// first of the next, the best estimate when samples are sparse.
type ledRun struct {
	lit        bool
	red        bool      // lit in red (a change of colour also starts a new run)
	start, end time.Time // end: the edge after it, or the latest sample while in progress
	last       time.Time // latest sample in the run
}

func (r ledRun) dur() time.Duration { return r.end.Sub(r.start) }

// maxRuns bounds the run history: an SOS with a 14-pulse code is about 50 runs.
const maxRuns = 96

func (d *LEDDecoder) addRun(s LEDSample) {
	l := max(s.R, s.G, s.B)
	lit := l >= d.opts.Threshold
	red := lit && colorOf(s.R, s.G, s.B) == ColorRed
	n := len(d.runs)
	if n == 0 || d.runs[n-1].lit != lit || d.runs[n-1].red != red {
		start := s.Time
		if n > 0 {
			prev := &d.runs[n-1]
			start = prev.last.Add(s.Time.Sub(prev.last) / 2)
			prev.end = start
		}
		d.runs = append(d.runs, ledRun{lit: lit, red: red, start: start})
		if len(d.runs) > maxRuns {
			d.runs = append(d.runs[:0], d.runs[len(d.runs)-maxRuns:]...)
		}
		d.sosDone = false
		n = len(d.runs)
	}
	r := &d.runs[n-1]
	r.end, r.last = s.Time, s.Time
}

// litStartsSince lists the rising edges after t.
func (d *LEDDecoder) litStartsSince(t time.Time) []time.Time {
	var out []time.Time
	for i, r := range d.runs {
		if r.lit && i > 0 && !d.runs[i-1].lit && r.start.After(t) {
			out = append(out, r.start)
		}
	}
	return out
}

// SOS timing (FACTS.md section 4): the preamble (... --- ...) spans 2.8s
// from its first rising edge to its last falling edge, with at most 200ms
// off inside; then 1s off; then the code as N pulses of 300ms on, 300ms
// off; then 1.1s off. Bounds are wide enough for 50ms sampling with
// ±20ms jitter and missing samples, and tight enough to tell the 600ms
// code rhythm from the preamble's ~320ms.
const (
	sosLongOff     = 550 * time.Millisecond // separates preamble and code
	sosPreambleMin = 2300 * time.Millisecond
	sosPreambleMax = 3400 * time.Millisecond
	sosPulseMin    = 150 * time.Millisecond // code pulses: nominal 300ms
	sosPulseMax    = 480 * time.Millisecond
	sosGapSplit    = 200 * time.Millisecond // preamble gaps are 100-200ms, code gaps 300ms
	sosMaxCode     = 30
)

// recogniseSOS runs once per long unlit run, as soon as it has lasted
// sosLongOff: the segment just ended is either an SOS preamble (returns
// an SOS state with Code 0) or a code following a preamble (the full
// state).
func (d *LEDDecoder) recogniseSOS(now time.Time) (LEDState, bool) {
	n := len(d.runs)
	if n < 3 || d.sosDone {
		return LEDState{}, false
	}
	cur := d.runs[n-1]
	if cur.lit || now.Sub(cur.start) < sosLongOff {
		return LEDState{}, false
	}
	d.sosDone = true
	// Segments: on-runs between long offs, newest first.
	seg := func(end int) (first int) {
		first = end
		for first > 0 {
			r := d.runs[first-1]
			if !r.lit && r.dur() >= sosLongOff || r.lit && !r.red {
				break
			}
			first--
		}
		return first
	}
	cEnd := n - 1 // exclusive
	cStart := seg(cEnd)
	if cStart == cEnd {
		return LEDState{}, false
	}
	if isPreamble(d.runs[cStart:cEnd], cStart > 0) {
		return LEDState{Color: ColorRed, Pattern: PatternSOS}, true
	}
	if cStart < 2 {
		return LEDState{}, false
	}
	pEnd := cStart - 1
	pStart := seg(pEnd)
	code, ok := codePulses(d.runs[cStart:cEnd])
	if !ok || !isPreamble(d.runs[pStart:pEnd], pStart > 0) {
		return LEDState{}, false
	}
	return LEDState{Color: ColorRed, Pattern: PatternSOS, Code: code, Panic: PanicName(code)}, true
}

// isPreamble: runs (alternating, starting and ending lit) look like
// "... --- ..." in red. complete says a long pause or another colour
// precedes them, so the preamble was seen from its start.
func isPreamble(runs []ledRun, complete bool) bool {
	if !complete || len(runs) == 0 || !runs[0].lit || !runs[len(runs)-1].lit {
		return false
	}
	span := runs[len(runs)-1].end.Sub(runs[0].start)
	pulses := 0
	var shortest, longest time.Duration
	var gaps []float64
	for _, r := range runs {
		if !r.lit {
			gaps = append(gaps, float64(r.dur()))
			continue
		}
		if !r.red {
			return false
		}
		pulses++
		if shortest == 0 || r.dur() < shortest {
			shortest = r.dur()
		}
		longest = max(longest, r.dur())
	}
	// Nine pulses; at coarse sampling a short gap can vanish and merge two.
	return pulses >= 5 && pulses <= 9 && median(gaps) < float64(sosGapSplit) &&
		span >= sosPreambleMin && span <= sosPreambleMax && longest > shortest
}

// codePulses: runs are N red pulses of ~300ms separated by ~300ms.
func codePulses(runs []ledRun) (int, bool) {
	if len(runs) == 0 || !runs[0].lit {
		return 0, false
	}
	n := 0
	for _, r := range runs {
		if r.lit && !r.red {
			return 0, false
		}
		if r.dur() < sosPulseMin || r.dur() > sosPulseMax || !r.lit && r.dur() < sosGapSplit {
			return 0, false
		}
		if r.lit {
			n++
		}
	}
	return n, n <= sosMaxCode
}
