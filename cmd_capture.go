package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/faultline-dev/faultline/capture"
	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/faultdecode"
	"github.com/faultline-dev/faultline/gdbremote"
	"github.com/faultline-dev/faultline/probe"
)

func init() { commands = append(commands, newCaptureCmd) }

// captureFlags are capture's options; shared with demo and soak.
type captureFlags struct {
	elf, gdb, board, dir string
	once, json, resume   bool
	timeout, rspTimeout  time.Duration
	traceRSP             string
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

On a crash it reads the registers, the fault registers, RAM and samples of
flash, writes an ELF core file to --dir (its path goes to stderr) and prints the
report: the fault and its cause, the culprit line, the frames.

Exit codes: 0 crash captured (or, without --once, a clean stop), 1 error,
2 usage, 3 timeout with no crash.`,
		Example: `  # catch the next crash of a board behind OpenOCD
  faultline capture --gdb localhost:3333 --elf app.elf --once

  # QEMU started with -S -gdb tcp::1234; JSON report for a script
  faultline capture --gdb 127.0.0.1:1234 --elf app.elf --board netduino2 --once --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := applyConfig(cmd); err != nil {
				return err
			}
			if f.gdb == "" {
				return usageError("capture needs --gdb HOST:PORT (the GDB server to attach to)")
			}
			return runCapture(cmd.Context(), f, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.gdb, "gdb", "", "GDB remote server `HOST:PORT` (OpenOCD :3333, QEMU -gdb)")
	fl.StringVar(&f.elf, "elf", "", "firmware ELF `FILE` with debug info (symbols, lines, CFI)")
	fl.StringVar(&f.board, "board", "generic", "board profile: "+joinNames(probe.BoardNames()))
	fl.StringVar(&f.dir, "dir", "crashes", "directory for capture files")
	fl.BoolVar(&f.once, "once", false, "stop after the first crash")
	fl.BoolVar(&f.json, "json", false, "print each report as one JSON document (faultline.report/v1)")
	fl.BoolVar(&f.resume, "resume", false, "after capturing, let the firmware's own fault handler run (SOS, reset)")
	fl.DurationVar(&f.timeout, "timeout", 0, "give up waiting after `DUR` (exit 3); 0 waits until Ctrl-C")
	fl.DurationVar(&f.rspTimeout, "rsp-timeout", 5*time.Second, "timeout for each exchange with the GDB server")
	fl.StringVar(&f.traceRSP, "trace-rsp", "", "write the RSP wire trace to `FILE`")
	return cmd
}

func joinNames(names []string) string {
	s := ""
	for i, n := range names {
		if i > 0 {
			s += "|"
		}
		s += n
	}
	return s
}

// errNoCrash marks a --timeout expiry with nothing caught (exit 3).
var errNoCrash = errors.New("no crash within the timeout")

func runCapture(ctx context.Context, f captureFlags, stdout, stderr io.Writer) error {
	board, err := probe.LookupBoard(f.board)
	if err != nil {
		return withExit(exitUsage, err)
	}
	var img *elfsym.Image
	if f.elf != "" {
		img, err = elfsym.Open(f.elf)
		if err != nil {
			return fmt.Errorf("open ELF: %w", err)
		}
		defer img.Close()
		for _, w := range img.Warnings() {
			fmt.Fprintf(stderr, "faultline: warning: %s\n", w)
		}
	}
	var trace io.Writer
	if f.traceRSP != "" {
		tf, err := os.Create(f.traceRSP)
		if err != nil {
			return fmt.Errorf("open RSP trace: %w", err)
		}
		defer tf.Close()
		trace = tf
	}
	waitCtx := ctx
	if f.timeout > 0 {
		var cancel context.CancelFunc
		waitCtx, cancel = context.WithTimeout(ctx, f.timeout)
		defer cancel()
	}
	timeline := probe.NewTimeline(10000)
	connectCtx, cancel := context.WithTimeout(ctx, 15*time.Second)
	tgt, err := probe.ConnectTarget(connectCtx, probe.TargetOptions{
		Addr: f.gdb, Board: board, Image: img, Timeout: f.rspTimeout, Trace: trace, Timeline: timeline,
		OnConsole: func(text string) { fmt.Fprintf(stderr, "gdb-server: %s", ensureNewline(text)) },
	})
	cancel()
	if err != nil {
		return err
	}
	defer tgt.Close()

	for n := 1; ; n++ {
		var c caught
		if n == 1 {
			c, err = catchOne(ctx, waitCtx, tgt, stderr)
		} else {
			c, err = catchNext(ctx, waitCtx, tgt, stderr)
		}
		if err != nil {
			if errors.Is(err, errNoCrash) {
				if n > 1 {
					return nil // a clean stop after at least one crash
				}
				return withExit(exitTimeout, err)
			}
			if ctx.Err() != nil && n > 1 {
				return nil // Ctrl-C after at least one crash: clean stop
			}
			return err
		}
		snap, snapErr := tgt.Snapshot(ctx, c.Trigger, c.Stop.Raw)
		snap.Meta.Timeline = timelineToCapture(timeline.Events())
		path, werr := saveCapture(f.dir, snap)
		if werr != nil {
			return fmt.Errorf("save capture: %w", werr)
		}
		fmt.Fprintf(stderr, "faultline: capture saved to %s\n", path)
		rep := faultdecode.Analyze(snap, img)
		if err := printReport(stdout, rep, f.json); err != nil {
			return err
		}
		if snapErr != nil {
			return fmt.Errorf("capture incomplete (saved what was read to %s): %w", path, snapErr)
		}
		if f.once || c.alreadyHalted {
			if c.alreadyHalted && !f.once {
				fmt.Fprintf(stderr, "faultline: the target was already halted in this fault; reset it and run capture again for the next one\n")
			}
			if f.resume && !c.alreadyHalted {
				resumeAfterCapture(ctx, tgt, stderr)
			}
			return nil
		}
	}
}

