package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/faultline-dev/faultline/capture"
	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/faultdecode"
	"github.com/faultline-dev/faultline/faultdecode/report"
	"github.com/faultline-dev/faultline/probe"
)

func init() { commands = append(commands, newCaptureCmd) }

// captureFlags are capture's options.
type captureFlags struct {
	elf, gdb, board, dir string
	serial, logFile      string
	match                []string
	mem                  []string // --mem ADDR:SIZE, extra ranges every capture reads
	once, json, resume   bool
	led                  bool
	timeout, rspTimeout  time.Duration
	traceRSP             string
	noCache              bool
}

func newCaptureCmd() *cobra.Command {
	var f captureFlags
	cmd := &cobra.Command{
		Use:   "capture --gdb HOST:PORT [--elf FILE] [flags]",
		Short: "Wait for crashes headless, save a capture file per crash, print the report",
		Long: `capture connects to a GDB remote server (OpenOCD's port 3333, QEMU's -gdb) and
looks at the target first. A target already halted in a fault (a fault
exception active, a lockup, a PC that cannot execute) is captured as it is and
never resumed past its evidence. Otherwise capture arms fault catching
(OpenOCD: vector catch; others: a breakpoint on each fault handler from the
vector table), resumes the target and waits.

On a crash it reads the registers, the fault registers, memory and samples of
flash, writes an ELF core file to --dir (its path goes to stderr) and prints the
report: the fault and its cause, the culprit line, the frames. Over a slow
debug link (an SWD probe moves 100-500 KB/s) the first report comes from the
registers, fault registers and stacks, before the rest of RAM is read; it is
printed again once the capture is complete only if the rest changes it
(--json prints one report, from the complete capture). Ctrl-C during that
read saves what was read, saying what is missing. Memory is the
board's RAM map or, without one, each writable section of the ELF and each
stack (MSP, PSP) from just below its pointer up to its top (from the linker
script's symbols, the vector table, the section or MPU region holding it),
each bounded; --mem adds ranges (also "mem = [...]" in faultline.toml). What
could not be read is named in the capture and the report.

With --serial it also watches the console: a panic line (Device OS, Zephyr,
ESP-IDF, CrashCatcher, CmBacktrace, or your --match) is a crash too. With
--serial and no --gdb it works from the console alone (serial-only mode);
a CrashCatcher hex dump printed there becomes a full capture (registers,
memory, frames).

Exit codes: 0 crash captured (or, without --once, a clean stop), 1 error,
2 usage, 3 timeout with no crash.`,
		Example: `  # catch the next crash of a board behind OpenOCD
  faultline capture --gdb localhost:3333 --elf app.elf --once

  # QEMU started with -S -gdb tcp::1234; JSON report for a script
  faultline capture --gdb 127.0.0.1:1234 --elf app.elf --board netduino2 --once --json

  # serial console only: a panic line is the trigger
  faultline capture --serial /dev/ttyACM0@115200 --elf app.elf --once

  # also read a stack in CCM and a second RAM bank into every capture
  faultline capture --gdb localhost:3333 --elf app.elf --mem 0x10000000:64K --mem 0x24000000:512K`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := applyConfig(cmd); err != nil {
				return err
			}
			if f.gdb == "" && f.serial == "" {
				return usageError("capture needs --gdb HOST:PORT (the GDB server to attach to) and/or --serial DEV[@BAUD]")
			}
			return runCapture(cmd.Context(), f, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.gdb, "gdb", "", "GDB remote server `HOST:PORT` (OpenOCD :3333, QEMU -gdb, J-Link :2331, pyOCD, st-util :4242) or a Black Magic Probe's port (/dev/ttyACM0, serial:PATH)")
	fl.StringVar(&f.elf, "elf", "", "firmware ELF `FILE` with debug info (symbols, lines, CFI)")
	addNoCacheFlag(fl, &f.noCache)
	fl.StringVar(&f.board, "board", "generic", "board profile: "+strings.Join(probe.BoardNames(), "|"))
	fl.StringVar(&f.dir, "dir", "crashes", "directory for capture files")
	fl.BoolVar(&f.once, "once", false, "stop after the first crash")
	fl.BoolVar(&f.json, "json", false, "print each report as one JSON document (faultline.report/v1)")
	fl.BoolVar(&f.resume, "resume", false, "with --once: after capturing, let the firmware's own fault handler run (SOS, reset); without --once this is always done")
	fl.DurationVar(&f.timeout, "timeout", 0, "give up waiting after `DUR` (exit 3); 0 waits until Ctrl-C")
	fl.DurationVar(&f.rspTimeout, "rsp-timeout", 5*time.Second, "timeout for each exchange with the GDB server")
	fl.StringVar(&f.traceRSP, "trace-rsp", "", "write the RSP wire trace to `FILE`")
	fl.StringVar(&f.serial, "serial", "", "serial console `DEV[@BAUD]` (also tcp:HOST:PORT, usb:SERIAL); a panic line there is a crash")
	fl.StringVar(&f.logFile, "log", "", "append the raw console bytes to `FILE`")
	fl.StringArrayVar(&f.match, "match", nil, "extra crash marker `NAME=REGEX` on the console (repeatable)")
	addMemFlag(cmd, &f.mem)
	fl.BoolVar(&f.led, "led", false, "sample the board's RGB LED through the debugger (OpenOCD reads it while the core runs; on QEMU each sample halts the core briefly: it perturbs timing)")
	return cmd
}

// addMemFlag registers --mem on a command that captures.
func addMemFlag(cmd *cobra.Command, mem *[]string) {
	cmd.Flags().StringArrayVar(mem, "mem", nil, "also read `ADDR:SIZE` into every capture (repeatable; hex or decimal, size may end in K or M: --mem 0x10000000:64K)")
}

// parseMemFlags parses --mem values; a malformed one is a usage error that
// says the expected form.
func parseMemFlags(vals []string) ([]probe.MemRange, error) {
	var out []probe.MemRange
	for _, v := range vals {
		r, err := probe.ParseMemRange(v)
		if err != nil {
			return nil, withExit(exitUsage, fmt.Errorf("--mem %w", err))
		}
		out = append(out, r)
	}
	return out, nil
}

// errNoCrash marks a --timeout expiry with nothing caught (exit 3).
var errNoCrash = errors.New("no crash within the timeout")

// sessionOptions turns the command line into a live session's options; the
// image may be nil. It is shared by capture, demo and soak.
func sessionOptions(f captureFlags, img *elfsym.Image, stderr io.Writer) (probe.SessionOptions, func(), error) {
	cleanup := func() {}
	board, err := probe.LookupBoard(f.board)
	if err != nil {
		return probe.SessionOptions{}, cleanup, withExit(exitUsage, err)
	}
	opts := probe.SessionOptions{Resume: f.resume || !f.once, SerialCrashes: f.serial != ""}
	if f.serial != "" {
		spec, err := probe.ParseSerialSpec(f.serial)
		if err != nil {
			return opts, cleanup, withExit(exitUsage, fmt.Errorf("--serial: %w", err))
		}
		opts.Serial = &spec
		opts.Console.LogPath = f.logFile
	}
	dets := probe.NewDetectorSet(symbolizerFor(img))
	for _, m := range f.match {
		name, expr, err := probe.ParseMatch(m)
		if err == nil {
			err = dets.AddUser(name, expr)
		}
		if err != nil {
			return opts, cleanup, withExit(exitUsage, fmt.Errorf("--match %q: %w", m, err))
		}
	}
	opts.Detectors = dets
	mem, err := parseMemFlags(f.mem)
	if err != nil {
		return opts, cleanup, err
	}
	if f.gdb != "" {
		var trace io.Writer
		if f.traceRSP != "" {
			tf, err := os.Create(f.traceRSP)
			if err != nil {
				return opts, cleanup, fmt.Errorf("open RSP trace: %w", err)
			}
			cleanup = func() { tf.Close() }
			trace = tf
		}
		opts.Target = &probe.TargetOptions{
			Addr: f.gdb, Board: board, Extra: mem, Image: img, Timeout: f.rspTimeout, Trace: trace,
			OnConsole: func(text string) { fmt.Fprintf(stderr, "gdb-server: %s", ensureNewline(text)) },
		}
		if f.led && board.LED != nil {
			opts.LED = board.LED
		}
	}
	return opts, cleanup, nil
}

func runCapture(ctx context.Context, f captureFlags, stdout, stderr io.Writer) error {
	img, err := openELF(f.elf, f.noCache, stderr)
	if err != nil {
		return err
	}
	if img != nil {
		defer img.Close()
	}
	opts, cleanup, err := sessionOptions(f, img, stderr)
	defer cleanup()
	if err != nil {
		return err
	}
	waitCtx := ctx
	if f.timeout > 0 {
		var cancel context.CancelFunc
		waitCtx, cancel = context.WithTimeout(ctx, f.timeout)
		defer cancel()
	}
	connectCtx, cancel := context.WithTimeout(ctx, 15*time.Second)
	sess, err := probe.StartSession(connectCtx, opts)
	cancel()
	if err != nil {
		return err
	}
	defer sess.Close()
	if st := sess.Status().Target; st == probe.StatusRunning || st == probe.StatusSerialOnly {
		fmt.Fprintf(stderr, "faultline: watching %s; waiting for a crash\n", describeSession(sess))
	}
	caught := 0
	var first *firstLook // a first report shown, its capture still reading
	var lastCaught time.Time
	done := waitCtx.Done()
	for {
		select {
		case <-done:
			if first != nil && ctx.Err() == nil {
				// --timeout bounds the wait for a crash, not the capture
				// of one already caught.
				done = ctx.Done()
				continue
			}
			if first != nil {
				return first.interrupted(sess, f, img, stdout, stderr)
			}
			stopTarget(sess)
			if caught > 0 || (ctx.Err() != nil && !f.once) {
				return nil // a clean stop
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return withExit(exitTimeout, errNoCrash)
		case c := <-sess.FirstLooks():
			if c.Snapshot.Meta.CapturedAt.Equal(lastCaught) {
				continue // the whole crash came first: this look is stale
			}
			var err error
			if first, err = showFirstLook(c, f, img, stdout, stderr); err != nil {
				return err
			}
		case c := <-sess.Crashes():
			caught++
			lastCaught = c.Snapshot.Meta.CapturedAt
			path, werr := saveCapture(f.dir, c.Snapshot)
			if werr != nil {
				return fmt.Errorf("save capture: %w", werr)
			}
			fmt.Fprintf(stderr, "faultline: capture saved to %s\n", path)
			rep := explain(c.Snapshot, img, stderr)
			if err := first.printWhole(stdout, stderr, rep, f.json); err != nil {
				return err
			}
			first = nil
			if c.Err != nil {
				return fmt.Errorf("capture incomplete (saved what was read to %s): %w", path, c.Err)
			}
			if f.once {
				return nil
			}
			if st := sess.Status(); st.Target == probe.StatusDisconnected {
				return fmt.Errorf("target connection lost: %v", st.Err)
			}
		}
	}
}

// stopTarget halts a target left running by a capture that ends without a
// crash and removes fault catching, so the GDB server is left sane.
func stopTarget(sess *probe.Session) {
	if sess.Target() == nil || sess.Status().Target != probe.StatusRunning {
		return
	}
	hctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := sess.Halt(hctx); err == nil {
		_ = sess.DisarmFaultCatch(hctx)
	}
}

func describeSession(sess *probe.Session) string {
	st := sess.Status()
	var parts []string
	if st.GDB != "" {
		parts = append(parts, st.GDB)
	}
	if st.Serial != "" {
		parts = append(parts, "serial "+st.Serial)
	}
	return strings.Join(parts, " and ")
}

// openELF opens the firmware ELF when one is named and prints what it lacks.
func openELF(path string, noCache bool, stderr io.Writer) (*elfsym.Image, error) {
	if path == "" {
		return nil, nil
	}
	img, err := openImage(path, noCache)
	if err != nil {
		return nil, fmt.Errorf("open ELF: %w", err)
	}
	for _, w := range img.Warnings() {
		fmt.Fprintf(stderr, "faultline: warning: %s\n", w)
	}
	return img, nil
}

// saveCapture writes snap under dir with a name that sorts by time.
func saveCapture(dir string, snap *capture.Snapshot) (string, error) {
	name := fmt.Sprintf("crash-%s.core", snap.Meta.CapturedAt.Format("20060102-150405.000"))
	path := filepath.Join(dir, name)
	if err := capture.Write(path, snap); err != nil {
		return "", err
	}
	return path, nil
}

func printReport(w io.Writer, rep *report.Report, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	return rep.WriteText(w, readSource)
}

// readSource gives the report renderer source lines; the file may be
// missing on this machine, which the renderer handles.
func readSource(file string) ([]byte, error) { return os.ReadFile(file) }

func ensureNewline(s string) string {
	if len(s) == 0 || s[len(s)-1] != '\n' {
		return s + "\n"
	}
	return s
}

// symbolizerFor annotates code addresses in console lines, in process, the
// same way `symbolize` annotates a log on stdin.
func symbolizerFor(img *elfsym.Image) probe.Symbolizer {
	if img == nil {
		return nil
	}
	return lineAnnotator{&symbolizer{im: img, cwd: cwd()}}
}

type lineAnnotator struct{ s *symbolizer }

func (a lineAnnotator) Annotate(line string) string { return a.s.annotateLine(line) }

// explain analyses a crash and says loudly on stderr when the ELF does not
// match the target, since every symbol in the report would then lie.
func explain(snap *capture.Snapshot, img *elfsym.Image, stderr io.Writer) *report.Report {
	rep := faultdecode.Analyze(snap, img)
	if m := rep.ELF.MatchesTarget; m != nil && !*m {
		fmt.Fprintf(stderr, "faultline: WARNING: %s does not match what the target runs (flash differs); every symbol in this report may be wrong: pass the ELF that was flashed\n", rep.ELF.Path)
	}
	return rep
}
