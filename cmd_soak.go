package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/faultline-dev/faultline/bench"
	"github.com/faultline-dev/faultline/soak"
)

func init() { commands = append(commands, command{name: "soak", build: newSoakCmd, signals: true}) }

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

	dev deviceFlags // --gdb, --serial, --elf, --board, --dir, ... as for capture
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
	addDeviceFlags(cmd, &f.dev)
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
	fl.StringVar(&f.dev.gdb, "gdb", "", "GDB remote server `HOST:PORT` of the device, for captures, or a Black Magic Probe's port (/dev/ttyACM0, serial:PATH)")
	fl.StringVar(&f.dev.serial, "serial", "", "serial console `DEV[@BAUD]` of the device; a panic line there is a crash")
	fl.StringVar(&f.dev.elf, "elf", "", "firmware ELF `FILE` (with --bench: boot this image instead of --variant)")
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

func runSoak(ctx context.Context, f soakFlags, stdout, stderr io.Writer) error {
	if f.seed == 0 {
		f.seed = uint64(time.Now().UnixNano())
	}
	cfg := soak.Config{
		URL: f.url, Dir: f.dev.dir, Log: stderr,
		Rate: f.rate, InFlight: f.inFlight, RequestTimeout: f.requestTimeout,
		DropEvery: f.dropEvery, Down: f.down, RecoverWithin: f.recoverWithin, Seed: f.seed,
		Duration: f.duration, Requests: f.requests, MaxCrashes: f.maxCrashes,
		ResumeAfterCrash: f.afterCrash == "resume",
	}
	stop, err := startSoakTarget(ctx, f, &cfg, stderr)
	stop = sync.OnceFunc(stop)
	defer stop()
	if err != nil {
		return err
	}
	if f.noDrops {
		cfg.Link = nil
	}
	sum, err := soak.Run(ctx, cfg)
	stop() // the device is stopped before the summary, as a Ctrl-C would
	if err != nil {
		return err
	}
	if f.json {
		err = writeJSON(stdout, sum)
	} else {
		err = sum.WriteText(stdout)
	}
	if err != nil {
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

// startSoakTarget boots the bench or connects to the device and fills in
// what cfg soaks. stop (never nil) ends what it started, also after an
// error half-way.
func startSoakTarget(ctx context.Context, f soakFlags, cfg *soak.Config, stderr io.Writer) (stop func(), err error) {
	resume := f.afterCrash == "resume"
	if f.bench {
		mem, err := parseMemFlags(f.dev.mem)
		if err != nil {
			return func() {}, err
		}
		d, err := bench.Start(ctx, bench.Config{Variant: f.variant, ELF: f.dev.elf, NoCache: f.dev.noCache, Port: f.port, Resume: resume, Mem: mem, Progress: stderr})
		if err != nil {
			return func() {}, err
		}
		cfg.Session, cfg.Image, cfg.Bench, cfg.Link = d.Probe, d.Image(), d.Bench, d.Bench.Link()
		if cfg.URL == "" {
			cfg.URL = d.URL()
		}
		cfg.Target = "the emulated bench"
		if f.dev.elf == "" {
			cfg.Target = f.variant + " on the emulated bench"
		}
		return d.Close, d.WaitServing(ctx)
	}
	cfg.Target = f.url
	if f.flapCmd != "" {
		cfg.Link = soak.HookLink{Down: f.flapCmd, Up: f.restoreCmd, Out: stderr}
	}
	if f.dev.gdb == "" && f.dev.serial == "" {
		fmt.Fprintln(stderr, "faultline: warning: no --gdb or --serial: crashes will be counted as outages but not captured")
	}
	var stopDevice func()
	cfg.Session, cfg.Image, stopDevice, err = startDevice(ctx, f.dev, resume, stderr)
	return func() { cfg.Session.Leave(ctx); stopDevice() }, err
}
