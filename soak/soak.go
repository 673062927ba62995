package soak

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"time"

	"github.com/faultline-dev/faultline/capture"
	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/emu"
	"github.com/faultline-dev/faultline/faultdecode"
	"github.com/faultline-dev/faultline/history"
	"github.com/faultline-dev/faultline/internal/procgroup"
	"github.com/faultline-dev/faultline/probe"
)

// Config is one soak: what is soaked, how hard, and when it ends.
type Config struct {
	URL     string         // what the load requests
	Target  string         // what is soaked, in words ("webserver on the emulated bench")
	Session *probe.Session // the device's live session; nil: crashes are outages, not captured
	Image   *elfsym.Image  // the firmware, for reports; may be nil
	Bench   *emu.Bench     // the emulated bench soaked, nil for a device
	Link    emu.Link       // drops and restores the device's link; nil: load only
	Dir     string         // capture files go here

	Rate           float64       // requests per second
	InFlight       int           // requests open at once at most
	RequestTimeout time.Duration // of each request
	DropEvery      time.Duration // the link drops about this often (jittered)
	Down           time.Duration // for this long
	RecoverWithin  time.Duration // after a restore the server must answer within this
	Seed           uint64        // the drop schedule's jitter

	Duration   time.Duration // 0: no limit
	Requests   int64         // 0: no limit
	MaxCrashes int64         // 0: no limit
	// ResumeAfterCrash: the session resumes the firmware's own fault
	// handler after a capture (probe.SessionOptions.Resume); otherwise soak
	// resets the device through the debugger.
	ResumeAfterCrash bool

	Log io.Writer // progress line, crashes as they come; nil discards
}

// run is one soak's moving parts.
type run struct {
	cfg      Config
	log      io.Writer
	counters counters
	history  history.History

	mu           sync.Mutex
	crashes      []Crash
	lastCrashAt  time.Time
	slowestRecov time.Duration
	noRecovery   *NoRecovery
}

// Run soaks until a bound, Ctrl-C (ctx) or a server that did not recover,
// capturing and explaining crashes as they come, and returns the summary.
// It leaves the link restored; starting and stopping the device is the
// caller's.
func Run(ctx context.Context, cfg Config) (*Summary, error) {
	r := &run{cfg: cfg, log: cfg.Log}
	if r.log == nil {
		r.log = io.Discard
	}
	if cfg.Rate <= 0 || cfg.InFlight <= 0 {
		return nil, fmt.Errorf("soak: rate (%v) and in-flight (%d) must be positive", cfg.Rate, cfg.InFlight)
	}
	return r.run(ctx)
}

