package common

import (
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// Common is what the screen passes down to its widgets.
type Common struct {
	Width, Height int
	Styles        *Styles
	KeyMap        *KeyMap
}

// SetSize records the area a widget may draw in.
func (c *Common) SetSize(width, height int) {
	c.Width, c.Height = width, height
}

// ErrorMsg reports a failed operation (a backend call, loading a source
// file) so the screen can show it in its message line.
type ErrorMsg struct {
	Op  string // what was attempted, e.g. "halt"
	Err error
}

// Error implements error.
func (e ErrorMsg) Error() string {
	if e.Op == "" {
		return e.Err.Error()
	}
	return e.Op + ": " + e.Err.Error()
}

// Unwrap returns the underlying error.
func (e ErrorMsg) Unwrap() error { return e.Err }

// Truncate cuts s (which may hold ANSI styling) to at most width cells,
// marking the cut with an ellipsis.
func Truncate(s string, width int) string {
	if width <= 0 {
		return ""
	}
	if isPlainASCII(s) {
		if len(s) <= width {
			return s
		}
		return s[:width-1] + "…"
	}
	if Width(s) <= width {
		return s
	}
	return ansi.Truncate(s, width, "…")
}

// Fit makes s exactly height lines, none wider than width: longer lines are
// truncated, missing lines are added empty, extra lines dropped. Every view
// goes through it so a resize can never make the terminal wrap or scroll.
func Fit(s string, width, height int) string {
	if height <= 0 {
		return ""
	}
	lines := strings.Split(s, "\n")
	if len(lines) > height {
		lines = lines[:height]
	}
	var b strings.Builder
	for i := 0; i < height; i++ {
		if i > 0 {
			b.WriteByte('\n')
		}
		if i < len(lines) {
			b.WriteString(Truncate(lines[i], width))
		}
	}
	return b.String()
}

// PadRight pads s with spaces to width cells (after truncating it to width).
func PadRight(s string, width int) string {
	s = Truncate(s, width)
	if w := Width(s); w < width {
		s += strings.Repeat(" ", width-w)
	}
	return s
}

// Sanitize makes text from a device safe to print as one line: ANSI escape
// sequences are stripped, tabs become spaces and other control characters
// are dropped, so serial noise can never move the cursor or change colours.
func Sanitize(s string) string {
	if !needsSanitize(s) {
		return s
	}
	s = ansi.Strip(s)
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r == '\t':
			b.WriteString("    ")
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			// drop: C0/C1 controls, including stray CR
		case r == '\uFFFD':
			b.WriteRune('?') // invalid UTF-8 from a noisy line
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func needsSanitize(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == 0x7f || c >= 0x80 {
			return true
		}
	}
	return false
}

// JoinLR puts right at the right edge of width, truncating left to make
// room; right is dropped when there is no room for both.
func JoinLR(left, right string, width int) string {
	lw, rw := Width(left), Width(right)
	if right == "" {
		return Truncate(left, width)
	}
	if lw+1+rw > width {
		if rw+12 > width {
			return Truncate(left, width)
		}
		left = Truncate(left, width-rw-1)
		lw = Width(left)
	}
	return left + strings.Repeat(" ", max(1, width-lw-rw)) + right
}
