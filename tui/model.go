package tui

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/faultline-dev/faultline/tui/common"
	"github.com/faultline-dev/faultline/tui/console"
	"github.com/faultline-dev/faultline/tui/crashview"
	"github.com/faultline-dev/faultline/tui/statusbar"
	"github.com/faultline-dev/faultline/tui/timeline"
)

// Messages of the attach screen.
type (
	// opDoneMsg ends a Halt, Continue or Reset.
	opDoneMsg struct {
		op  string
		err error
	}
	// saveDoneMsg ends a SaveCapture; quit says it was asked for by the
	// quit prompt and the program ends when it succeeded.
	saveDoneMsg struct {
		path string
		err  error
		quit bool
	}
	// updatesMsg carries what arrived on the updates channel.
	updatesMsg struct {
		items  []any
		closed bool
	}
)

type pane int

const (
	paneConsole pane = iota
	paneTimeline
	paneCrash
	paneRegisters
	paneTasks // only when the crash's report lists RTOS tasks
	numPanes
)

var paneNames = [numPanes]string{"console", "timeline", "crash", "registers", "tasks"}

// Model is the attach screen. Create it with NewModel (tests) or let Run
// make one.
type Model struct {
	ctx     context.Context // parent of every Backend call
	backend Backend
	updates <-chan any
	opts    Options

	com      common.Common
	help     help.Model
	search   textinput.Model
	status   Status
	console  *console.Model
	timeline *timeline.Model
	crash    *crashview.Model

	pane        pane
	searching   bool
	confirmQuit bool
	showHelp    bool
	ended       bool // the updates channel closed
	msg         string
	msgErr      bool
	pending     map[string]bool // backend operations in flight

	// Memos of the lines that change rarely, so a frame re-renders only the
	// pane; each holds the key it was rendered for.
	statusMemo memo[statusKey]
	tabsMemo   memo[tabsKey]
	helpMemo   memo[helpKey]
}

type memo[K comparable] struct {
	key K
	out string
	ok  bool
}

// get returns the memoized string for key, rendering it when the key changed.
func (c *memo[K]) get(key K, render func() string) string {
	if !c.ok || c.key != key {
		c.key, c.out, c.ok = key, render(), true
	}
	return c.out
}

type statusKey struct {
	s       Status // ELFMatches cleared: the pointer is not the value
	matches int8
	width   int
}

type tabsKey struct {
	pane     pane
	hasCrash bool
	hasTasks bool
	width    int
}

type helpKey struct {
	prompt, search bool
	width          int
}

// NewModel makes the screen without an updates channel; feed it Status,
// ConsoleLine, []ConsoleLine, TimelineItem and Crash values (or pointers to
// them) as messages, e.g. with tea.Program.Send.
func NewModel(b Backend, opts Options) tea.Model {
	return newModel(context.Background(), b, nil, opts)
}

func newModel(ctx context.Context, b Backend, updates <-chan any, opts Options) *Model {
	if opts.Title == "" {
		opts.Title = "faultline"
	}
	if opts.Timeout <= 0 {
		opts.Timeout = defaultTimeout
	}
	if opts.SaveTimeout <= 0 {
		opts.SaveTimeout = defaultSaveTimeout
	}
	r := opts.Renderer
	if r == nil {
		var out = opts.Output
		if out == nil {
			out = os.Stdout
		}
		r = lipgloss.NewRenderer(out)
	}
	st := common.NewStyles(r)
	m := &Model{
		ctx:      ctx,
		backend:  b,
		updates:  updates,
		opts:     opts,
		com:      common.Common{Styles: st, KeyMap: common.DefaultKeyMap()},
		console:  console.New(st, opts.MaxConsoleLines),
		timeline: timeline.New(st),
		crash:    crashview.New(st),
		pending:  map[string]bool{},
	}
	m.help = help.Model{ShortSeparator: "  ", FullSeparator: "    ", Ellipsis: "…", Styles: st.Help}
	ti := textinput.New()
	ti.Prompt = "/"
	ti.PromptStyle = st.Prompt
	ti.TextStyle = r.NewStyle()
	ti.PlaceholderStyle = st.Dim
	ti.CompletionStyle = st.Dim
	ti.Cursor.Style = r.NewStyle().Reverse(true)
	ti.Cursor.TextStyle = r.NewStyle()
	ti.Cursor.SetMode(cursor.CursorStatic) // no blink ticks: steady frames over ssh and in tests
	ti.Placeholder = "search the console"
	m.search = ti
	// Until the terminal reports its size (it never does when Output is
	// not a terminal), draw for the classic 80x24.
	m.com.SetSize(defaultWidth, defaultHeight)
	m.layout()
	return m
}

