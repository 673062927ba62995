package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/faultline-dev/faultline/capture"
	"github.com/faultline-dev/faultline/capture/dumpfile"
	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/faultdecode"
	"github.com/faultline-dev/faultline/faultdecode/report"
)

func init() { commands = append(commands, newAnalyzeCmd) }

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

Given a directory (the --dir of capture or soak), analyze lists the crash
history instead: the captures grouped by fingerprint (exception, causes and
the top frames' functions, so runs of the same bug group together), with
counts, first and last seen, and the firmware builds (build ids).`,
		Example: `  faultline analyze crashes/crash-20261126-101500.123.core --elf build/app.elf
  faultline analyze crash.core --json | jq .fault.summary
  faultline analyze crashes/            # crash history, grouped by fingerprint`,
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
	rep := explain(snap, img, stderr)
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
func openCaptureELF(flag string, noCache bool, snap *capture.Snapshot, stderr io.Writer) (*elfsym.Image, error) {
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
	img, err := openImage(path, noCache)
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

// Crash history: `analyze DIR`, and soak's summary, group captures by
// fingerprint.

// historySchema names the JSON of `analyze DIR --json`.
const historySchema = "faultline.history/v1"

// crashGroup is every capture of one fingerprint.
type crashGroup struct {
	Fingerprint string    `json:"fingerprint"`
	Signature   string    `json:"signature"` // what the fingerprint hashes, readable
	Count       int       `json:"count"`
	FirstSeen   time.Time `json:"first_seen"`
	LastSeen    time.Time `json:"last_seen"`
	Builds      []string  `json:"builds"`  // firmware build ids seen ("" unknown)
	Summary     string    `json:"summary"` // the latest report's fault summary
	Captures    []string  `json:"captures"`
}

// crashHistory collects reports into groups.
type crashHistory struct {
	groups map[string]*crashGroup
}

func (h *crashHistory) add(path string, at time.Time, rep *report.Report) string {
	if h.groups == nil {
		h.groups = map[string]*crashGroup{}
	}
	fp := report.Fingerprint(rep)
	g := h.groups[fp]
	if g == nil {
		g = &crashGroup{Fingerprint: fp, Signature: report.Signature(rep), FirstSeen: at, LastSeen: at}
		h.groups[fp] = g
	}
	g.Count++
	if at.Before(g.FirstSeen) {
		g.FirstSeen = at
	}
	if !at.Before(g.LastSeen) {
		g.LastSeen = at
		g.Summary = rep.Fault.Summary
	}
	if !slices.Contains(g.Builds, rep.ELF.BuildID) {
		g.Builds = append(g.Builds, rep.ELF.BuildID)
	}
	if path != "" {
		g.Captures = append(g.Captures, path)
	}
	return fp
}

// sorted gives the groups, most frequent first, then most recent.
func (h *crashHistory) sorted() []crashGroup {
	var out []crashGroup
	for _, g := range h.groups {
		slices.Sort(g.Builds)
		out = append(out, *g)
	}
	slices.SortFunc(out, func(a, b crashGroup) int {
		if a.Count != b.Count {
			return b.Count - a.Count
		}
		return b.LastSeen.Compare(a.LastSeen)
	})
	return out
}

// historyReport is `analyze DIR --json`.
type historyReport struct {
	Schema     string           `json:"schema"`
	Dir        string           `json:"dir"`
	Captures   int              `json:"captures"`
	Groups     []crashGroup     `json:"groups"`
	Unreadable []unreadableFile `json:"unreadable,omitempty"`
}

type unreadableFile struct {
	Path  string `json:"path"`
	Error string `json:"error"`
}

func runHistory(dir string, f analyzeFlags, stdout, stderr io.Writer) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("read capture directory: %w", err)
	}
	hr := historyReport{Schema: historySchema, Dir: dir, Groups: []crashGroup{}}
	var h crashHistory
	images := map[string]*elfsym.Image{}
	defer func() {
		for _, im := range images {
			if im != nil {
				im.Close()
			}
		}
	}()
	for _, e := range ents {
		// Write's temporary files start with a dot; they are not captures.
		if e.IsDir() || strings.HasPrefix(e.Name(), ".") || !strings.HasSuffix(e.Name(), ".core") {
			continue
		}
		path := filepath.Join(dir, e.Name())
		snap, err := capture.Read(path)
		if snap == nil {
			hr.Unreadable = append(hr.Unreadable, unreadableFile{Path: path, Error: err.Error()})
			fmt.Fprintf(stderr, "faultline: warning: skipping %s: %v\n", path, err)
			continue
		}
		if err != nil {
			fmt.Fprintf(stderr, "faultline: warning: %s: %v (analysing what is there)\n", path, err)
		}
		elfPath := f.elf
		if elfPath == "" {
			elfPath = snap.Meta.ELF.Path
		}
		img, seen := images[elfPath]
		if !seen {
			// Opened once per ELF, so its warnings are said once.
			img, err = openCaptureELF(elfPath, f.noCache, snap, stderr)
			if err != nil {
				fmt.Fprintf(stderr, "faultline: warning: %v (frames of captures against it have no names)\n", err)
			}
			images[elfPath] = img
		}
		if img != nil && snap.Meta.ELF.SHA256 != "" && snap.Meta.ELF.SHA256 != img.SHA256() {
			img = nil // another build: names from this ELF would lie
			fmt.Fprintf(stderr, "faultline: warning: %s was taken against another build than %s; analysed without symbols (use --elf)\n", path, elfPath)
		}
		rep := faultdecode.Analyze(snap, img)
		hr.Captures++
		h.add(path, snap.Meta.CapturedAt, rep)
	}
	hr.Groups = append(hr.Groups, h.sorted()...)
	if f.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false) // signatures have "<"
		return enc.Encode(hr)
	}
	return writeHistory(stdout, hr)
}