func (r *run) run(ctx context.Context) (*Summary, error) {
	f := r.cfg
	started := time.Now()
	wctx, stopWork := context.WithCancel(ctx)
	var wg sync.WaitGroup
	loadDone := make(chan struct{})
	wg.Go(func() {
		runLoad(wctx, loadConfig{url: f.URL, rate: f.Rate, timeout: f.RequestTimeout, inFlight: f.InFlight, max: f.Requests}, &r.counters)
		close(loadDone)
	})
	noRecovery := make(chan int, 1)
	if f.Link != nil {
		var tl *probe.Timeline // nil without a session: Add does nothing
		if f.Session != nil {
			tl = f.Session.Timeline()
		}
		wg.Go(func() {
			emu.Flap(wctx, countingLink{f.Link, &r.counters}, emu.FlapSchedule{
				Seed: f.Seed, Every: f.DropEvery, Down: f.Down,
				Event: func(text string) {
					tl.Add(probe.Event{Time: time.Now(), Kind: probe.EventTargetState, Source: "bench", Text: text})
				},
				AfterRestore: func(n int) bool { return r.checkRecovery(wctx, n, noRecovery) },
			})
		})
	}
	// Work stops before the caller stops the session and the bench.
	defer func() { stopWork(); wg.Wait() }()

	fmt.Fprintf(r.log, "faultline: soaking %s at %s: %.3g requests/s", f.Target, f.URL, f.Rate)
	if f.Link != nil {
		fmt.Fprintf(r.log, ", link dropped about every %v for %v (seed %d)", f.DropEvery, f.Down, f.Seed)
	}
	fmt.Fprintln(r.log)
	var bound <-chan time.Time
	if f.Duration > 0 {
		t := time.NewTimer(f.Duration)
		defer t.Stop()
		bound = t.C
	}
	var crashes <-chan probe.SessionCrash
	if f.Session != nil {
		crashes = f.Session.Crashes()
	}
	var benchDone <-chan struct{}
	if f.Bench != nil {
		benchDone = f.Bench.Done()
	}
	prog := newProgress(r.log)
	tick := time.NewTicker(prog.every)
	defer tick.Stop()
	sum := &Summary{Schema: Schema, URL: f.URL, Target: f.Target, Started: started}
loop:
	for {
		select {
		case <-ctx.Done():
			sum.Interrupted = true
			break loop
		case <-bound:
			break loop
		case <-loadDone:
			break loop
		case c := <-crashes:
			if err := r.crash(ctx, c); err != nil {
				sum.Error = err.Error()
				break loop
			}
			if f.MaxCrashes > 0 && r.counters.crashes.Load() >= f.MaxCrashes {
				break loop
			}
		case n := <-noRecovery:
			r.captureNoRecovery(ctx, n)
			break loop
		case <-benchDone:
			// A lockup aborts QEMU; the session delivers that as a crash.
			select {
			case c := <-crashes:
				r.crash(ctx, c)
			case <-time.After(2 * time.Second):
			}
			sum.Error = fmt.Sprintf("QEMU ended: %v", f.Bench.ExitErr())
			break loop
		case <-tick.C:
			prog.show(r.counters.line(time.Since(started)))
		}
	}
	stopWork()
	wg.Wait()
	prog.done(r.counters.line(time.Since(started)))
	r.summarize(sum)
	return sum, nil
}

// checkRecovery runs after restore n: the server must answer within
// --recover-within. A crash meanwhile is its own finding, not a failure to
// recover.
func (r *run) checkRecovery(ctx context.Context, n int, noRecovery chan<- int) bool {
	restored := time.Now()
	took, err := waitAnswer(ctx, r.cfg.URL, r.cfg.RequestTimeout, r.cfg.RecoverWithin)
	if ctx.Err() != nil {
		return false
	}
	if err == nil {
		r.counters.recovered.Add(1)
		r.mu.Lock()
		r.slowestRecov = max(r.slowestRecov, took)
		r.mu.Unlock()
		return true
	}
	r.mu.Lock()
	crashed := r.lastCrashAt.After(restored.Add(-r.cfg.Down))
	r.mu.Unlock()
	if crashed {
		return true
	}
	r.mu.Lock()
	r.noRecovery = &NoRecovery{Restore: n, WaitedMS: took.Milliseconds(), Error: err.Error()}
	r.mu.Unlock()
	noRecovery <- n
	return false
}

// crash saves, explains and counts one crash, then brings the device back.
func (r *run) crash(ctx context.Context, c probe.SessionCrash) error {
	path, err := capture.Save(r.cfg.Dir, c.Snapshot)
	if err != nil {
		return fmt.Errorf("save capture: %w", err)
	}
	rep := faultdecode.AnalyzeWith(c.Snapshot, r.cfg.Image, faultdecode.Options{Source: os.ReadFile})
	fp := r.history.Add(path, c.Snapshot.Meta.CapturedAt, rep)
	n := r.counters.crashes.Add(1)
	r.mu.Lock()
	r.lastCrashAt = time.Now()
	r.crashes = append(r.crashes, Crash{Time: c.Snapshot.Meta.CapturedAt, Fingerprint: fp, Summary: rep.Fault.Summary, Capture: path, Trigger: c.Snapshot.Meta.Trigger.Kind})
	r.mu.Unlock()
	fmt.Fprintf(r.log, "\nfaultline: crash #%d captured (fingerprint %s): %s\nfaultline: capture saved to %s\n", n, fp, rep.Fault.Summary, path)
	if c.Err != nil {
		fmt.Fprintf(r.log, "faultline: warning: capture incomplete: %v\n", c.Err)
	}
	sess := r.cfg.Session
	if sess == nil || sess.Target() == nil || r.cfg.ResumeAfterCrash {
		return nil // the firmware's handler resets it (the session resumed it)
	}
	if st := sess.Status(); st.Target == probe.StatusDisconnected {
		return fmt.Errorf("target connection lost after crash #%d: %v", n, st.Err)
	}
	rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := sess.Reset(rctx); err != nil {
		return fmt.Errorf("reset after crash #%d: %w", n, err)
	}
	fmt.Fprintf(r.log, "faultline: device reset by the debugger; soak goes on\n")
	return nil
}

