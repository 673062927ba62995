package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/faultline-dev/faultline/emu"
)

// soak's HTTP load, its counters and its summary.

// soakCounters are the live counts, like the reporter's failureCounts.
type soakCounters struct {
	requests, success, timeouts, connErrors, non200, other atomic.Int64
	reconnects                                             atomic.Int64
	drops, restores, recovered                             atomic.Int64
	crashes                                                atomic.Int64
	unreachable                                            atomic.Bool
}

func (c *soakCounters) line(elapsed time.Duration) string {
	return fmt.Sprintf("soak %s  requests %d  ok %d  timeouts %d  conn-errors %d  non-200 %d  other %d  reconnects %d  drops %d  recovered %d  crashes %d",
		elapsed.Truncate(time.Second), c.requests.Load(), c.success.Load(), c.timeouts.Load(), c.connErrors.Load(),
		c.non200.Load(), c.other.Load(), c.reconnects.Load(), c.drops.Load(), c.recovered.Load(), c.crashes.Load())
}

// count files one request's outcome. A success after failures is a
// reconnect: the server answered again (link back, device rebooted).
func (c *soakCounters) count(err error) {
	c.requests.Add(1)
	if err == nil {
		c.success.Add(1)
		if c.unreachable.CompareAndSwap(true, false) {
			c.reconnects.Add(1)
		}
		return
	}
	c.unreachable.Store(true)
	switch requestOutcome(err) {
	case "timeout":
		c.timeouts.Add(1)
	case "conn":
		c.connErrors.Add(1)
	case "non200":
		c.non200.Add(1)
	default:
		c.other.Add(1)
	}
}

// requestOutcome sorts a failed request the way the reporter's script did:
// timeout, connection error, non-200, other.
func requestOutcome(err error) string {
	var se *emu.StatusError
	var ne net.Error
	switch {
	case errors.As(err, &se):
		return "non200"
	case errors.As(err, &ne) && ne.Timeout(), errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "conn"
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		return "conn"
	}
	return "other"
}

type soakLoadConfig struct {
	url      string
	rate     float64
	timeout  time.Duration
	inFlight int
	max      int64 // requests to send; 0: no limit
}

// runSoakLoad starts a request every 1/rate seconds (each on a fresh
// connection, as the firmware closes after every response) until ctx ends
// or max requests were sent, then waits for those still open. A tick
// that finds inFlight requests open is skipped, so a hung server does
// not pile up connections.
func runSoakLoad(ctx context.Context, cfg soakLoadConfig, c *soakCounters) {
	tr := &http.Transport{DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: cfg.timeout}
	sem := make(chan struct{}, cfg.inFlight)
	var wg sync.WaitGroup
	defer wg.Wait()
	tick := time.NewTicker(time.Duration(float64(time.Second) / cfg.rate))
	defer tick.Stop()
	var sent int64
	for cfg.max == 0 || sent < cfg.max {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		select {
		case sem <- struct{}{}:
		default:
			continue
		}
		sent++
		wg.Go(func() {
			defer func() { <-sem }()
			err := emu.Get(ctx, client, cfg.url)
			if ctx.Err() == nil {
				c.count(err)
			}
		})
	}
}

// waitAnswer asks url until it answers 200 or within passes; it returns
// how long that took.
func waitAnswer(ctx context.Context, url string, perRequest, within time.Duration) (time.Duration, error) {
	start := time.Now()
	tr := &http.Transport{DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: perRequest}
	ctx, cancel := context.WithTimeout(ctx, within)
	defer cancel()
	for {
		err := emu.Get(ctx, client, url)
		if err == nil {
			return time.Since(start), nil
		}
		select {
		case <-ctx.Done():
			return time.Since(start), fmt.Errorf("no answer from %s within %v (last: %v)", url, within, err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

const soakSchema = "faultline.soak/v1"

// soakSummary is what `soak --json` prints.
type soakSummary struct {
	Schema       string          `json:"schema"`
	URL          string          `json:"url"`
	Target       string          `json:"target"`
	Started      time.Time       `json:"started"`
	DurationSec  float64         `json:"duration_s"`
	Interrupted  bool            `json:"interrupted,omitempty"`
	Counts       soakCounts      `json:"counts"`
	Crashes      []soakCrash     `json:"crashes"`
	Groups       []crashGroup    `json:"groups"`
	NotRecovered *soakNoRecovery `json:"not_recovered,omitempty"`
	Verdict      string          `json:"verdict"` // clean|crashed|did-not-recover|error
	Error        string          `json:"error,omitempty"`
}

type soakCounts struct {
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

type soakCrash struct {
	Time        time.Time `json:"time"`
	Fingerprint string    `json:"fingerprint"`
	Trigger     string    `json:"trigger"`
	Summary     string    `json:"summary"`
	Capture     string    `json:"capture"`
}

// soakNoRecovery is the 0.7 bug: the link came back, the server did not.
type soakNoRecovery struct {
	Restore  int    `json:"restore"` // which restore (1 = the first)
	WaitedMS int64  `json:"waited_ms"`
	Capture  string `json:"capture,omitempty"` // the live state's snapshot
	Error    string `json:"error"`
}

func (r *soakRun) summarize(s *soakSummary) {
	c := &r.counters
	r.mu.Lock()
	defer r.mu.Unlock()
	s.DurationSec = time.Since(s.Started).Seconds()
	s.Counts = soakCounts{
		Requests: c.requests.Load(), Success: c.success.Load(), Timeouts: c.timeouts.Load(),
		ConnectionErrors: c.connErrors.Load(), Non200: c.non200.Load(), OtherErrors: c.other.Load(),
		Reconnects: c.reconnects.Load(), LinkDrops: c.drops.Load(), LinkRestores: c.restores.Load(),
		Recovered: c.recovered.Load(), SlowestRecoveryMS: r.slowestRecov.Milliseconds(), Crashes: c.crashes.Load(),
	}
	s.Crashes = append([]soakCrash{}, r.crashes...)
	s.Groups = append([]crashGroup{}, r.history.sorted()...)
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

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

func (s *soakSummary) writeText(w io.Writer) error {
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
		fmt.Fprintf(w, "\n%s, %d distinct:\n", plural(len(s.Crashes), "crash"), len(s.Groups))
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
		fmt.Fprintf(w, "verdict: crashed (%s, %d distinct)\n", plural(len(s.Crashes), "crash"), len(s.Groups))
	default:
		if c.LinkRestores > 0 {
			fmt.Fprintf(w, "verdict: no crash; the server answered again after every one of %d restores\n", c.LinkRestores)
		} else {
			fmt.Fprintln(w, "verdict: no crash")
		}
	}
	return nil
}
