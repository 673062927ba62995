package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/faultline-dev/faultline/bench"
	"github.com/faultline-dev/faultline/emu"
	"github.com/faultline-dev/faultline/tui/live"
	"github.com/faultline-dev/faultline/watch"
)

func init() { commands = append(commands, command{name: "demo", build: newDemoCmd, signals: true}) }

type demoFlags struct {
	variant, elf, dir string
	noTUI, json       bool
	noCache, noSave   bool
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
The crash is saved to --dir the moment it is caught (--no-save: in the TUI only
when you press s; without the TUI not at all). After the crash the link stays
up (the timeline says so); the load goes on.

The web server is reachable while the demo runs: curl http://127.0.0.1:7123/

--variant picks the image: webserver (crashes), webserver-clients-fix (the
0.7 fix: no crash, but the server never accepts again after the link returns)
or webserver-fixed (also re-begins the server when the link returns).

Exit codes: 0 crash captured and explained, 1 error, 2 usage, 3 no crash within
--timeout.`,
		Example: `  faultline demo                 # the TUI
  faultline demo --no-tui         # timeline and report as text
  faultline demo --no-tui --json  # the report as faultline.report/v1 JSON
  faultline demo --no-save        # nothing written to crashes/ unless you press s`,
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
	addNoSaveFlag(fl, &f.noSave)
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

func runDemo(ctx context.Context, f demoFlags, stdout, stderr io.Writer) error {
	if f.seed == 0 {
		f.seed = uint64(time.Now().UnixNano())
	}
	if !f.noTUI && !isTerminal(os.Stdout) {
		// A pipe or a file cannot show the TUI: say so and run headless.
		fmt.Fprintf(stderr, "faultline: stdout is not a terminal; running as --no-tui\n")
		f.noTUI = true
	}
	mem, err := parseMemFlags(f.mem)
	if err != nil {
		return err
	}
	d, err := bench.Start(ctx, bench.Config{Variant: f.variant, ELF: f.elf, NoCache: f.noCache, Port: f.port, SampleLED: f.led || !f.noTUI, TraceRSP: f.traceRSP, Mem: mem, Progress: stderr})
	if err != nil {
		return err
	}
	defer d.Close()
	stats := d.Drive(ctx, bench.Traffic{Workers: f.workers, Seed: f.seed, DropEvery: f.dropEvery, Down: f.down})
	if !f.noTUI {
		title := fmt.Sprintf("faultline demo · %s · seed %d", d.URL(), f.seed)
		return live.Run(ctx, d.Probe, d.Image(), live.Options{Dir: f.dir, Title: title, NoSave: f.noSave})
	}
	fmt.Fprintf(stderr, "faultline: seed %d; web server at %s; dropping WiFi about every %v for %v\n", f.seed, d.URL(), f.dropEvery, f.down)
	timelineOut := stdout
	if f.json {
		timelineOut = stderr
	}
	err = watch.Run(ctx, d.Probe, watch.Options{
		Dir: f.dir, NoSave: f.noSave, Image: d.Image(), JSON: f.json, Once: true, Timeout: f.timeout, Out: stdout, Log: stderr,
		Ended: d.Bench.Done(), EndErr: d.Bench.ExitErr, Timeline: timelineOut,
		Caught: func() {
			ok, failed := stats.Snapshot()
			fmt.Fprintf(stderr, "faultline: crash caught after %d requests served (%d failed)\n", ok, failed)
			if !f.json {
				fmt.Fprintln(stdout)
			}
		},
	})
	if errors.Is(err, watch.ErrNoCrash) {
		ok, failed := stats.Snapshot()
		return withExit(exitTimeout, fmt.Errorf("no crash within %v (%d requests served, %d failed)", f.timeout, ok, failed))
	}
	return err
}
