package common

import (
	"strings"
	"unicode/utf8"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
)

// Width is the display width of s, which may hold ANSI escape sequences.
// Most of what the TUI draws is ASCII, SGR colour codes and box-drawing
// characters; those are counted here directly, because ansi.StringWidth
// (a full grapheme segmenter) costs microseconds per line, which adds up
// to most of a frame. Anything else goes to ansi.StringWidth.
func Width(s string) int {
	w := 0
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == 0x1b:
			n := escLen(s[i:])
			if n == 0 {
				return ansi.StringWidth(s)
			}
			i += n
		case c < 0x20 || c == 0x7f:
			i++
		case c < 0x80:
			w++
			i++
		default:
			r, n := utf8.DecodeRuneInString(s[i:])
			if !narrowSymbol(r) {
				return ansi.StringWidth(s)
			}
			w++
			i += n
		}
	}
	return w
}

// escLen is the length of the CSI sequence (ESC [ ... final) at the start
// of s, or 0 for anything else.
func escLen(s string) int {
	if len(s) < 2 || s[1] != '[' {
		return 0
	}
	for i := 2; i < len(s); i++ {
		if c := s[i]; c >= 0x40 && c <= 0x7e {
			return i + 1
		}
	}
	return 0
}

// narrowSymbol reports runes the TUI itself draws that are one cell wide
// in every terminal: general punctuation (…, ·, •), arrows, box drawing,
// block elements and geometric shapes.
func narrowSymbol(r rune) bool {
	return r == '·' || (r >= 0x2010 && r <= 0x2027) || (r >= 0x2190 && r <= 0x21ff) ||
		(r >= 0x2500 && r <= 0x25ff)
}

// isPlainASCII reports whether s is printable ASCII without escapes.
func isPlainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}

// Paint is a style reduced to the escape sequences around its text, for
// styles applied to many short strings per frame (lipgloss.Style.Render
// re-derives the sequences on every call). Only colours and attributes
// survive; padding, margins and widths do not.
type Paint struct{ open, close string }

// NewPaint captures st's escape sequences.
func NewPaint(st lipgloss.Style) Paint {
	const probe = "\x00"
	out := st.Render(probe)
	i := strings.Index(out, probe)
	if i < 0 {
		return Paint{}
	}
	return Paint{open: out[:i], close: out[i+len(probe):]}
}

// Render wraps s in the style's sequences.
func (p Paint) Render(s string) string {
	if p.open == "" && p.close == "" {
		return s
	}
	return p.open + s + p.close
}

// WriteTo appends the painted s to b without building an intermediate string.
func (p Paint) WriteTo(b *strings.Builder, s string) {
	b.WriteString(p.open)
	b.WriteString(s)
	b.WriteString(p.close)
}
