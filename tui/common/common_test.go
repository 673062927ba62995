package common

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
)

func TestWidthAgreesWithAnsi(t *testing.T) {
	for _, s := range []string{
		"", "plain", "\x1b[31mred\x1b[0m", "── rule ──", "a…b", "界", "\x1b]8;;http://x\x07link\x1b]8;;\x07",
		"tab\there", "é", "█ block", "← arrow",
	} {
		if got, want := Width(s), ansi.StringWidth(s); got != want {
			t.Errorf("Width(%q) = %d, ansi says %d", s, got, want)
		}
	}
}

func TestFit(t *testing.T) {
	got := Fit("abcdef\nxy\n1\n2\n3", 4, 3)
	if want := "abc…\nxy\n1"; got != want {
		t.Errorf("Fit = %q, want %q", got, want)
	}
	if got := Fit("a", 4, 3); got != "a\n\n" {
		t.Errorf("Fit pads lines: %q", got)
	}
}

func TestHexColor(t *testing.T) {
	tests := []struct {
		in   [3]float64
		want string
	}{
		{[3]float64{0, 0.8, 0.8}, "#00cccc"},
		{[3]float64{1, 0, 0}, "#ff0000"},
		{[3]float64{-1, 2, 0.5}, "#00ff80"},
	}
	for _, tc := range tests {
		if got := HexColor(tc.in); got != tc.want {
			t.Errorf("HexColor(%v) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

// FuzzSanitize checks that device text can never put a control character
// or escape sequence on the screen, and that printable text survives.
func FuzzSanitize(f *testing.F) {
	for _, s := range []string{"ok", "\x1b[2J\x1b[H", "a\tb\r\n", "\xff\xfe", "\x9b31m", "界\x07"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := Sanitize(s)
		if !utf8.ValidString(out) {
			t.Fatalf("Sanitize(%q) = %q: invalid UTF-8", s, out)
		}
		for _, r := range out {
			if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
				t.Fatalf("Sanitize(%q) = %q keeps control %U", s, out, r)
			}
		}
		if isPlainASCII(s) && out != s {
			t.Fatalf("Sanitize changed plain text %q to %q", s, out)
		}
	})
}

// FuzzTruncate checks that Truncate never exceeds the width and that
// Width agrees with the ansi package on sanitized text.
func FuzzTruncate(f *testing.F) {
	f.Add("hello world", 5)
	f.Add("\x1b[1mbold\x1b[0m text", 3)
	f.Add("界界界", 3)
	f.Fuzz(func(t *testing.T, s string, w int) {
		if w < 0 || w > 500 {
			return
		}
		s = Sanitize(s)
		if got, want := Width(s), ansi.StringWidth(s); got != want {
			t.Fatalf("Width(%q) = %d, ansi says %d", s, got, want)
		}
		out := Truncate(s, w)
		if ansi.StringWidth(out) > w {
			t.Fatalf("Truncate(%q, %d) = %q is too wide", s, w, out)
		}
		if Width(s) <= w && out != s {
			t.Fatalf("Truncate cut a string that fits: %q -> %q", s, out)
		}
		_ = strings.TrimSpace(out)
	})
}
