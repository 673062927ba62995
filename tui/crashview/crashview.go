package crashview

import (
	"bytes"
	"fmt"
	"strings"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"github.com/faultline-dev/faultline/faultdecode/report"
	"github.com/faultline-dev/faultline/tui/common"
)

// SourceMsg carries a source file read for the frames list.
type SourceMsg struct {
	Gen   int // crash generation it was asked for
	File  string
	Lines []string
	Err   error
}

// SourceFunc reads a source file named in the report.
type SourceFunc func(file string) ([]byte, error)

// maxSourceBytes bounds what is kept of one source file.
const maxSourceBytes = 4 << 20

type sourceFile struct {
	lines []string
	err   error
}

// Model is the crash view.
type Model struct {
	st            *common.Styles
	width, height int

	report      *report.Report
	capturePath string
	source      SourceFunc
	showPath    func(string) string // nil: paths as recorded
	gen         int

	selected int
	sources  map[string]*sourceFile // nil entry: loading
	regTop   int                    // scroll of the registers page
	taskSel  int                    // selected task on the tasks page
}

// New makes an empty crash view.
func New(st *common.Styles) *Model {
	return &Model{st: st, sources: map[string]*sourceFile{}}
}

// SetSize sets the drawing area.
func (m *Model) SetSize(width, height int) { m.width, m.height = width, height }

// HasCrash reports whether a report is shown.
func (m *Model) HasCrash() bool { return m.report != nil }

// Report is the report shown, or nil.
func (m *Model) Report() *report.Report { return m.report }

// CapturePath is where the crash was saved, "" while unsaved.
func (m *Model) CapturePath() string { return m.capturePath }

// SetCapturePath records that the crash was saved.
func (m *Model) SetCapturePath(p string) { m.capturePath = p }

// SetShowPath sets how the source pane's title shows a path (relative to
// the working or compile directory); nil shows it as recorded.
func (m *Model) SetShowPath(f func(string) string) { m.showPath = f }

// Selected is the index of the selected frame.
func (m *Model) Selected() int { return m.selected }

// SetCrash shows a report. The same report again (e.g. re-sent with its
// capture path once saved) keeps the selection and loaded sources. The
// returned command loads the selected frame's source.
func (m *Model) SetCrash(r *report.Report, capturePath string, src SourceFunc) tea.Cmd {
	if r == m.report {
		// Never forget a save the user made in the meantime.
		if capturePath != "" {
			m.capturePath = capturePath
		}
		if src != nil {
			m.source = src
		}
		return m.loadSelected()
	}
	m.capturePath = capturePath
	m.gen++
	m.report, m.source = r, src
	m.sources = map[string]*sourceFile{}
	m.regTop = 0
	m.selected = 0
	m.taskSel = firstTask(r)
	if r != nil {
		// Start on the innermost frame that has a source line: that is the
		// culprit a person wants to see first.
		for i, f := range r.Frames {
			if f.File != "" && f.Line > 0 {
				m.selected = i
				break
			}
		}
	}
	return m.loadSelected()
}

// UpdateCrash replaces the report shown with a newer one of the same crash
// (read further), keeping the frame selection, the scroll and the sources
// read; with none shown it is SetCrash. A save the user made is kept.
func (m *Model) UpdateCrash(r *report.Report, capturePath string, src SourceFunc) tea.Cmd {
	if m.report == nil || r == nil {
		return m.SetCrash(r, capturePath, src)
	}
	m.report = r
	if capturePath != "" {
		m.capturePath = capturePath
	}
	if src != nil {
		m.source = src
	}
	m.selected = max(0, min(m.selected, len(r.Frames)-1))
	m.taskSel = max(0, min(m.taskSel, len(r.Tasks)-1))
	return m.loadSelected()
}

// Update handles SourceMsg.
func (m *Model) Update(msg tea.Msg) tea.Cmd {
	if sm, ok := msg.(SourceMsg); ok && sm.Gen == m.gen {
		m.sources[sm.File] = &sourceFile{lines: sm.Lines, err: sm.Err}
	}
	return nil
}

// SelectUp and SelectDown move the frame selection; the command loads the
// newly selected frame's source when needed.
func (m *Model) SelectUp() tea.Cmd {
	if m.selected > 0 {
		m.selected--
	}
	return m.loadSelected()
}

