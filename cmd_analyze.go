package main

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/faultline-dev/faultline/capture"
	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/faultdecode"
)

func init() { commands = append(commands, newAnalyzeCmd) }

type analyzeFlags struct {
	elf            string
	json, markdown bool
}

func newAnalyzeCmd() *cobra.Command {
	var f analyzeFlags
	cmd := &cobra.Command{
		Use:   "analyze CAPTURE [--elf FILE] [--json|--markdown]",
		Short: "Explain a capture file post-mortem (same report as live capture)",
		Long: `analyze reads a capture file written by 'faultline capture' (an ELF core file)
and explains it against the firmware ELF: the fault and its cause, the culprit
line, the frames, the findings. The ELF defaults to the path recorded in the
capture; its SHA-256 is checked against the one recorded at capture time.

A truncated capture is analysed as far as it goes; what is missing is said.`,
		Example: `  faultline analyze crashes/crash-20261126-101500.123.core --elf build/app.elf
  faultline analyze crash.core --json | jq .fault.summary`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := applyConfig(cmd); err != nil {
				return err
			}
			if f.json && f.markdown {
				return usageError("--json and --markdown are exclusive")
			}
			return runAnalyze(args[0], f, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	cmd.Flags().StringVar(&f.elf, "elf", "", "firmware ELF `FILE` (default: the path recorded in the capture)")
	cmd.Flags().BoolVar(&f.json, "json", false, "print the report as JSON (faultline.report/v1)")
	cmd.Flags().BoolVar(&f.markdown, "markdown", false, "print the report as Markdown (for an issue tracker)")
	return cmd
}

func runAnalyze(path string, f analyzeFlags, stdout, stderr io.Writer) error {
	snap, err := capture.Read(path)
	if err != nil {
		if snap == nil {
			return fmt.Errorf("read capture: %w", err)
		}
		fmt.Fprintf(stderr, "faultline: warning: %v (analysing what is there)\n", err)
	}
	img, err := openCaptureELF(f.elf, snap, stderr)
	if err != nil {
		return err
	}
	if img != nil {
		defer img.Close()
	}
	rep := faultdecode.Analyze(snap, img)
	switch {
	case f.json:
		return printReport(stdout, rep, true)
	case f.markdown:
		return rep.WriteMarkdown(stdout, readSource)
	}
	return printReport(stdout, rep, false)
}

// openCaptureELF opens the ELF named by the flag or, failing that, the one
// the capture recorded. A recorded path that is gone is a warning, not an
// error: the report still has registers and fault decoding.
func openCaptureELF(flag string, snap *capture.Snapshot, stderr io.Writer) (*elfsym.Image, error) {
	path := flag
	if path == "" {
		path = snap.Meta.ELF.Path
		if path == "" {
			fmt.Fprintf(stderr, "faultline: warning: no ELF given or recorded; frames will have no names (use --elf)\n")
			return nil, nil
		}
		if _, err := os.Stat(path); err != nil {
			fmt.Fprintf(stderr, "faultline: warning: recorded ELF %s is not readable (%v); use --elf\n", path, err)
			return nil, nil
		}
	}
	img, err := elfsym.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open ELF: %w", err)
	}
	if want := snap.Meta.ELF.SHA256; want != "" && want != img.SHA256() {
		fmt.Fprintf(stderr, "faultline: WARNING: %s is not the ELF recorded at capture time (SHA-256 differs); symbols may lie\n", path)
	}
	for _, w := range img.Warnings() {
		fmt.Fprintf(stderr, "faultline: warning: %s\n", w)
	}
	return img, nil
}
