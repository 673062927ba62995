package tui

import (
	"context"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// handleKey routes a key press: the quit prompt first, then the search
// input, then the help overlay, then the screen's own keys.
func (m *Model) handleKey(msg tea.KeyMsg) tea.Cmd {
	// Keys typed quickly (or sent by tmux send-keys, or pasted without
	// bracketed paste) arrive as one message with several runes; each is
	// a key of its own here ("/err" opens the search and types "err").
	if msg.Type == tea.KeyRunes && len(msg.Runes) > 1 && !msg.Paste && !m.searching {
		var cmds []tea.Cmd
		for i, r := range msg.Runes {
			if m.searching {
				// The rest is search text: hand it over in one piece.
				rest := tea.KeyMsg{Type: tea.KeyRunes, Runes: msg.Runes[i:], Alt: msg.Alt}
				cmds = append(cmds, m.handleKey(rest))
				break
			}
			cmds = append(cmds, m.handleKey(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}, Alt: msg.Alt}))
		}
		return tea.Batch(cmds...)
	}
	k := m.com.KeyMap
	switch {
	case m.confirmQuit:
		switch {
		case key.Matches(msg, k.Yes):
			return m.saveOp(true)
		case key.Matches(msg, k.No), key.Matches(msg, k.ForceQuit):
			return tea.Quit
		case key.Matches(msg, k.Cancel):
			m.confirmQuit = false
			m.setInfo("")
		}
		return nil
	case m.searching:
		return m.handleSearchKey(msg)
	case m.showHelp:
		m.showHelp = false
		return nil
	}

	switch {
	case key.Matches(msg, k.Quit), key.Matches(msg, k.ForceQuit):
		if m.unsavedCrash() {
			m.confirmQuit = true
			return nil
		}
		return tea.Quit
	case key.Matches(msg, k.Halt):
		return m.backendOp("halt", "halting", m.backendMethod(Backend.Halt))
	case key.Matches(msg, k.Continue):
		return m.backendOp("continue", "continuing", m.backendMethod(Backend.Continue))
	case key.Matches(msg, k.Reset):
		return m.backendOp("reset", "resetting", m.backendMethod(Backend.Reset))
	case key.Matches(msg, k.Save):
		return m.saveOp(false)
	case key.Matches(msg, k.NextPane):
		m.cyclePane(1)
	case key.Matches(msg, k.PrevPane):
		m.cyclePane(numPanes - 1)
	case key.Matches(msg, k.Pane1):
		m.setPane(paneConsole)
	case key.Matches(msg, k.Pane2):
		m.setPane(paneTimeline)
	case key.Matches(msg, k.Pane3):
		m.setPane(paneCrash)
	case key.Matches(msg, k.Pane4):
		m.setPane(paneRegisters)
	case key.Matches(msg, k.Pane5):
		if m.hasPane(paneTasks) {
			m.setPane(paneTasks)
		} else {
			m.setInfo("no tasks: the crash's firmware runs no RTOS faultline knows")
		}
	case key.Matches(msg, k.Search):
		if m.pane != paneTimeline {
			m.setPane(paneConsole)
		}
		m.searching = true
		m.search.SetValue(m.searchTarget().Query())
		m.search.CursorEnd()
		return m.search.Focus()
	case key.Matches(msg, k.Next):
		m.reportSearch(m.searchTarget().Next())
	case key.Matches(msg, k.Prev):
		m.reportSearch(m.searchTarget().Prev())
	case key.Matches(msg, k.Help):
		m.showHelp = true
	default:
		return m.scrollKey(msg)
	}
	return nil
}

// backendMethod binds a Backend method expression to the current backend,
// so the command holds the backend value, not the model.
func (m *Model) backendMethod(f func(Backend, context.Context) error) func(context.Context) error {
	b := m.backend
	if b == nil {
		return nil
	}
	return func(ctx context.Context) error { return f(b, ctx) }
}

