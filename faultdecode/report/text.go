package report

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/faultline-dev/faultline/srcpath"
)

// SourceFunc returns the contents of a source file named as in DWARF.
type SourceFunc func(file string) ([]byte, error)

// Sources is what the renderers know of the machine they print on. The
// zero value shows no source excerpt and every path as recorded.
type Sources struct {
	// Read returns a source file's contents; nil: no excerpt.
	Read SourceFunc
	// Dirs are the directories a source path is shown relative to, the
	// first one it is under (srcpath.Rel): the working directory, then
	// the ELF's compile directories (srcpath.Dirs). The JSON report keeps
	// paths as recorded; only the text and Markdown show them shortened.
	Dirs []string
}

// path shows file as the renderers print it.
func (s Sources) path(file string) string { return srcpath.Rel(file, s.Dirs...) }

// errWriter keeps the first write error so the renderers check once.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}

// culprit is the first frame with a source line: the line to show.
func (r *Report) culprit() (Frame, bool) {
	for _, f := range r.Frames {
		if f.File != "" && f.Line > 0 {
			return f, true
		}
	}
	return Frame{}, false
}

// sourceLines returns lines line-before..line+after of file, numbered.
func sourceLines(read SourceFunc, file string, line, around int) ([]string, error) {
	if read == nil {
		return nil, nil
	}
	data, err := read(file)
	if err != nil {
		return nil, err
	}
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		if n < line-around {
			continue
		}
		if n > line+around {
			break
		}
		mark := "  "
		if n == line {
			mark = "> "
		}
		out = append(out, fmt.Sprintf("%s%5d | %s", mark, n, strings.TrimRight(sc.Text(), "\r")))
	}
	return out, sc.Err()
}

// frameLabel is the function or a placeholder.
func frameLabel(f Frame) string {
	if f.Function == "" {
		return "??"
	}
	return f.Function
}