const defaultWidth, defaultHeight = 80, 24

// Init starts listening for updates.
func (m *Model) Init() tea.Cmd {
	return m.waitUpdates()
}

// waitUpdates receives the next batch of updates. It copies the channel and
// context into the command; the model is never read from it.
func (m *Model) waitUpdates() tea.Cmd {
	ch, ctx := m.updates, m.ctx
	if ch == nil || m.ended {
		return nil
	}
	return func() tea.Msg {
		var first any
		select {
		case <-ctx.Done():
			return nil
		case v, ok := <-ch:
			if !ok {
				return updatesMsg{closed: true}
			}
			first = v
		}
		items := []any{first}
		for len(items) < maxBatch {
			select {
			case v, ok := <-ch:
				if !ok {
					return updatesMsg{items: items, closed: true}
				}
				items = append(items, v)
			default:
				return updatesMsg{items: items}
			}
		}
		return updatesMsg{items: items}
	}
}

// Update handles a message.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.com.SetSize(msg.Width, msg.Height)
		m.layout()
		return m, nil
	case tea.KeyMsg:
		return m, m.handleKey(msg)
	case tea.MouseMsg:
		return m, m.handleMouse(msg)
	case updatesMsg:
		var cmds []tea.Cmd
		for _, it := range msg.items {
			cmds = append(cmds, m.apply(it))
		}
		if msg.closed {
			m.ended = true
			m.setInfo("session ended: the view stays until you quit")
		} else {
			cmds = append(cmds, m.waitUpdates())
		}
		return m, tea.Batch(cmds...)
	case opDoneMsg:
		delete(m.pending, msg.op)
		if msg.err != nil {
			m.setError(fmt.Sprintf("%s failed: %v", msg.op, msg.err))
		} else {
			m.setInfo(msg.op + ": done")
		}
		return m, nil
	case saveDoneMsg:
		delete(m.pending, "save")
		if msg.err != nil {
			m.confirmQuit = false
			m.setError(fmt.Sprintf("save failed: %v", msg.err))
			return m, nil
		}
		if m.crash.HasCrash() && m.crash.CapturePath() == "" {
			m.crash.SetCapturePath(msg.path)
		}
		m.setInfo("saved " + msg.path)
		if msg.quit {
			return m, tea.Quit
		}
		return m, nil
	case crashview.SourceMsg:
		return m, m.crash.Update(msg)
	case common.ErrorMsg:
		m.setError(msg.Error())
		return m, nil
	}
	// Updates sent straight to the program (tea.Program.Send) or by tests.
	if cmd, ok := m.applyUpdate(msg); ok {
		return m, cmd
	}
	return m, nil
}

// apply handles one value from the updates channel.
func (m *Model) apply(v any) tea.Cmd {
	cmd, _ := m.applyUpdate(v)
	return cmd
}

func (m *Model) applyUpdate(v any) (tea.Cmd, bool) {
	switch v := v.(type) {
	case Status:
		m.status = v
	case *Status:
		if v != nil {
			m.status = *v
		}
	case ConsoleLine:
		m.console.Append(consoleLine(v))
	case *ConsoleLine:
		if v != nil {
			m.console.Append(consoleLine(*v))
		}
	case []ConsoleLine:
		ls := make([]console.Line, len(v))
		for i, l := range v {
			ls[i] = consoleLine(l)
		}
		m.console.Append(ls...)
	case TimelineItem:
		m.timeline.Add(v.Time, v.Kind, v.Text)
	case *TimelineItem:
		if v != nil {
			m.timeline.Add(v.Time, v.Kind, v.Text)
		}
	case Crash:
		return m.showCrash(v), true
	case *Crash:
		if v != nil {
			return m.showCrash(*v), true
		}
	default:
		return nil, false
	}
	return nil, true
}

func consoleLine(l ConsoleLine) console.Line {
	return console.Line{Time: l.Time, Text: l.Text, Event: l.Event}
}