// SelectDown selects the next outer frame.
func (m *Model) SelectDown() tea.Cmd {
	if m.report != nil && m.selected < len(m.report.Frames)-1 {
		m.selected++
	}
	return m.loadSelected()
}

func (m *Model) loadSelected() tea.Cmd {
	if m.report == nil || m.selected >= len(m.report.Frames) {
		return nil
	}
	file := m.report.Frames[m.selected].File
	if file == "" {
		return nil
	}
	if _, ok := m.sources[file]; ok {
		return nil
	}
	if m.source == nil {
		m.sources[file] = &sourceFile{err: fmt.Errorf("no source reader")}
		return nil
	}
	m.sources[file] = nil // loading
	src, gen := m.source, m.gen
	return func() tea.Msg {
		data, err := src(file)
		if err != nil {
			return SourceMsg{Gen: gen, File: file, Err: fmt.Errorf("read %s: %w", file, err)}
		}
		if len(data) > maxSourceBytes {
			data = data[:maxSourceBytes]
		}
		lines := strings.Split(string(bytes.TrimRight(data, "\n")), "\n")
		for i, l := range lines {
			lines[i] = common.Sanitize(l)
		}
		return SourceMsg{Gen: gen, File: file, Lines: lines}
	}
}

// View renders the crash page.
func (m *Model) View() string {
	if m.width <= 0 || m.height <= 0 {
		return ""
	}
	st := m.st
	r := m.report
	if r == nil {
		return st.Dim.Render("No crash yet. A fault, lockup, panic line or SOS on the LED shows up here.")
	}
	w, h := m.width, m.height

	header := m.headerLine()
	summary := wrap(r.Fault.Summary, w)
	causes := m.causeLines()
	findings := m.findingLines()

	// Fit: frames and source need at least 2 rows each plus their titles;
	// give up findings, then causes, then summary lines to keep them.
	const minRest = 6
	over := func() int { return 1 + len(summary) + len(causes) + len(findings) + minRest - h }
	for over() > 0 && len(findings) > 1 {
		findings = findings[:len(findings)-1]
	}
	for over() > 0 && len(causes) > 0 {
		causes = causes[:len(causes)-1]
	}
	for over() > 0 && len(summary) > 1 {
		summary = summary[:len(summary)-1]
	}
	if n := len(m.findingLines()); len(findings) < n && len(findings) > 0 {
		findings[len(findings)-1] = st.Dim.Render(fmt.Sprintf("  … %d findings in all: press 4", len(r.Findings)))
	}

	out := make([]string, 0, h)
	out = append(out, header)
	out = append(out, summary...)
	out = append(out, causes...)
	out = append(out, findings...)

	rest := h - len(out)
	frameRows := min(len(r.Frames), max(2, (rest-2)/2))
	if len(r.Frames) == 0 {
		frameRows = 1
	}
	srcRows := rest - 2 - frameRows
	out = append(out, rule(st, "frames (↑/↓ select)", w))
	out = append(out, m.frameLines(frameRows)...)
	out = append(out, m.sourceLines(srcRows+1)...)
	return common.Fit(strings.Join(out, "\n"), w, h)
}

func (m *Model) headerLine() string {
	st, r := m.st, m.report
	exc := r.Fault.Exception
	if exc == "" {
		exc = "crash"
	}
	s := st.Exception.Render(exc)
	if r.Fault.Forced {
		s += st.Dim.Render(" (forced)")
	}
	if len(r.Fault.Causes) > 0 {
		s += " " + st.Cause.Render(strings.Join(r.Fault.Causes, " "))
	}
	if r.Fault.FaultAddress != "" {
		s += st.Label.Render(" at ") + r.Fault.FaultAddress
	}
	if r.Trigger.Kind != "" {
		s += st.Label.Render(" · via ") + r.Trigger.Kind
	}
	var right string
	if m.capturePath != "" {
		right = st.Label.Render("saved ") + m.capturePath
	} else {
		right = st.UnsavedBadge.Render("UNSAVED (s saves)")
	}
	return common.JoinLR(s, right, m.width)
}

func (m *Model) causeLines() []string {
	st, f := m.st, m.report.Fault
	var out []string
	for i, c := range f.Causes {
		if i >= len(f.Explanations) || f.Explanations[i] == "" {
			continue
		}
		out = append(out, common.Truncate("  "+st.Cause.Render(c)+": "+explanation(c, f.Explanations[i]), m.width))
	}
	return out
}