func (m *Model) handleSearchKey(msg tea.KeyMsg) tea.Cmd {
	k := m.com.KeyMap
	switch {
	case key.Matches(msg, k.Enter):
		m.searching = false
		m.search.Blur()
		t := m.searchTarget()
		t.SetQuery(m.search.Value())
		if t.Query() == "" {
			m.setInfo("")
			return nil
		}
		m.reportSearch(t.Search())
		return nil
	case key.Matches(msg, k.Cancel), key.Matches(msg, k.ForceQuit):
		m.searching = false
		m.search.Blur()
		return nil
	}
	var cmd tea.Cmd
	m.search, cmd = m.search.Update(msg)
	return cmd
}

func (m *Model) reportSearch(found bool) {
	t := m.searchTarget()
	switch {
	case t.Query() == "":
		m.setInfo("no search: press / to search")
	case found:
		m.setInfo("match: " + t.Query())
	default:
		m.setError("not found: " + t.Query())
	}
}

func (m *Model) setPane(p pane) {
	m.pane = p
	m.layout()
}

// hasPane says whether pane p is shown: the tasks pane only for a crash
// whose report lists RTOS tasks.
func (m *Model) hasPane(p pane) bool {
	return p != paneTasks || m.crash.HasTasks()
}

// cyclePane moves step panes on (numPanes-1 is one back), skipping the
// panes not shown.
func (m *Model) cyclePane(step pane) {
	p := m.pane
	for range numPanes {
		p = (p + step) % numPanes
		if m.hasPane(p) {
			break
		}
	}
	m.setPane(p)
}

// scrollKey handles movement keys for the current pane.
func (m *Model) scrollKey(msg tea.KeyMsg) tea.Cmd {
	k := m.com.KeyMap
	switch m.pane {
	case paneCrash:
		switch {
		case key.Matches(msg, k.Up):
			return m.crash.SelectUp()
		case key.Matches(msg, k.Down):
			return m.crash.SelectDown()
		}
		return nil
	case paneTasks:
		switch {
		case key.Matches(msg, k.Up):
			m.crash.SelectTaskUp()
		case key.Matches(msg, k.Down):
			m.crash.SelectTaskDown()
		}
		return nil
	case paneRegisters:
		switch {
		case key.Matches(msg, k.Up):
			m.crash.ScrollUp(1)
		case key.Matches(msg, k.Down):
			m.crash.ScrollDown(1)
		case key.Matches(msg, k.PageUp):
			m.crash.ScrollUp(max(1, m.paneHeight()-1))
		case key.Matches(msg, k.PageDown):
			m.crash.ScrollDown(max(1, m.paneHeight()-1))
		case key.Matches(msg, k.Top):
			m.crash.ScrollUp(1 << 30)
		}
		return nil
	}
	list := m.searchTarget()
	switch {
	case key.Matches(msg, k.Up):
		list.ScrollUp(1)
	case key.Matches(msg, k.Down):
		list.ScrollDown(1)
	case key.Matches(msg, k.PageUp):
		list.PageUp()
	case key.Matches(msg, k.PageDown):
		list.PageDown()
	case key.Matches(msg, k.Top):
		list.GotoTop()
	case key.Matches(msg, k.Bottom):
		list.GotoBottom()
	}
	return nil
}

// wheelLines is how far one wheel notch scrolls.
const wheelLines = 3

func (m *Model) handleMouse(msg tea.MouseMsg) tea.Cmd {
	if msg.Action != tea.MouseActionPress || !tea.MouseEvent(msg).IsWheel() {
		return nil
	}
	up := msg.Button == tea.MouseButtonWheelUp
	down := msg.Button == tea.MouseButtonWheelDown
	switch m.pane {
	case paneCrash:
		if up {
			return m.crash.SelectUp()
		} else if down {
			return m.crash.SelectDown()
		}
		return nil
	case paneTasks:
		if up {
			m.crash.SelectTaskUp()
		} else if down {
			m.crash.SelectTaskDown()
		}
		return nil
	case paneRegisters:
		if up {
			m.crash.ScrollUp(wheelLines)
		} else if down {
			m.crash.ScrollDown(wheelLines)
		}
		return nil
	}
	list := m.searchTarget()
	// In the split console pane, the wheel over the right column scrolls
	// the timeline.
	if cw, tw := m.splitWidths(); tw > 0 && msg.X > cw {
		list = m.timeline.Model
	}
	if up {
		list.ScrollUp(wheelLines)
	} else if down {
		list.ScrollDown(wheelLines)
	}
	return nil
}
