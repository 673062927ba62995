package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/emu"
	"github.com/faultline-dev/faultline/faultdecode"
	"github.com/faultline-dev/faultline/probe"
)

// soak is the reporter's stress rig as a command: load, link drops,
// counters, and a capture of every crash. Decisions worth knowing:
//   - After a crash is captured the device is brought back by a debugger
//     reset by default (probe.Session.Reset: AIRCR.SYSRESETREQ on QEMU,
//     "monitor reset halt" on OpenOCD, then fault catching is re-armed and
//     the core resumed). It is quick (the bench serves again within about
//     2 s), where letting the firmware's own handler run
//     (--after-crash resume, probe.SessionOptions.Resume) costs the 10 s
//     of SOS first. Restarting the whole bench would lose the point: the
//     same QEMU, link and co-processor go on, as a device on a desk would.
//   - The liveness check belongs to the link schedule (flapLink's
//     afterRestore): the next drop waits until the server answered or
//     --recover-within passed. A crash since the drop is its own finding,
//     not a failure to recover.
//   - A server that did not recover ends the soak: its live state is
//     snapshotted (probe.Session.SnapshotNow) while it is still wedged.
//   - Load requests and liveness probes are separate: the counters are
//     the load's alone, like the reporter's script.

func init() { commands = append(commands, newSoakCmd) }

// soakFlags are soak's options.
type soakFlags struct {
	url                 string
	bench               bool
	variant             string
	port                int
	flapCmd, restoreCmd string
	noDrops             bool

	rate           float64
	inFlight       int
	requestTimeout time.Duration
	dropEvery      time.Duration
	down           time.Duration
	recoverWithin  time.Duration
	seed           uint64

	duration   time.Duration
	requests   int64
	maxCrashes int64
	afterCrash string
	json       bool

	dev captureFlags // --gdb, --serial, --elf, --board, --dir, ... as for capture
}

