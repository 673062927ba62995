package tui_test

import (
	"io"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/faultline-dev/faultline/tui"
	"github.com/faultline-dev/faultline/tui/internal/fake"
	"github.com/muesli/termenv"
)

// asciiRenderer renders without colour so golden frames are plain text.
func asciiRenderer() *lipgloss.Renderer {
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.Ascii)
	return r
}

// harness drives a model directly: messages go through Update and the
// commands it returns run synchronously, their messages fed back in, the
// way tea.Program would but deterministically.
type harness struct {
	t     testing.TB
	m     tea.Model
	quit  bool
	extra []tea.Msg // messages commands produced that the test wants to see
}

func newHarness(t testing.TB, b tui.Backend, w, h int) *harness {
	t.Helper()
	if b == nil {
		b = &fake.Backend{}
	}
	hs := &harness{t: t, m: tui.NewModel(b, tui.Options{Renderer: asciiRenderer(), Title: "faultline"})}
	hs.run(hs.m.Init())
	hs.send(tea.WindowSizeMsg{Width: w, Height: h})
	return hs
}

func (hs *harness) send(msgs ...tea.Msg) {
	hs.t.Helper()
	for _, msg := range msgs {
		var cmd tea.Cmd
		hs.m, cmd = hs.m.Update(msg)
		hs.run(cmd)
	}
}

// run executes cmd and everything it leads to. A command that does not
// answer in time fails the test: nothing the model returns may block.
func (hs *harness) run(cmd tea.Cmd) {
	hs.t.Helper()
	if cmd == nil {
		return
	}
	done := make(chan tea.Msg, 1)
	go func() { done <- cmd() }()
	var msg tea.Msg
	select {
	case msg = <-done:
	case <-time.After(5 * time.Second):
		hs.t.Fatalf("a command did not return within 5s")
	}
	switch msg := msg.(type) {
	case nil:
	case tea.BatchMsg:
		for _, c := range msg {
			hs.run(c)
		}
	case tea.QuitMsg:
		hs.quit = true
	default:
		hs.send(msg)
	}
}

// key sends key presses: single characters, or names like "tab", "esc",
// "enter", "up", "down", "ctrl+c".
func (hs *harness) key(keys ...string) {
	hs.t.Helper()
	for _, k := range keys {
		hs.send(keyMsg(k))
	}
}

func keyMsg(k string) tea.KeyMsg {
	names := map[string]tea.KeyType{
		"tab": tea.KeyTab, "shift+tab": tea.KeyShiftTab, "esc": tea.KeyEsc, "enter": tea.KeyEnter,
		"up": tea.KeyUp, "down": tea.KeyDown, "pgup": tea.KeyPgUp, "pgdown": tea.KeyPgDown,
		"ctrl+c": tea.KeyCtrlC, "backspace": tea.KeyBackspace, "home": tea.KeyHome, "end": tea.KeyEnd,
	}
	if t, ok := names[k]; ok {
		return tea.KeyMsg{Type: t}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)}
}

func (hs *harness) typeText(s string) {
	hs.t.Helper()
	for _, r := range s {
		hs.send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
}

func (hs *harness) view() string { return hs.m.View() }

// checkBounds fails when the frame is not exactly h lines of at most w cells.
func checkBounds(t testing.TB, frame string, w, h int) {
	t.Helper()
	lines := strings.Split(frame, "\n")
	if len(lines) != h {
		t.Errorf("frame has %d lines, want %d", len(lines), h)
	}
	for i, l := range lines {
		if got := ansi.StringWidth(l); got > w {
			t.Errorf("line %d is %d cells wide, terminal is %d: %q", i, got, w, l)
		}
	}
}

// consoleLines converts sample lines into update messages.
func consoleLines(ls []tui.ConsoleLine) tea.Msg { return ls }

func timelineMsgs(items []tui.TimelineItem) []tea.Msg {
	var out []tea.Msg
	for _, it := range items {
		out = append(out, it)
	}
	return out
}