// captureNoRecovery takes a manual snapshot of the live state of a server
// that did not come back, saves and explains it.
func (r *run) captureNoRecovery(ctx context.Context, n int) {
	r.mu.Lock()
	nr := r.noRecovery
	r.mu.Unlock()
	fmt.Fprintf(r.log, "\nfaultline: server did not recover: no answer within %v after link restore #%d\n", r.cfg.RecoverWithin, n)
	sess := r.cfg.Session
	if sess == nil || sess.Target() == nil {
		return
	}
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	snap, err := sess.SnapshotNow(sctx)
	if snap == nil {
		nr.Error += fmt.Sprintf("; live snapshot failed: %v", err)
		return
	}
	snap.Meta.Trigger.Detail = fmt.Sprintf("server did not recover: no answer within %v after link restore #%d", r.cfg.RecoverWithin, n)
	path, werr := capture.Save(r.cfg.Dir, snap)
	if werr != nil {
		nr.Error += fmt.Sprintf("; save snapshot: %v", werr)
		return
	}
	r.mu.Lock()
	nr.Capture = path
	r.mu.Unlock()
	fmt.Fprintf(r.log, "faultline: live state captured to %s (faultline analyze %s)\n", path, path)
}

// HookLink is a device's link switched by the user's shell commands (a
// smart plug, an access point, "ssh pi ./wifi off"); their output goes to
// Out.
type HookLink struct {
	Down, Up string
	Out      io.Writer
}

// Drop runs the Down command.
func (l HookLink) Drop(ctx context.Context) error { return runHook(ctx, "flap", l.Down, l.Out) }

// Restore runs the Up command.
func (l HookLink) Restore(ctx context.Context) error { return runHook(ctx, "restore", l.Up, l.Out) }

// runHook runs a shell command with a deadline, in its own process group
// so a timeout or Ctrl-C ends everything it started.
func runHook(ctx context.Context, what, command string, out io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "-c", command)
	cmd.SysProcAttr = procgroup.Attr()
	cmd.Cancel = func() error { return procgroup.Kill(cmd.Process) }
	cmd.WaitDelay = 5 * time.Second
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("--%s-cmd %q: %w", what, command, err)
	}
	return nil
}

// countingLink counts drops and restores that happened.
type countingLink struct {
	emu.Link
	c *counters
}

func (l countingLink) Drop(ctx context.Context) error {
	err := l.Link.Drop(ctx)
	if err == nil {
		l.c.drops.Add(1)
	}
	return err
}

func (l countingLink) Restore(ctx context.Context) error {
	err := l.Link.Restore(ctx)
	if err == nil {
		l.c.restores.Add(1)
	}
	return err
}

// progress writes the live counters: one line rewritten in place on a
// terminal, a line every 10 s otherwise (logs, CI).
type progress struct {
	w     io.Writer
	tty   bool
	every time.Duration
}

func newProgress(w io.Writer) *progress {
	p := &progress{w: w, every: 10 * time.Second}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			p.tty, p.every = true, time.Second
		}
	}
	return p
}

func (p *progress) show(line string) {
	if p.tty {
		fmt.Fprintf(p.w, "\r\033[K%s", line)
		return
	}
	fmt.Fprintln(p.w, line)
}

func (p *progress) done(line string) {
	if p.tty {
		fmt.Fprintf(p.w, "\r\033[K%s\n", line)
		return
	}
	fmt.Fprintln(p.w, line)
}