func newSoakCmd() *cobra.Command {
	var f soakFlags
	cmd := &cobra.Command{
		Use:   "soak (--bench [--variant V] | --url URL [--gdb HOST:PORT] [--serial DEV]) [flags]",
		Short: "Repro harness: HTTP load and link drops, live counters, auto-capture, liveness check",
		Long: `soak reproduces crashes that need time and bad luck: it sends HTTP requests at a
set rate, drops the device's network link on a schedule, counts what happens
(like the original reporter's stress script: successes, timeouts, connection
errors, non-200s, reconnects) on a progress line, and captures every crash
(through the GDB server and/or the serial console, as 'faultline capture'
does) into --dir.

After every link restore the server must answer again within
--recover-within; if it does not, soak reports "server did not recover",
captures the live state (a manual snapshot through the debugger) and stops.

With --bench the device is the bundled firmware on the emulated bench (QEMU
+ emulated WiFi); --variant picks the image. Otherwise point --url at your
device and give --flap-cmd/--restore-cmd that turn its network off and on
(a smart plug, an access point, ssh pi ./wifi off); without them soak only
sends load.

After a crash is captured the device is brought back with a debugger reset
(--after-crash reset, the default: like pressing the reset button, fast) or
by letting the firmware's own fault handler run (--after-crash resume: its
panic handler, SOS and reset, as in the field). The soak then goes on.

It ends after --duration, --requests or --max-crashes (or on Ctrl-C),
restores the link, stops what it started, and prints a summary (--json: one
JSON document, faultline.soak/v1). Crashes are grouped by fingerprint.

Exit codes: 0 no crash and the server recovered after every restore,
1 crashes captured, the server did not recover, or an error, 2 usage.`,
		Example: `  # the buggy bundled firmware: crashes, grouped by fingerprint
  faultline soak --bench --duration 2m

  # the fixed image, ten minutes of drops
  faultline soak --bench --variant webserver-fixed --duration 10m

  # a real device: OpenOCD on the debug probe, WiFi switched by a Raspberry Pi
  faultline soak --url http://192.168.0.129/ --gdb localhost:3333 --elf app.elf \
      --flap-cmd 'ssh pi ./wifi off' --restore-cmd 'ssh pi ./wifi on' --duration 1h`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := applyConfig(cmd); err != nil {
				return err
			}
			if err := f.check(); err != nil {
				return err
			}
			return runSoak(cmd.Context(), f, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&f.bench, "bench", false, "soak the bundled firmware on the emulated bench")
	fl.StringVar(&f.variant, "variant", "webserver", "with --bench: firmware image webserver|webserver-clients-fix|webserver-fixed")
	fl.IntVar(&f.port, "port", 0, "with --bench: host TCP port of the web server (0: any free port)")
	fl.StringVar(&f.url, "url", "", "`URL` to request (with --bench: the bench's web server)")
	fl.StringVar(&f.flapCmd, "flap-cmd", "", "shell `COMMAND` that takes the device's network down")
	fl.StringVar(&f.restoreCmd, "restore-cmd", "", "shell `COMMAND` that brings it back")
	fl.BoolVar(&f.noDrops, "no-drops", false, "never drop the link (load only)")
	fl.Float64Var(&f.rate, "rate", 5, "HTTP requests per second")
	fl.IntVar(&f.inFlight, "max-in-flight", 8, "requests open at once at most (a tick finding them all busy is skipped)")
	fl.DurationVar(&f.requestTimeout, "request-timeout", 2*time.Second, "timeout of each request")
	fl.DurationVar(&f.dropEvery, "drop-every", 20*time.Second, "drop the link about every `DUR` (jittered)")
	fl.DurationVar(&f.down, "down-for", 3*time.Second, "keep the link down for `DUR`")
	fl.DurationVar(&f.recoverWithin, "recover-within", 15*time.Second, "after a restore the server must answer within `DUR`")
	fl.Uint64Var(&f.seed, "seed", 0, "seed for the drop schedule's jitter (0: from the clock)")
	fl.DurationVar(&f.duration, "duration", 0, "stop after `DUR` (0: no limit)")
	fl.Int64Var(&f.requests, "requests", 0, "stop after `N` requests (0: no limit)")
	fl.Int64Var(&f.maxCrashes, "max-crashes", 0, "stop after `N` crashes (0: no limit)")
	fl.StringVar(&f.afterCrash, "after-crash", "reset", "after capturing a crash: reset (debugger reset) or resume (the firmware's fault handler runs)")
	fl.BoolVar(&f.json, "json", false, "print the summary as one JSON document (faultline.soak/v1)")
	fl.StringVar(&f.dev.gdb, "gdb", "", "GDB remote server `HOST:PORT` of the device, for captures")
	fl.StringVar(&f.dev.serial, "serial", "", "serial console `DEV[@BAUD]` of the device; a panic line there is a crash")
	fl.StringVar(&f.dev.elf, "elf", "", "firmware ELF `FILE` (with --bench: boot this image instead of --variant)")
	addNoCacheFlag(fl, &f.dev.noCache)
	fl.StringVar(&f.dev.board, "board", "generic", "board profile: "+strings.Join(probe.BoardNames(), "|"))
	fl.StringVar(&f.dev.dir, "dir", "crashes", "directory for capture files")
	fl.DurationVar(&f.dev.rspTimeout, "rsp-timeout", 5*time.Second, "timeout for each exchange with the GDB server")
	fl.StringArrayVar(&f.dev.match, "match", nil, "extra crash marker `NAME=REGEX` on the console (repeatable)")
	addMemFlag(cmd, &f.dev.mem)
	return cmd
}

func (f *soakFlags) check() error {
	switch {
	case f.bench && (f.dev.gdb != "" || f.dev.serial != ""):
		return usageError("--bench attaches to the bench itself; --gdb and --serial are for a device")
	case !f.bench && f.url == "":
		return usageError("soak needs --bench or --url URL")
	case (f.flapCmd == "") != (f.restoreCmd == ""):
		return usageError("--flap-cmd and --restore-cmd go together")
	case f.bench && f.flapCmd != "":
		return usageError("--bench drops its own link; --flap-cmd is for a device")
	case f.rate <= 0 || f.rate > 1000:
		return usageError("--rate %v: want 0 < rate <= 1000 requests per second", f.rate)
	case f.inFlight <= 0:
		return usageError("--max-in-flight must be positive")
	case f.dropEvery <= f.down:
		return usageError("--drop-every (%v) must be longer than --down-for (%v)", f.dropEvery, f.down)
	case f.afterCrash != "reset" && f.afterCrash != "resume":
		return usageError("--after-crash %q: want reset or resume", f.afterCrash)
	case f.duration < 0 || f.requests < 0 || f.maxCrashes < 0:
		return usageError("--duration, --requests and --max-crashes cannot be negative")
	}
	return nil
}

// soakRun is one soak's moving parts.
type soakRun struct {
	f      soakFlags
	stderr io.Writer
	url    string
	target string // what is soaked, in words
	sess   *probe.Session
	img    *elfsym.Image
	bench  *emu.Bench
	link   linkControl
	stop   func() // ends the session and the bench

	counters soakCounters
	history  crashHistory

	mu           sync.Mutex
	crashes      []soakCrash
	lastCrashAt  time.Time
	slowestRecov time.Duration
	noRecovery   *soakNoRecovery
}

func runSoak(ctx context.Context, f soakFlags, stdout, stderr io.Writer) error {
	if f.seed == 0 {
		f.seed = uint64(time.Now().UnixNano())
	}
	r := &soakRun{f: f, stderr: stderr, url: f.url, stop: func() {}}
	stopped := false
	stopAll := func() {
		if !stopped {
			stopped = true
			r.stop()
		}
	}
	defer stopAll()
	// start sets r.stop as soon as it has started something, so a failure
	// half-way (the web server never listens) still stops it all.
	if err := r.start(ctx); err != nil {
		return err
	}
	sum, err := r.run(ctx)
	stopAll()
	if err != nil {
		return err
	}
	if f.json {
		if err := writeJSON(stdout, sum); err != nil {
			return err
		}
	} else if err := sum.writeText(stdout); err != nil {
		return err
	}
	switch {
	case sum.Error != "":
		return errors.New(sum.Error)
	case sum.NotRecovered != nil:
		return errors.New("server did not recover after a link restore")
	case len(sum.Crashes) > 0:
		return fmt.Errorf("%d crashes captured in %s", len(sum.Crashes), f.dev.dir)
	}
	return nil
}

// start boots the bench or connects to the device.
func (r *soakRun) start(ctx context.Context) error {
	f := r.f
	if f.bench {
		mem, err := parseMemFlags(f.dev.mem)
		if err != nil {
			return err
		}
		d, err := startBenchSession(ctx, benchSessionConfig{variant: f.variant, elf: f.dev.elf, noCache: f.dev.noCache, port: f.port, resume: f.afterCrash == "resume", mem: mem}, r.stderr)
		if err != nil {
			return err
		}
		r.sess, r.bench, r.stop = d.sess, d.bench, d.stop
		r.img = d.sess.Target().Image()
		r.link = benchLink{d.bench}
		if r.url == "" {
			r.url = "http://" + d.bench.HTTPAddr() + "/"
		}
		r.target = "the emulated bench"
		if f.dev.elf == "" {
			r.target = f.variant + " on the emulated bench"
		}
		wctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		if err := d.bench.WiFi().WaitListening(wctx); err != nil {
			return fmt.Errorf("the bench's web server never listened: %w", err)
		}
		return nil
	}
	r.target = r.url
	if f.flapCmd != "" {
		r.link = hookLink{down: f.flapCmd, up: f.restoreCmd, out: r.stderr}
	}
	img, err := openELF(f.dev.elf, f.dev.noCache, r.stderr)
	if err != nil {
		return err
	}
	r.img = img
	r.stop = func() {
		if img != nil {
			img.Close()
		}
	}
	if f.dev.gdb == "" && f.dev.serial == "" {
		fmt.Fprintln(r.stderr, "faultline: warning: no --gdb or --serial: crashes will be counted as outages but not captured")
		return nil
	}
	opts, cleanup, err := sessionOptions(f.dev, img, r.stderr)
	if err != nil {
		cleanup()
		return err
	}
	opts.Resume = f.afterCrash == "resume"
	cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	sess, err := probe.StartSession(cctx, opts)
	cancel()
	if err != nil {
		cleanup()
		return err
	}
	r.sess = sess
	r.stop = func() {
		stopTarget(sess)
		sess.Close()
		cleanup()
		if img != nil {
			img.Close()
		}
	}
	return nil
}

// run drives the load and the link until a bound, Ctrl-C or a server that
// did not recover, and handles crashes as they come.
func (r *soakRun) run(ctx context.Context) (*soakSummary, error) {
	f := r.f
	started := time.Now()
	wctx, stopWork := context.WithCancel(ctx)
	var wg sync.WaitGroup
	loadDone := make(chan struct{})
	wg.Go(func() {
		runSoakLoad(wctx, soakLoadConfig{url: r.url, rate: f.rate, timeout: f.requestTimeout, inFlight: f.inFlight, max: f.requests}, &r.counters)
		close(loadDone)
	})
	noRecovery := make(chan int, 1)
	if r.link != nil && !f.noDrops {
		tl := probe.NewTimeline(1000)
		if r.sess != nil {
			tl = r.sess.Timeline()
		}
		wg.Go(func() {
			flapLink(wctx, countingLink{r.link, &r.counters}, tl, flapSchedule{seed: f.seed, every: f.dropEvery, down: f.down}, func(n int) bool {
				return r.checkRecovery(wctx, n, noRecovery)
			})
		})
	}
	// Work stops before the session and bench do (deferred in runSoak).
	defer func() { stopWork(); wg.Wait() }()

	fmt.Fprintf(r.stderr, "faultline: soaking %s at %s: %.3g requests/s", r.target, r.url, f.rate)
	if r.link != nil && !f.noDrops {
		fmt.Fprintf(r.stderr, ", link dropped about every %v for %v (seed %d)", f.dropEvery, f.down, f.seed)
	}
	fmt.Fprintln(r.stderr)
	var bound <-chan time.Time
	if f.duration > 0 {
		t := time.NewTimer(f.duration)
		defer t.Stop()
		bound = t.C
	}
	var crashes <-chan probe.SessionCrash
	if r.sess != nil {
		crashes = r.sess.Crashes()
	}
	var benchDone <-chan struct{}
	if r.bench != nil {
		benchDone = r.bench.Done()
	}
	prog := newProgress(r.stderr)
	tick := time.NewTicker(prog.every)
	defer tick.Stop()
	sum := &soakSummary{Schema: soakSchema, URL: r.url, Target: r.target, Started: started}
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
			if f.maxCrashes > 0 && r.counters.crashes.Load() >= f.maxCrashes {
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
			sum.Error = fmt.Sprintf("QEMU ended: %v", r.bench.ExitErr())
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
func (r *soakRun) checkRecovery(ctx context.Context, n int, noRecovery chan<- int) bool {
	restored := time.Now()
	took, err := waitAnswer(ctx, r.url, r.f.requestTimeout, r.f.recoverWithin)
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
	crashed := r.lastCrashAt.After(restored.Add(-r.f.down))
	r.mu.Unlock()
	if crashed {
		return true
	}
	r.mu.Lock()
	r.noRecovery = &soakNoRecovery{Restore: n, WaitedMS: took.Milliseconds(), Error: err.Error()}
	r.mu.Unlock()
	noRecovery <- n
	return false
}

// crash saves, explains and counts one crash, then brings the device back.
func (r *soakRun) crash(ctx context.Context, c probe.SessionCrash) error {
	path, err := saveCapture(r.f.dev.dir, c.Snapshot)
	if err != nil {
		return fmt.Errorf("save capture: %w", err)
	}
	rep := faultdecode.Analyze(c.Snapshot, r.img)
	fp := r.history.add(path, c.Snapshot.Meta.CapturedAt, rep)
	n := r.counters.crashes.Add(1)
	r.mu.Lock()
	r.lastCrashAt = time.Now()
	r.crashes = append(r.crashes, soakCrash{Time: c.Snapshot.Meta.CapturedAt, Fingerprint: fp, Summary: rep.Fault.Summary, Capture: path, Trigger: c.Snapshot.Meta.Trigger.Kind})
	r.mu.Unlock()
	fmt.Fprintf(r.stderr, "\nfaultline: crash #%d captured (fingerprint %s): %s\nfaultline: capture saved to %s\n", n, fp, rep.Fault.Summary, path)
	if c.Err != nil {
		fmt.Fprintf(r.stderr, "faultline: warning: capture incomplete: %v\n", c.Err)
	}
	if r.sess == nil || r.sess.Target() == nil || r.f.afterCrash == "resume" {
		return nil // the firmware's handler resets it (the session resumed it)
	}
	if st := r.sess.Status().Target; st == probe.StatusDisconnected {
		return fmt.Errorf("target connection lost after crash #%d: %v", n, r.sess.Status().Err)
	}
	rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := r.sess.Reset(rctx); err != nil {
		return fmt.Errorf("reset after crash #%d: %w", n, err)
	}
	fmt.Fprintf(r.stderr, "faultline: device reset by the debugger; soak goes on\n")
	return nil
}

// captureNoRecovery takes a manual snapshot of the live state of a server
// that did not come back, saves and explains it.
func (r *soakRun) captureNoRecovery(ctx context.Context, n int) {
	r.mu.Lock()
	nr := r.noRecovery
	r.mu.Unlock()
	fmt.Fprintf(r.stderr, "\nfaultline: server did not recover: no answer within %v after link restore #%d\n", r.f.recoverWithin, n)
	if r.sess == nil || r.sess.Target() == nil {
		return
	}
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	snap, err := r.sess.SnapshotNow(sctx)
	if snap == nil {
		nr.Error += fmt.Sprintf("; live snapshot failed: %v", err)
		return
	}
	snap.Meta.Trigger.Detail = fmt.Sprintf("server did not recover: no answer within %v after link restore #%d", r.f.recoverWithin, n)
	path, werr := saveCapture(r.f.dev.dir, snap)
	if werr != nil {
		nr.Error += fmt.Sprintf("; save snapshot: %v", werr)
		return
	}
	r.mu.Lock()
	nr.Capture = path
	r.mu.Unlock()
	fmt.Fprintf(r.stderr, "faultline: live state captured to %s (faultline analyze %s)\n", path, path)
}

// hookLink runs the user's commands to take the network down and up.
type hookLink struct {
	down, up string
	out      io.Writer
}

func (l hookLink) Drop(ctx context.Context) error    { return runHook(ctx, "flap", l.down, l.out) }
func (l hookLink) Restore(ctx context.Context) error { return runHook(ctx, "restore", l.up, l.out) }

// runHook runs a shell command with a deadline, in its own process group
// so a timeout or Ctrl-C ends everything it started.
func runHook(ctx context.Context, what, command string, out io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "-c", command)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("--%s-cmd %q: %w", what, command, err)
	}
	return nil
}

// countingLink counts drops and restores that happened.
type countingLink struct {
	linkControl
	c *soakCounters
}

func (l countingLink) Drop(ctx context.Context) error {
	err := l.linkControl.Drop(ctx)
	if err == nil {
		l.c.drops.Add(1)
	}
	return err
}

func (l countingLink) Restore(ctx context.Context) error {
	err := l.linkControl.Restore(ctx)
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