func writeHistory(w io.Writer, hr historyReport) error {
	if hr.Captures == 0 {
		_, err := fmt.Fprintf(w, "no capture files in %s\n", hr.Dir)
		return err
	}
	fmt.Fprintf(w, "%s in %s, %s\n\n", plural(hr.Captures, "capture"), hr.Dir, plural(len(hr.Groups), "distinct crash"))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FINGERPRINT\tCOUNT\tFIRST SEEN\tLAST SEEN\tBUILD\tCRASH")
	for _, g := range hr.Groups {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\n", g.Fingerprint, g.Count, fmtSeen(g.FirstSeen), fmtSeen(g.LastSeen), fmtBuilds(g.Builds), g.Signature)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, g := range hr.Groups {
		fmt.Fprintf(w, "\n%s: %s\n  latest: %s\n", g.Fingerprint, g.Summary, g.Captures[len(g.Captures)-1])
	}
	return nil
}

func fmtSeen(t time.Time) string {
	if t.IsZero() {
		return "unknown"
	}
	return t.Local().Format("2006-01-02 15:04:05")
}

// fmtBuilds shortens build ids to 12 digits, like git's abbreviations.
func fmtBuilds(ids []string) string {
	var out []string
	for _, id := range ids {
		if id == "" {
			id = "unknown"
		} else if len(id) > 12 {
			id = id[:12]
		}
		out = append(out, id)
	}
	return strings.Join(out, ",")
}

// printVariables shows globals (or a member, element or pointee of one:
// "servers->server->clients[1]") as gdb's print would, read from the
// capture's memory and typed from the ELF's DWARF.
func printVariables(w io.Writer, snap *capture.Snapshot, img *elfsym.Image, exprs []string) error {
	if img == nil {
		return fmt.Errorf("--print needs the firmware ELF (use --elf)")
	}
	for _, expr := range exprs {
		addr, t, err := img.Eval(snap, expr)
		if err != nil {
			return usageError("--print: %v", err)
		}
		val := img.FormatValue(snap, addr, t, elfsym.FormatOptions{Name: func(a uint64) string {
			p, _, _ := img.DataAt(a)
			return p
		}})
		fmt.Fprintf(w, "%s = (%s) %s\n", expr, t, val)
	}
	return nil
}

// plural is "1 capture", "2 captures".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	if strings.HasSuffix(noun, "sh") || strings.HasSuffix(noun, "s") {
		return fmt.Sprintf("%d %ses", n, noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