func (m *Model) findingLines() []string {
	st := m.st
	var out []string
	for _, f := range m.report.Findings {
		s := "  " + st.Finding.Render("! "+f.Kind) + ": " + f.Summary
		if where := findingWhere(f); where != "" {
			s += st.Dim.Render(" [" + where + "]")
		}
		out = append(out, common.Truncate(s, m.width))
	}
	return out
}

func findingWhere(f report.Finding) string {
	switch {
	case f.Symbol != "" && f.Address != "":
		return f.Symbol + " @ " + f.Address
	case f.Symbol != "":
		return f.Symbol
	default:
		return f.Address
	}
}

func (m *Model) frameLines(rows int) []string {
	st, r := m.st, m.report
	if len(r.Frames) == 0 {
		return []string{st.Dim.Render("  no frames (see notes on page 4)")}
	}
	top := max(0, m.selected-rows+1)
	var out []string
	for i := top; i < len(r.Frames) && len(out) < rows; i++ {
		f := r.Frames[i]
		fn := f.Function
		if fn == "" {
			fn = "??"
		}
		if f.Inlined {
			fn += " [inlined]"
		}
		loc := ""
		if f.File != "" {
			loc = fmt.Sprintf("%s:%d", shortFile(f.File), f.Line)
		}
		how := f.How
		if f.Confidence != "" && f.Confidence != "certain" {
			how += " " + f.Confidence
		}
		if f.Elided > 0 {
			// A recursion's middle was left out just before this frame.
			how = fmt.Sprintf("after %d calls left out, %s", f.Elided, how)
		}
		left := fmt.Sprintf("#%-2d %s %s", i, f.PC, fn)
		if loc != "" {
			left += "  " + loc
		}
		line := common.JoinLR(left, how, m.width-2)
		if i == m.selected {
			out = append(out, st.Selected.Render("> "+line))
		} else {
			out = append(out, "  "+line)
		}
	}
	return out
}

// sourceLines renders the title rule and rows-1 lines around the selected
// frame's line, the culprit marked with '>'.
func (m *Model) sourceLines(rows int) []string {
	st := m.st
	if rows <= 0 || len(m.report.Frames) == 0 {
		return nil
	}
	f := m.report.Frames[m.selected]
	if f.File == "" {
		return []string{rule(st, "source", m.width), st.Dim.Render(fmt.Sprintf("  no source line for %s", f.PC))}
	}
	file := f.File
	if m.showPath != nil {
		file = m.showPath(file)
	}
	title := fmt.Sprintf("%s:%d", file, f.Line)
	out := []string{rule(st, title, m.width)}
	sf, ok := m.sources[f.File]
	switch {
	case !ok || sf == nil:
		return append(out, st.Dim.Render("  loading…"))
	case sf.err != nil:
		return append(out, st.ErrorText.Render("  source unavailable: "+sf.err.Error()))
	}
	n := rows - 1
	first := max(1, f.Line-n/2)
	last := min(len(sf.lines), first+n-1)
	first = max(1, min(first, last-n+1))
	numW := len(fmt.Sprint(last))
	for ln := first; ln <= last; ln++ {
		num := fmt.Sprintf("%*d", numW, ln)
		text := sf.lines[ln-1]
		if ln == f.Line {
			out = append(out, common.Truncate(st.CulpritLine.Render("> "+num+" │ "+text), m.width))
		} else {
			out = append(out, common.Truncate("  "+st.LineNumber.Render(num+" │ ")+text, m.width))
		}
	}
	return out
}

// shortFile keeps the last two path elements: enough to recognise a file
// in the frames list; the source title shows the whole path.
func shortFile(p string) string {
	i := strings.LastIndexByte(p, '/')
	if i <= 0 {
		return p
	}
	j := strings.LastIndexByte(p[:i], '/')
	return p[j+1:]
}

func rule(st *common.Styles, title string, width int) string {
	s := "── " + title + " "
	if w := ansi.StringWidth(s); w < width {
		s += strings.Repeat("─", width-w)
	}
	return st.Dim.Render(common.Truncate(s, width))
}

func wrap(s string, width int) []string {
	if s == "" || width <= 0 {
		return nil
	}
	return strings.Split(ansi.Wrap(s, width, ""), "\n")
}

// explanation drops the cause name when faultdecode's sentence already
// starts with it, so the screen does not say "FORCED: FORCED: ...".
func explanation(cause, text string) string {
	return strings.TrimPrefix(text, cause+": ")
}