// WriteText renders the report for a person: the answer first (exception,
// cause, culprit line with source), then frames, findings, notes and the
// raw registers.
func (r *Report) WriteText(w io.Writer, src Sources) error {
	e := &errWriter{w: w}
	e.printf("%s\n\n", r.Fault.Summary)
	ex := r.Fault.Exception
	if r.Fault.Forced {
		ex += " (forced)"
	}
	e.printf("Exception: %s", ex)
	if len(r.Fault.Causes) > 0 {
		e.printf("    Causes: %s", strings.Join(r.Fault.Causes, " "))
	}
	if r.Fault.FaultAddress != "" {
		e.printf("    Fault address: %s", r.Fault.FaultAddress)
	}
	e.printf("\n")
	for _, x := range r.Fault.Explanations {
		e.printf("  %s\n", x)
	}
	if r.Trigger.Kind != "" {
		e.printf("Trigger: %s", r.Trigger.Kind)
		if r.Trigger.Detail != "" {
			e.printf(" (%s)", r.Trigger.Detail)
		}
		if r.Target != "" && r.Target != "serial-only" {
			e.printf(", through %s", r.Target)
		}
		e.printf("\n")
	}
	if c, ok := r.culprit(); ok {
		e.printf("\nAt %s:%d in %s\n", src.path(c.File), c.Line, frameLabel(c))
		lines, err := sourceLines(src.Read, c.File, c.Line, 3)
		if err != nil {
			e.printf("  (source not available: %v)\n", err)
		}
		for _, l := range lines {
			e.printf("%s\n", l)
		}
	}
	e.printf("\nFrames:\n")
	if len(r.Frames) == 0 {
		e.printf("  (none)\n")
	}
	for i, f := range r.Frames {
		loc := ""
		if f.File != "" {
			loc = fmt.Sprintf("  %s:%d", src.path(f.File), f.Line)
		}
		inl := ""
		if f.Inlined {
			inl = " (inlined)"
		}
		if f.Elided > 0 {
			e.printf("      ... %d calls of the recursion left out ...\n", f.Elided)
		}
		e.printf("  #%-2d %s  %s%s%s  [%s, %s]\n", i, f.PC, frameLabel(f), inl, loc, f.How, f.Confidence)
		if f.Error != "" {
			e.printf("      unwinding stopped: %s\n", f.Error)
		}
	}
	if len(r.Findings) > 0 {
		e.printf("\nFindings:\n")
		for _, f := range r.Findings {
			e.printf("  - %s: %s", f.Kind, f.Summary)
			if f.Symbol != "" {
				e.printf(" [%s]", f.Symbol)
			}
			e.printf("\n")
		}
	}
	if len(r.Tasks) > 0 {
		e.printf("\nTasks (* running):\n")
		for _, t := range r.Tasks {
			mark := " "
			if t.Current {
				mark = "*"
			}
			e.printf("  %s %-12s %-9s prio %-2d %s\n", mark, t.Name, t.State, t.Priority, t.Stack.Describe())
			if len(t.Frames) > 0 {
				e.printf("      %s\n", t.Chain())
			}
			for _, p := range t.Problems {
				e.printf("      problem: %s\n", p)
			}
		}
	}
	if len(r.Notes) > 0 {
		e.printf("\nNotes:\n")
		for _, n := range r.Notes {
			e.printf("  - %s\n", n)
		}
	}
	e.printf("\nELF: %s", orDash(r.ELF.Path))
	if r.ELF.BuildID != "" {
		e.printf(" (build id %s)", r.ELF.BuildID)
	}
	if r.ELF.MatchesTarget != nil {
		e.printf(" matches target: %v", *r.ELF.MatchesTarget)
	}
	e.printf("\n")
	e.printf("\nRegisters:\n")
	writeRegs(e, r.Registers, []string{"r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "r10", "r11", "r12", "sp", "lr", "pc", "xpsr", "msp", "psp", "msplim", "psplim"})
	e.printf("\nFault registers:\n")
	writeRegs(e, r.Fault.Registers, []string{"cfsr", "hfsr", "mmfar", "bfar", "dfsr", "shcsr", "icsr", "ccr", "vtor", "dhcsr", "sfsr", "sfar"})
	return e.err
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func writeRegs(e *errWriter, m map[string]string, order []string) {
	col := 0
	for _, n := range order {
		v, ok := m[n]
		if !ok {
			continue
		}
		e.printf("  %-5s %s", n, v)
		col++
		if col == 4 {
			e.printf("\n")
			col = 0
		}
	}
	if col != 0 {
		e.printf("\n")
	}
	if len(m) == 0 {
		e.printf("  (none)\n")
	}
}

// WriteMarkdown renders the report as Markdown for an issue or a PR.
func (r *Report) WriteMarkdown(w io.Writer, src Sources) error {
	e := &errWriter{w: w}
	e.printf("## %s\n\n", mdEscape(r.Fault.Summary))
	e.printf("- **Exception:** %s", r.Fault.Exception)
	if r.Fault.Forced {
		e.printf(" (forced)")
	}
	e.printf("\n")
	if len(r.Fault.Causes) > 0 {
		e.printf("- **Causes:** `%s`\n", strings.Join(r.Fault.Causes, "`, `"))
	}
	if r.Fault.FaultAddress != "" {
		e.printf("- **Fault address:** `%s`\n", r.Fault.FaultAddress)
	}
	if c, ok := r.culprit(); ok {
		lines, _ := sourceLines(src.Read, c.File, c.Line, 3)
		if len(lines) > 0 {
			e.printf("\n`%s:%d`\n\n```\n%s\n```\n", src.path(c.File), c.Line, strings.Join(lines, "\n"))
		}
	}
	e.printf("\n### Frames\n\n| # | pc | function | location | how | confidence |\n|---|---|---|---|---|---|\n")
	for i, f := range r.Frames {
		loc := ""
		if f.File != "" {
			loc = fmt.Sprintf("%s:%d", src.path(f.File), f.Line)
		}
		name := mdEscape(frameLabel(f))
		if f.Inlined {
			name += " (inlined)"
		}
		if f.Elided > 0 {
			e.printf("| | | *%d calls of the recursion left out* | | | |\n", f.Elided)
		}
		e.printf("| %d | `%s` | %s | %s | %s | %s |\n", i, f.PC, name, mdEscape(loc), f.How, f.Confidence)
	}
	if len(r.Findings) > 0 {
		e.printf("\n### Findings\n\n")
		for _, f := range r.Findings {
			e.printf("- **%s**: %s\n", f.Kind, mdEscape(f.Summary))
		}
	}
	if len(r.Tasks) > 0 {
		e.printf("\n### Tasks\n\n| task | state | priority | stack | frames |\n|---|---|---|---|---|\n")
		for _, t := range r.Tasks {
			name := mdEscape(t.Name)
			if t.Current {
				name = "**" + name + "** (running)"
			}
			e.printf("| %s | %s | %d | %s | %s |\n", name, t.State, t.Priority, mdEscape(t.Stack.Describe()), mdEscape(t.Chain()))
		}
	}
	if len(r.Notes) > 0 {
		e.printf("\n### Notes\n\n")
		for _, n := range r.Notes {
			e.printf("- %s\n", mdEscape(n))
		}
	}
	return e.err
}

func mdEscape(s string) string {
	return strings.NewReplacer("|", `\|`, "*", `\*`, "_", `\_`).Replace(s)
}

// Describe is the stack in a few words: "stack 0x200014a0, 1024 bytes, 420
// never used" and "OVERFLOWED" when it did.
func (s Stack) Describe() string {
	d := "stack " + s.Base
	if s.Size > 0 {
		d += fmt.Sprintf(", %d bytes", s.Size)
	}
	if s.HighWater != nil {
		d += fmt.Sprintf(", %d never used", *s.HighWater)
	}
	if s.Overflowed {
		d += ", OVERFLOWED"
	}
	return d
}

// Chain is the task's frames as one line, innermost first:
// "vTaskDelay <- nic_receive <- net_task".
func (t Task) Chain() string {
	var names []string
	for _, f := range t.Frames {
		names = append(names, frameLabel(f))
	}
	return strings.Join(names, " <- ")
}
