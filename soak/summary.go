package soak

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/faultline-dev/faultline/history"
)

// Schema names the JSON of `soak --json`.
const Schema = "faultline.soak/v1"

// A Summary is what a soak saw: `soak --json` prints it.
type Summary struct {
	Schema       string          `json:"schema"`
	URL          string          `json:"url"`
	Target       string          `json:"target"`
	Started      time.Time       `json:"started"`
	DurationSec  float64         `json:"duration_s"`
	Interrupted  bool            `json:"interrupted,omitempty"`
	Counts       Counts          `json:"counts"`
	Crashes      []Crash         `json:"crashes"`
	Groups       []history.Group `json:"groups"`
	NotRecovered *NoRecovery     `json:"not_recovered,omitempty"`
	Verdict      string          `json:"verdict"` // clean|crashed|did-not-recover|error
	Error        string          `json:"error,omitempty"`
}

// Counts are the counters at the end, like the reporter's failureCounts.
type Counts struct {
	Requests          int64 `json:"requests"`
	Success           int64 `json:"success"`
	Timeouts          int64 `json:"timeouts"`
	ConnectionErrors  int64 `json:"connection_errors"`
	Non200            int64 `json:"non_200"`
	OtherErrors       int64 `json:"other_errors"`
	Reconnects        int64 `json:"reconnects"`
	LinkDrops         int64 `json:"link_drops"`
	LinkRestores      int64 `json:"link_restores"`
	Recovered         int64 `json:"recovered"`
	SlowestRecoveryMS int64 `json:"slowest_recovery_ms"`
	Crashes           int64 `json:"crashes"`
}

// A Crash is one crash captured during the soak.
type Crash struct {
	Time        time.Time `json:"time"`
	Fingerprint string    `json:"fingerprint"`
	Trigger     string    `json:"trigger"`
	Summary     string    `json:"summary"`
	Capture     string    `json:"capture"`
}

// NoRecovery is the 0.7 bug: the link came back, the server did not.
type NoRecovery struct {
	Restore  int    `json:"restore"` // which restore (1 = the first)
	WaitedMS int64  `json:"waited_ms"`
	Capture  string `json:"capture,omitempty"` // the live state's snapshot
	Error    string `json:"error"`
}

func (r *run) summarize(s *Summary) {
	c := &r.counters
	r.mu.Lock()
	defer r.mu.Unlock()
	s.DurationSec = time.Since(s.Started).Seconds()
	s.Counts = Counts{
		Requests: c.requests.Load(), Success: c.success.Load(), Timeouts: c.timeouts.Load(),
		ConnectionErrors: c.connErrors.Load(), Non200: c.non200.Load(), OtherErrors: c.other.Load(),
		Reconnects: c.reconnects.Load(), LinkDrops: c.drops.Load(), LinkRestores: c.restores.Load(),
		Recovered: c.recovered.Load(), SlowestRecoveryMS: r.slowestRecov.Milliseconds(), Crashes: c.crashes.Load(),
	}
	s.Crashes = append([]Crash{}, r.crashes...)
	s.Groups = append([]history.Group{}, r.history.Sorted()...)
	if r.noRecovery != nil {
		nr := *r.noRecovery
		s.NotRecovered = &nr
	}
	switch {
	case s.Error != "":
		s.Verdict = "error"
	case s.NotRecovered != nil:
		s.Verdict = "did-not-recover"
	case len(s.Crashes) > 0:
		s.Verdict = "crashed"
	default:
		s.Verdict = "clean"
	}
}

// WriteText prints the summary: counters, crashes grouped by fingerprint
// and the verdict.
func (s *Summary) WriteText(w io.Writer) error {
	d := time.Duration(s.DurationSec * float64(time.Second)).Truncate(time.Second)
	fmt.Fprintf(w, "faultline soak: %v of %s at %s", d, s.Target, s.URL)
	if s.Interrupted {
		fmt.Fprint(w, " (interrupted)")
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w)
	c := s.Counts
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	rows := []struct {
		name string
		v    int64
	}{
		{"requests", c.Requests}, {"success", c.Success}, {"timeouts", c.Timeouts},
		{"connection errors", c.ConnectionErrors}, {"non-200", c.Non200}, {"other errors", c.OtherErrors},
		{"reconnects", c.Reconnects}, {"link drops", c.LinkDrops}, {"recovered after restore", c.Recovered},
		{"crashes captured", c.Crashes},
	}
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%d\t\n", r.name, r.v)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if c.Recovered > 0 {
		fmt.Fprintf(w, "slowest recovery: %v\n", time.Duration(c.SlowestRecoveryMS)*time.Millisecond)
	}
	if len(s.Groups) > 0 {
		fmt.Fprintf(w, "\n%s, %d distinct:\n", history.Plural(len(s.Crashes), "crash"), len(s.Groups))
		gw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(gw, "FINGERPRINT\tCOUNT\tCRASH")
		for _, g := range s.Groups {
			fmt.Fprintf(gw, "%s\t%d\t%s\n", g.Fingerprint, g.Count, g.Signature)
		}
		gw.Flush()
		for _, g := range s.Groups {
			fmt.Fprintf(w, "\n%s: %s\n  latest: %s\n", g.Fingerprint, g.Summary, g.Captures[len(g.Captures)-1])
		}
	}
	fmt.Fprintln(w)
	switch s.Verdict {
	case "error":
		fmt.Fprintf(w, "verdict: soak stopped: %s\n", s.Error)
	case "did-not-recover":
		nr := s.NotRecovered
		fmt.Fprintf(w, "verdict: server did not recover after link restore #%d: %s\n", nr.Restore, nr.Error)
		if nr.Capture != "" {
			fmt.Fprintf(w, "live state: %s\n", nr.Capture)
		}
	case "crashed":
		fmt.Fprintf(w, "verdict: crashed (%s, %d distinct)\n", history.Plural(len(s.Crashes), "crash"), len(s.Groups))
	default:
		if c.LinkRestores > 0 {
			fmt.Fprintf(w, "verdict: no crash; the server answered again after every one of %d restores\n", c.LinkRestores)
		} else {
			fmt.Fprintln(w, "verdict: no crash")
		}
	}
	return nil
}
