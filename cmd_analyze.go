package main

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/faultline-dev/faultline/capture"
	"github.com/faultline-dev/faultline/capture/dumpfile"
	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/history"
	"github.com/faultline-dev/faultline/watch"
)

func init() { commands = append(commands, command{name: "analyze", build: newAnalyzeCmd}) }

type analyzeFlags struct {
	elf            string
	json, markdown bool
	noCache        bool
	print          []string // --print: globals to show instead of the report
}

func newAnalyzeCmd() *cobra.Command {
	var f analyzeFlags
	cmd := &cobra.Command{
		Use:   "analyze CAPTURE|DIR [--elf FILE] [--json|--markdown]",
		Short: "Explain a capture file post-mortem (same report as live capture)",
		Long: `analyze reads a capture file written by 'faultline capture' (an ELF core file),
or a dump another tool wrote (gdb gcore, probe-rs .coredump, CrashCatcher),
and explains it against the firmware ELF: the fault and its cause, the culprit
line, the frames, the findings. The ELF defaults to the path recorded in the
capture; its SHA-256 is checked against the one recorded at capture time.

A truncated capture is analysed as far as it goes; what is missing is said.
Source paths are shown relative to the working directory, or to the ELF's
compile directory, when under one; --json keeps them as DWARF records them.

Given a directory (the --dir of capture or soak), analyze lists the crash
history instead: the captures grouped by fingerprint (exception, causes and
the top frames' functions, so runs of the same bug group together), with
counts, first and last seen, and the firmware builds (build ids).`,
		Example: `  faultline analyze crashes/crash-20261126-101500.123.core --elf build/app.elf
  faultline analyze crash.core --json | jq .fault.summary
  faultline analyze crashes/            # crash history, grouped by fingerprint
  faultline analyze crash.core --elf build/app.elf --no-cache   # index the ELF afresh, ignore the saved index`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := applyConfig(cmd); err != nil {
				return err
			}
			if f.json && f.markdown {
				return usageError("--json and --markdown are exclusive")
			}
			if st, err := os.Stat(args[0]); err == nil && st.IsDir() {
				if f.markdown || len(f.print) > 0 {
					return usageError("--markdown and --print are for one capture, not a directory")
				}
				return runHistory(args[0], f, cmd.OutOrStdout(), cmd.ErrOrStderr())
			}
			return runAnalyze(args[0], f, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	cmd.Flags().StringVar(&f.elf, "elf", "", "firmware ELF `FILE` (default: the path recorded in the capture)")
	cmd.Flags().BoolVar(&f.json, "json", false, "print the report as JSON (faultline.report/v1)")
	cmd.Flags().BoolVar(&f.markdown, "markdown", false, "print the report as Markdown (for an issue tracker)")
	cmd.Flags().StringArrayVar(&f.print, "print", nil, "print `EXPR` (a global, its members, elements and pointees: servers->server->clients[1]) from the captured memory, typed from DWARF, instead of the report (repeatable)")
	addNoCacheFlag(cmd.Flags(), &f.noCache)
	return cmd
}

func runAnalyze(path string, f analyzeFlags, stdout, stderr io.Writer) error {
	snap, _, err := dumpfile.Read(path) // any format, told apart by content
	if err != nil {
		if snap == nil {
			return err // names the file and what is wrong with it
		}
		fmt.Fprintf(stderr, "faultline: warning: %v (analysing what is there)\n", err)
	}
	img, err := openCaptureELF(f.elf, f.noCache, snap, stderr)
	if err != nil {
		return err
	}
	if img != nil {
		defer img.Close()
	}
	if len(f.print) > 0 {
		return printVariables(stdout, snap, img, f.print)
	}
	rep := watch.Explain(snap, img, stderr)
	switch {
	case f.json:
		return watch.PrintReport(stdout, rep, img, true)
	case f.markdown:
		return rep.WriteMarkdown(stdout, watch.LocalSources(img))
	}
	return watch.PrintReport(stdout, rep, img, false)
}

// runHistory is `analyze DIR`: the captures grouped by fingerprint.
func runHistory(dir string, f analyzeFlags, stdout, stderr io.Writer) error {
	open := func(elfPath string, snap *capture.Snapshot) (*elfsym.Image, error) {
		return openCaptureELF(elfPath, f.noCache, snap, stderr)
	}
	hr, err := history.Scan(dir, f.elf, open, stderr)
	if err != nil {
		return err
	}
	if f.json {
		return writeJSON(stdout, hr)
	}
	return hr.WriteText(stdout)
}

// printVariables shows globals (or a member, element or pointee of one)
// as gdb's print would, read from the capture's memory and typed from the
// ELF's DWARF.
func printVariables(w io.Writer, snap *capture.Snapshot, img *elfsym.Image, exprs []string) error {
	if img == nil {
		return fmt.Errorf("--print needs the firmware ELF (use --elf)")
	}
	for _, expr := range exprs {
		line, err := img.Print(snap, expr)
		if err != nil {
			return usageError("--print: %v", err)
		}
		fmt.Fprintln(w, line)
	}
	return nil
}
