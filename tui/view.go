package tui

import (
	"strings"

	"github.com/faultline-dev/faultline/tui/common"
	"github.com/faultline-dev/faultline/tui/statusbar"
)

// minWidth and minHeight are the smallest terminal the layout is drawn in;
// below that the screen says so instead of drawing a broken layout.
const (
	minWidth  = 30
	minHeight = 8
)

// View draws the screen: status bar, pane tabs, the current pane, the
// message line and the help line. It only reads the model, and costs the
// same however much scrollback the console holds.
func (m *Model) View() string {
	w, h := m.com.Width, m.com.Height
	if w <= 0 || h <= 0 {
		return ""
	}
	if w < minWidth || h < minHeight {
		return common.Fit("terminal too small for faultline\nneed at least 30x8; q quits", w, h)
	}
	var b strings.Builder
	b.Grow(w * h * 2)
	b.WriteString(m.statusMemo.get(m.statusKey(), func() string {
		return statusbar.View(m.com.Styles, m.statusInfo(), w)
	}))
	b.WriteByte('\n')
	b.WriteString(m.tabsMemo.get(tabsKey{m.pane, m.crash.HasCrash(), m.crash.HasTasks(), w}, m.tabsView))
	b.WriteByte('\n')
	b.WriteString(common.Fit(m.paneView(), w, m.paneHeight()))
	b.WriteByte('\n')
	b.WriteString(m.messageView())
	b.WriteByte('\n')
	b.WriteString(m.helpMemo.get(helpKey{m.confirmQuit, m.searching, w}, m.helpView))
	return b.String()
}

func (m *Model) tabsView() string {
	st := m.com.Styles
	var b strings.Builder
	for p := pane(0); p < numPanes; p++ {
		if !m.hasPane(p) {
			continue
		}
		label := string('1'+rune(p)) + " " + paneNames[p]
		if p == paneCrash && m.crash.HasCrash() {
			label += "!"
		}
		if p == m.pane {
			b.WriteString(st.TabActive.Render("[" + label + "]"))
		} else if p == paneCrash && m.crash.HasCrash() {
			b.WriteString(st.TabAlert.Render(" " + label + " "))
		} else {
			b.WriteString(st.TabInactive.Render(" " + label + " "))
		}
		b.WriteByte(' ')
	}
	tabs, title := b.String(), st.Title.Render(m.opts.Title)
	if common.Width(tabs)+1+common.Width(title) > m.com.Width {
		return common.Truncate(tabs, m.com.Width) // the title gives way first
	}
	return common.JoinLR(tabs, title, m.com.Width)
}

func (m *Model) paneView() string {
	if m.showHelp {
		return m.help.FullHelpView(m.com.KeyMap.FullHelp()) +
			"\n\n" + m.com.Styles.Dim.Render("any key closes this help")
	}
	switch m.pane {
	case paneTimeline:
		return m.timeline.View()
	case paneCrash:
		return m.crash.View()
	case paneRegisters:
		return m.crash.DetailsView()
	case paneTasks:
		return m.crash.TasksView()
	}
	cw, tw := m.splitWidths()
	if tw == 0 {
		return m.console.View()
	}
	// Console and timeline side by side; each is cut to its own width
	// first so the columns line up.
	h := m.paneHeight()
	left := strings.Split(common.Fit(m.console.View(), cw, h), "\n")
	right := strings.Split(common.Fit(m.timeline.View(), tw, h), "\n")
	sep := m.com.Styles.Dim.Render("│")
	var b strings.Builder
	for i := 0; i < h; i++ {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(common.PadRight(left[i], cw))
		b.WriteString(sep)
		b.WriteString(right[i])
	}
	return b.String()
}

// messageView is the line above the help: the quit prompt, the search
// input, or the last message, with the scroll position at the right.
func (m *Model) messageView() string {
	st, w := m.com.Styles, m.com.Width
	switch {
	case m.confirmQuit:
		return common.Truncate(st.Prompt.Render("unsaved capture: save? (y/n/esc)"), w)
	case m.searching:
		return common.Truncate(m.search.View(), w)
	}
	left := ""
	if m.msg != "" {
		if m.msgErr {
			left = st.ErrorText.Render(m.msg)
		} else {
			left = st.InfoText.Render(m.msg)
		}
	}
	right := ""
	switch m.pane {
	case paneConsole:
		right = m.console.Position()
	case paneTimeline:
		right = m.timeline.Position()
	}
	return common.JoinLR(left, st.Dim.Render(right), w)
}

func (m *Model) helpView() string {
	if m.confirmQuit || m.searching {
		return common.Truncate(m.help.ShortHelpView(m.promptHelp()), m.com.Width)
	}
	return common.Truncate(m.help.ShortHelpView(m.com.KeyMap.ShortHelp()), m.com.Width)
}

func (m *Model) statusKey() statusKey {
	k := statusKey{s: m.status, width: m.com.Width}
	k.s.ELFMatches = nil
	if p := m.status.ELFMatches; p != nil {
		k.matches = 1
		if *p {
			k.matches = 2
		}
	}
	return k
}
