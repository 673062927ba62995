package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/faultline-dev/faultline/emu"
	"github.com/faultline-dev/faultline/firmware"
	"github.com/faultline-dev/faultline/probe"
)

func init() { commands = append(commands, newDemoCmd) }

type demoFlags struct {
	variant, elf, dir string
	noTUI, json       bool
	noCache           bool
	timeout           time.Duration
	seed              uint64
	port, workers     int
	dropEvery, down   time.Duration
	led               bool
	traceRSP          string
	mem               []string // --mem ranges added to every capture
}

func newDemoCmd() *cobra.Command {
	var f demoFlags
	cmd := &cobra.Command{
		Use:   "demo [--no-tui] [--json] [flags]",
		Short: "Watch the Photon web-server crash on the emulated bench, caught and explained",
		Long: `demo builds the bundled firmware (a Photon-style web server with Device OS 0.6's
socket teardown bug) if needed, boots it in QEMU (netduino2, the Photon's MCU)
with an emulated WiFi co-processor, attaches faultline to its console and its
GDB stub, sends HTTP requests like the original reporter's stress test, drops
the WiFi link every so often, and runs until the crash is caught and explained.

The web server is reachable while the demo runs: curl http://127.0.0.1:7123/

--variant picks the image: webserver (crashes), webserver-clients-fix (the
0.7 fix: no crash, but the server never accepts again after the link returns)
or webserver-fixed (also re-begins the server when the link returns).

Exit codes: 0 crash captured and explained, 1 error, 2 usage, 3 no crash within
--timeout.`,
		Example: `  faultline demo                 # the TUI
  faultline demo --no-tui         # timeline and report as text
  faultline demo --no-tui --json  # the report as faultline.report/v1 JSON`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.dropEvery <= f.down {
				return usageError("--drop-every (%v) must be longer than --down-for (%v)", f.dropEvery, f.down)
			}
			return runDemo(cmd.Context(), f, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&f.noTUI, "no-tui", false, "no TUI: print the timeline and the report (for scripts)")
	fl.BoolVar(&f.json, "json", false, "with --no-tui: print the report as JSON on stdout (timeline goes to stderr)")
	fl.StringVar(&f.variant, "variant", "webserver", "firmware image: webserver|webserver-clients-fix|webserver-fixed")
	fl.StringVar(&f.elf, "elf", "", "run this ELF instead of a bundled image (it must speak the bench's co-processor protocol)")
	addNoCacheFlag(fl, &f.noCache)
	fl.StringVar(&f.dir, "dir", "crashes", "directory for capture files")
	fl.DurationVar(&f.timeout, "timeout", 2*time.Minute, "give up after `DUR` without a crash (exit 3)")
	fl.Uint64Var(&f.seed, "seed", 0, "seed for request and link-drop timing (0: from the clock)")
	fl.IntVar(&f.port, "port", emu.DefaultHTTPPort, "host TCP port of the web server (0: any free port)")
	fl.IntVar(&f.workers, "workers", 3, "concurrent HTTP clients")
	fl.DurationVar(&f.dropEvery, "drop-every", 3*time.Second, "drop the WiFi link about every `DUR` (jittered)")
	fl.DurationVar(&f.down, "down-for", 700*time.Millisecond, "keep the link down for `DUR`")
	fl.StringVar(&f.traceRSP, "trace-rsp", "", "write the RSP wire trace to `FILE`")
	addMemFlag(cmd, &f.mem)
	fl.BoolVar(&f.led, "led", false, "with --no-tui: sample the RGB LED (each sample halts QEMU briefly; the TUI always samples)")
	return cmd
}

// demoBench is what runDemo starts: the bench, the session, the traffic.
type demoBench struct {
	bench *emu.Bench
	sess  *probe.Session
	stats *emu.LoadStats
	stop  func()
}

func startDemo(ctx context.Context, f demoFlags, sampleLED bool, progress io.Writer) (*demoBench, error) {
	mem, err := parseMemFlags(f.mem)
	if err != nil {
		return nil, err
	}
	d, err := startBenchSession(ctx, benchSessionConfig{variant: f.variant, elf: f.elf, noCache: f.noCache, port: f.port, sampleLED: sampleLED, traceRSP: f.traceRSP, mem: mem}, progress)
	if err != nil {
		return nil, err
	}
	d.stats = &emu.LoadStats{}
	tctx, stopTraffic := context.WithCancel(ctx)
	done := make(chan struct{}, 2)
	tl := d.sess.Timeline()
	go func() {
		defer func() { done <- struct{}{} }()
		if err := d.bench.WiFi().WaitListening(tctx); err != nil {
			return
		}
		tl.Add(probe.Event{Time: time.Now(), Kind: probe.EventTargetState, Source: "bench", Text: "web server listening on http://" + d.bench.HTTPAddr() + "/"})
		go emu.RunLoad(tctx, emu.LoadConfig{URL: "http://" + d.bench.HTTPAddr() + "/", Workers: f.workers, Seed: f.seed}, d.stats)
		flapLink(tctx, benchLink{d.bench}, tl, flapSchedule{seed: f.seed, every: f.dropEvery, down: f.down}, nil)
	}()
	stopBench := d.stop
	d.stop = func() {
		stopTraffic()
		<-done
		stopBench()
	}
	return d, nil
}

// benchSessionConfig says which firmware startBenchSession boots.
type benchSessionConfig struct {
	variant, elf string // a bundled image, or an ELF of the user's
	noCache      bool   // --no-cache: index the ELF from scratch
	port         int    // host HTTP port; 0: any free one
	sampleLED    bool
	traceRSP     string // RSP wire trace file; "" none
	// resume lets the firmware's own fault handler run after a crash is
	// captured (probe.SessionOptions.Resume).
	resume bool
	mem    []probe.MemRange // --mem: more ranges every capture reads
}

// startBenchSession builds the firmware if needed, boots it on the emulated
// bench and attaches a live session to its gdbstub and console. Shared by
// demo, attach and soak; stop ends what it started.
func startBenchSession(ctx context.Context, cfg benchSessionConfig, progress io.Writer) (*demoBench, error) {
	elf := cfg.elf
	if elf == "" {
		fmt.Fprintf(progress, "faultline: building the %s firmware (first run takes a while)...\n", cfg.variant)
		var err error
		if elf, err = firmware.ELF(ctx, cfg.variant); err != nil {
			return nil, fmt.Errorf("build firmware: %w", err)
		}
	}
	img, err := openELF(elf, cfg.noCache, progress)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(progress, "faultline: booting %s on the emulated bench (QEMU netduino2 + WiFi co-processor)...\n", elf)
	bench, err := emu.StartBench(ctx, emu.BenchConfig{ELF: elf, HTTPPort: cfg.port, Halted: true})
	if err != nil {
		img.Close()
		return nil, err
	}
	d := &demoBench{bench: bench}
	fail := func(err error) (*demoBench, error) {
		if d.sess != nil {
			d.sess.Close()
		}
		bench.Stop()
		img.Close()
		return nil, err
	}
	var trace io.Writer
	if cfg.traceRSP != "" {
		tf, err := os.Create(cfg.traceRSP)
		if err != nil {
			return fail(fmt.Errorf("open RSP trace: %w", err))
		}
		trace = tf // closed with the process: the trace is a debugging aid
	}
	board, _ := probe.LookupBoard("netduino2")
	spec, err := probe.ParseSerialSpec(bench.ConsolePTY())
	if err != nil {
		return fail(err)
	}
	opts := probe.SessionOptions{
		Target:    &probe.TargetOptions{Addr: bench.GDBAddr(), Board: board, Extra: cfg.mem, Image: img, Trace: trace},
		Serial:    &spec,
		Detectors: probe.NewDetectorSet(symbolizerFor(img)),
		Resume:    cfg.resume,
	}
	if cfg.sampleLED {
		opts.LED = board.LED
	}
	cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	d.sess, err = probe.StartSession(cctx, opts)
	cancel()
	if err != nil {
		return fail(err)
	}
	d.stop = func() {
		d.sess.Close()
		bench.Stop()
		img.Close()
	}
	return d, nil
}

// linkControl drops and restores a device's network link: the bench's
// emulated WiFi, or a user's commands (soak --flap-cmd).
type linkControl interface {
	Drop(ctx context.Context) error
	Restore(ctx context.Context) error
}

// benchLink is the emulated bench's WiFi.
type benchLink struct{ bench *emu.Bench }

func (l benchLink) Drop(context.Context) error    { l.bench.DropLink(); return nil }
func (l benchLink) Restore(context.Context) error { l.bench.RestoreLink(); return nil }

// flapSchedule is when the link drops: about every `every` (jittered by
// seed), for `down` each time.
type flapSchedule struct {
	seed        uint64
	every, down time.Duration
}

// flapLink drops and restores the link on a jittered schedule, like pulling
// the access point's cable, until ctx ends; the link is always left
// restored. afterRestore (may be nil) runs after restore number n, before
// the next wait; it returns false to stop flapping.
func flapLink(ctx context.Context, link linkControl, tl *probe.Timeline, s flapSchedule, afterRestore func(n int) bool) {
	rng := rand.New(rand.NewPCG(s.seed, 0x5eed))
	wait := func(d time.Duration) bool {
		select {
		case <-ctx.Done():
			return false
		case <-time.After(d):
			return true
		}
	}
	event := func(text string) {
		tl.Add(probe.Event{Time: time.Now(), Kind: probe.EventTargetState, Source: "bench", Text: text})
	}
	restore := func(ctx context.Context) {
		if err := link.Restore(ctx); err != nil {
			event("link restore failed: " + err.Error())
			return
		}
		event("WiFi link restored")
	}
	for n := 1; ; n++ {
		up := s.every - s.down
		if !wait(up/2 + time.Duration(rng.Int64N(int64(up)))) {
			return
		}
		if err := link.Drop(ctx); err != nil {
			event(fmt.Sprintf("link drop #%d failed: %v", n, err))
			continue
		}
		event(fmt.Sprintf("WiFi link dropped (#%d)", n))
		if !wait(s.down) {
			// Never leave the link down behind us, even on Ctrl-C.
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			restore(rctx)
			cancel()
			return
		}
		restore(ctx)
		if afterRestore != nil && !afterRestore(n) {
			return
		}
	}
}

func runDemo(ctx context.Context, f demoFlags, stdout, stderr io.Writer) error {
	if f.seed == 0 {
		f.seed = uint64(time.Now().UnixNano())
	}
	if !f.noTUI && !isTerminal(os.Stdout) {
		// A pipe or a file cannot show the TUI: say so and run headless.
		fmt.Fprintf(stderr, "faultline: stdout is not a terminal; running as --no-tui\n")
		f.noTUI = true
	}
	if !f.noTUI {
		return runDemoTUI(ctx, f, stderr)
	}
	d, err := startDemo(ctx, f, f.led, stderr)
	if err != nil {
		return err
	}
	defer d.stop()
	fmt.Fprintf(stderr, "faultline: seed %d; web server at http://%s/; dropping WiFi about every %v for %v\n", f.seed, d.bench.HTTPAddr(), f.dropEvery, f.down)
	timelineOut := stdout
	if f.json {
		timelineOut = stderr
	}
	evctx, stopEvents := context.WithCancel(ctx)
	printed := make(chan struct{})
	go func() {
		defer close(printed)
		for e := range d.sess.Timeline().Subscribe(evctx) {
			fmt.Fprintln(timelineOut, e.String())
		}
	}()
	defer func() { stopEvents(); <-printed }()
	timer := time.NewTimer(f.timeout)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		ok, failed := d.stats.Snapshot()
		return withExit(exitTimeout, fmt.Errorf("no crash within %v (%d requests served, %d failed)", f.timeout, ok, failed))
	case <-d.bench.Done():
		if err := d.bench.ExitErr(); err != nil {
			return fmt.Errorf("QEMU ended: %w", err)
		}
		return errors.New("QEMU ended unexpectedly")
	case c := <-d.sess.Crashes():
		stopEvents()
		<-printed
		path, err := saveCapture(f.dir, c.Snapshot)
		if err != nil {
			return fmt.Errorf("save capture: %w", err)
		}
		ok, failed := d.stats.Snapshot()
		fmt.Fprintf(stderr, "faultline: crash caught after %d requests served (%d failed); capture saved to %s\n", ok, failed, path)
		img := d.sess.Target().Image()
		rep := explain(c.Snapshot, img, stderr)
		if !f.json {
			fmt.Fprintln(stdout)
		}
		if err := printReport(stdout, rep, f.json); err != nil {
			return err
		}
		return c.Err
	}
}

// isTerminal reports whether f is a character device (a terminal).
func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
