package tui_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/atotto/clipboard"
	tea "github.com/charmbracelet/bubbletea"
)

// third_party/bubbletea builds its key tables and compiles its input
// regexps on first use, not in an init (every faultline command paid for
// them). keyRecorder checks the terminal input still decodes as upstream
// decodes it, through a real Program reading raw bytes.
type keyRecorder struct {
	want int
	got  []string
}

func (m *keyRecorder) Init() tea.Cmd { return nil }

func (m *keyRecorder) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.KeyMsg:
		m.got = append(m.got, msg.String())
	case tea.MouseMsg:
		m.got = append(m.got, "mouse "+msg.String())
	default:
		return m, nil
	}
	if len(m.got) == m.want {
		return m, tea.Quit
	}
	return m, nil
}

func (m *keyRecorder) View() string { return "" }

func TestTerminalInputDecodesAsUpstream(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  []string
	}{
		{"arrow keys", "\x1b[A\x1b[B", []string{"up", "down"}},
		{"control keys by name", "\x03\x1a", []string{"ctrl+c", "ctrl+z"}},
		{"modified arrow and alt", "\x1b[1;5C\x1bx", []string{"ctrl+right", "alt+x"}},
		{"enter, tab, escape sequence prefix", "\r\t\x1b[Z", []string{"enter", "tab", "shift+tab"}},
		{"function key and runes", "\x1bOPab", []string{"f1", "ab"}},
		{"SGR mouse", "\x1b[<0;3;4M", []string{"mouse left press"}},
		{"unknown CSI is skipped", "\x1b[99;99~q", []string{"q"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			m := &keyRecorder{want: len(tc.want)}
			p := tea.NewProgram(m, tea.WithContext(ctx), tea.WithInput(strings.NewReader(tc.input)),
				tea.WithOutput(io.Discard), tea.WithoutRenderer(), tea.WithoutSignalHandler())
			if _, err := p.Run(); err != nil {
				t.Fatalf("program: %v (keys so far %q)", err, m.got)
			}
			if fmt.Sprint(m.got) != fmt.Sprint(tc.want) {
				t.Errorf("%q decoded as %q, want %q", tc.input, m.got, tc.want)
			}
		})
	}
}

// third_party/clipboard looks for a clipboard program on the first paste,
// not in an init (which searched PATH in every faultline command): a
// program that appears on PATH after the process started is found. With
// the upstream init it would not be, as the search happened before.
func TestPasteFindsTheClipboardProgramOnFirstUse(t *testing.T) {
	dir := t.TempDir()
	script := "#!/bin/sh\n[ \"$*\" = \"-out -selection clipboard\" ] && printf 'pasted text'\n"
	if err := os.WriteFile(filepath.Join(dir, "xclip"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("WAYLAND_DISPLAY", "")
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	got, err := clipboard.ReadAll()
	if err != nil {
		t.Fatalf("paste: %v", err)
	}
	if got != "pasted text" {
		t.Errorf("paste = %q, want %q", got, "pasted text")
	}
}
