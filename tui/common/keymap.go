package common

import "github.com/charmbracelet/bubbles/key"

// KeyMap is every key the TUI answers to. It implements help.KeyMap.
type KeyMap struct {
	Halt      key.Binding
	Continue  key.Binding
	Reset     key.Binding
	Save      key.Binding
	NextPane  key.Binding
	PrevPane  key.Binding
	Pane1     key.Binding
	Pane2     key.Binding
	Pane3     key.Binding
	Pane4     key.Binding
	Pane5     key.Binding
	Search    key.Binding
	Next      key.Binding
	Prev      key.Binding
	Up        key.Binding
	Down      key.Binding
	PageUp    key.Binding
	PageDown  key.Binding
	Top       key.Binding
	Bottom    key.Binding
	Help      key.Binding
	Quit      key.Binding
	ForceQuit key.Binding

	// quit confirmation
	Yes    key.Binding
	No     key.Binding
	Cancel key.Binding
	Enter  key.Binding
}

// DefaultKeyMap returns the key map described in the help line.
func DefaultKeyMap() *KeyMap {
	return &KeyMap{
		Halt:      key.NewBinding(key.WithKeys("h"), key.WithHelp("h", "halt")),
		Continue:  key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "continue")),
		Reset:     key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "reset")),
		Save:      key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "save")),
		NextPane:  key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab/1-4", "panes")),
		PrevPane:  key.NewBinding(key.WithKeys("shift+tab"), key.WithHelp("shift+tab", "previous pane")),
		Pane1:     key.NewBinding(key.WithKeys("1"), key.WithHelp("1", "console")),
		Pane2:     key.NewBinding(key.WithKeys("2"), key.WithHelp("2", "timeline")),
		Pane3:     key.NewBinding(key.WithKeys("3"), key.WithHelp("3", "crash")),
		Pane4:     key.NewBinding(key.WithKeys("4"), key.WithHelp("4", "registers")),
		Pane5:     key.NewBinding(key.WithKeys("5"), key.WithHelp("5", "tasks (RTOS crashes)")),
		Search:    key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "search")),
		Next:      key.NewBinding(key.WithKeys("n"), key.WithHelp("n/N", "next/prev match")),
		Prev:      key.NewBinding(key.WithKeys("N"), key.WithHelp("N", "previous match")),
		Up:        key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:      key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		PageUp:    key.NewBinding(key.WithKeys("pgup", "b", "ctrl+u"), key.WithHelp("pgup", "page up")),
		PageDown:  key.NewBinding(key.WithKeys("pgdown", "f", " ", "ctrl+d"), key.WithHelp("pgdn", "page down")),
		Top:       key.NewBinding(key.WithKeys("home", "g"), key.WithHelp("g", "top")),
		Bottom:    key.NewBinding(key.WithKeys("end", "G"), key.WithHelp("G", "bottom/follow")),
		Help:      key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "keys")),
		Quit:      key.NewBinding(key.WithKeys("q"), key.WithHelp("q", "quit")),
		ForceQuit: key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit")),
		Yes:       key.NewBinding(key.WithKeys("y", "Y"), key.WithHelp("y", "save and quit")),
		No:        key.NewBinding(key.WithKeys("n", "N"), key.WithHelp("n", "quit without saving")),
		Cancel:    key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
		Enter:     key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "search")),
	}
}

// ShortHelp is the one-line help (help.KeyMap).
func (k *KeyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Halt, k.Continue, k.Reset, k.Save, k.NextPane, k.Search, k.Quit, k.Help}
}

// FullHelp is the expanded help shown with '?' (help.KeyMap).
func (k *KeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Halt, k.Continue, k.Reset, k.Save, k.Quit},
		{k.NextPane, k.Pane1, k.Pane2, k.Pane3, k.Pane4, k.Pane5},
		{k.Search, k.Next, k.Up, k.Down, k.Help},
		{k.PageUp, k.PageDown, k.Top, k.Bottom},
	}
}