// caught is a crash plus what capture may do after it.
type caught struct {
	probe.Crash
	alreadyHalted bool // found halted in the fault, never resumed
}

// catchOne follows DESIGN.md's contract: a target already in a fault is
// captured as is; otherwise arm fault catching, resume, and wait.
func catchOne(ctx, waitCtx context.Context, tgt *probe.Target, stderr io.Writer) (caught, error) {
	st, err := tgt.Inspect(ctx)
	if err != nil {
		return caught{}, err
	}
	if st.InFault {
		kind := "fault-handler"
		if st.Lockup {
			kind = "lockup"
		}
		fmt.Fprintf(stderr, "faultline: target already halted in a fault: %s\n", st.Reason)
		return caught{Crash: probe.Crash{Stop: st.Stop, Trigger: captureTrigger(kind, st.Reason)}, alreadyHalted: true}, nil
	}
	if err := tgt.ArmFaultCatch(ctx); err != nil {
		return caught{}, err
	}
	if err := tgt.Resume(ctx); err != nil {
		return caught{}, err
	}
	return waitCrash(ctx, waitCtx, tgt, stderr)
}

// catchNext continues after a caught crash: the fault catch stays armed, the
// core steps off the handler's first instruction (where the breakpoint sits)
// and runs, so the firmware's handler runs and the next crash is caught.
func catchNext(ctx, waitCtx context.Context, tgt *probe.Target, stderr io.Writer) (caught, error) {
	if err := tgt.StepOver(ctx); err != nil {
		return caught{}, err
	}
	if err := tgt.Resume(ctx); err != nil {
		return caught{}, err
	}
	return waitCrash(ctx, waitCtx, tgt, stderr)
}

func waitCrash(ctx, waitCtx context.Context, tgt *probe.Target, stderr io.Writer) (caught, error) {
	fmt.Fprintf(stderr, "faultline: target running; waiting for a crash\n")
	crash, err := tgt.WaitCrash(waitCtx)
	if err != nil {
		if waitExpired(waitCtx, err) && ctx.Err() == nil {
			// Timeout: stop the target politely so the GDB server is left
			// in a sane state.
			hctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			_, _ = tgt.Halt(hctx)
			_ = tgt.DisarmFaultCatch(hctx)
			return caught{}, errNoCrash
		}
		if ctx.Err() != nil {
			hctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_, _ = tgt.Halt(hctx)
			_ = tgt.DisarmFaultCatch(hctx)
			return caught{}, ctx.Err()
		}
		return caught{}, err
	}
	return caught{Crash: crash}, nil
}

// waitExpired reports whether a wait ended because its deadline passed. The
// RSP read deadline can fire a moment before the context says so.
func waitExpired(waitCtx context.Context, err error) bool {
	if waitCtx.Err() != nil {
		return true
	}
	dl, ok := waitCtx.Deadline()
	return ok && errors.Is(err, gdbremote.ErrTimeout) && time.Until(dl) < time.Second
}

func resumeAfterCapture(ctx context.Context, tgt *probe.Target, stderr io.Writer) {
	if err := tgt.DisarmFaultCatch(ctx); err != nil {
		fmt.Fprintf(stderr, "faultline: warning: %v\n", err)
	}
	if err := tgt.Resume(ctx); err != nil {
		fmt.Fprintf(stderr, "faultline: warning: %v\n", err)
	}
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

func printReport(w io.Writer, rep *faultdecode.Report, asJSON bool) error {
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

func captureTrigger(kind, detail string) capture.Trigger {
	return capture.Trigger{Kind: kind, Detail: detail}
}

func timelineToCapture(evs []probe.Event) []capture.Event {
	out := make([]capture.Event, 0, len(evs))
	for _, e := range evs {
		out = append(out, capture.Event{Time: e.Time, Kind: string(e.Kind), Detail: e.Text})
	}
	return out
}