func (m *Model) showCrash(c Crash) tea.Cmd {
	if c.Report == nil {
		return nil
	}
	fresh := c.Report != m.crash.Report() && !(c.Update && m.crash.HasCrash())
	m.crash.SetShowPath(c.ShowPath)
	var cmd tea.Cmd
	if c.Update {
		cmd = m.crash.UpdateCrash(c.Report, c.CapturePath, c.Source)
	} else {
		cmd = m.crash.SetCrash(c.Report, c.CapturePath, c.Source)
	}
	if fresh && !m.searching && !m.confirmQuit {
		m.pane = paneCrash
		m.layout()
	}
	return cmd
}

// layout hands each widget its share of the screen.
func (m *Model) layout() {
	w, h := m.com.Width, m.paneHeight()
	m.help.Width = w
	m.search.Width = max(1, w-2)
	m.crash.SetSize(w, h)
	if cw, tw := m.splitWidths(); tw > 0 {
		m.console.SetSize(cw, h)
		m.timeline.SetSize(tw, h)
	} else {
		m.console.SetSize(w, h)
		m.timeline.SetSize(w, h)
	}
}

// Rows taken by the status bar (2), the tabs (1), the message line (1) and
// the help line (1).
const chromeRows = 5

func (m *Model) paneHeight() int { return max(0, m.com.Height-chromeRows) }

// wideWidth is the terminal width from which the console pane shows the
// timeline beside it.
const wideWidth = 110

// splitWidths gives the console and side timeline widths in the console
// pane (tw == 0: no side timeline).
func (m *Model) splitWidths() (cw, tw int) {
	w := m.com.Width
	if m.pane != paneConsole || w < wideWidth {
		return w, 0
	}
	tw = min(56, w/3)
	return w - tw - 1, tw
}

func (m *Model) setInfo(s string)  { m.msg, m.msgErr = s, false }
func (m *Model) setError(s string) { m.msg, m.msgErr = s, true }

// unsavedCrash reports whether quitting now would lose a crash.
func (m *Model) unsavedCrash() bool {
	return m.crash.HasCrash() && m.crash.CapturePath() == ""
}

// backendOp starts one Backend call. The method value and context are
// copied into the command here, in Update.
func (m *Model) backendOp(op, doing string, f func(context.Context) error) tea.Cmd {
	if m.backend == nil {
		m.setError(op + ": no live session")
		return nil
	}
	if m.pending[op] {
		return nil
	}
	m.pending[op] = true
	m.setInfo(doing + "…")
	ctx, timeout := m.ctx, m.opts.Timeout
	return func() tea.Msg {
		cctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		err := f(cctx)
		if errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("no answer in %s: %w", timeout, err)
		}
		return opDoneMsg{op: op, err: err}
	}
}

func (m *Model) saveOp(quit bool) tea.Cmd {
	if m.backend == nil {
		m.setError("save: no live session")
		return nil
	}
	if m.pending["save"] {
		return nil
	}
	m.pending["save"] = true
	m.setInfo("saving capture…")
	b, ctx, timeout := m.backend, m.ctx, m.opts.SaveTimeout
	return func() tea.Msg {
		cctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		path, err := b.SaveCapture(cctx)
		if err != nil {
			err = fmt.Errorf("save capture: %w", err)
		}
		return saveDoneMsg{path: path, err: err, quit: quit}
	}
}

// searchTarget is the list the search applies to: the timeline on its
// pane, the console everywhere else.
func (m *Model) searchTarget() *console.Model {
	if m.pane == paneTimeline {
		return m.timeline.Model
	}
	return m.console
}

func (m *Model) statusInfo() statusbar.Info {
	s := m.status
	return statusbar.Info{
		Target: s.Target, GDB: s.GDB, Serial: s.Serial, SerialState: s.SerialState,
		ELF: s.ELF, ELFMatches: s.ELFMatches, LEDColor: s.LEDColor, LEDPattern: s.LEDPattern,
		Capture: s.Capture, Saved: s.Saved,
	}
}

// bindings used in the help line while a prompt is open.
func (m *Model) promptHelp() []key.Binding {
	k := m.com.KeyMap
	if m.confirmQuit {
		return []key.Binding{k.Yes, k.No, k.Cancel}
	}
	return []key.Binding{k.Enter, k.Cancel}
}
