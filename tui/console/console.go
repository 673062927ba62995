package console

import (
	"strconv"
	"strings"
	"time"

	"github.com/faultline-dev/faultline/tui/common"
)

// DefaultMaxLines is the scrollback kept when New is given 0.
const DefaultMaxLines = 100_000

// Line is one console line. Text must already be one line; Append
// sanitizes it (ANSI escapes and control characters from the device are
// removed so they cannot move the cursor).
type Line struct {
	Time  time.Time
	Text  string
	Event string // "" or what the detectors made of it: "panic", "fault-marker", "reset", ...
}

// Model is the console widget. The zero value is not usable; call New.
type Model struct {
	styles *common.Styles

	ring  []Line // grows to max, then wraps
	start int    // ring index of the oldest line
	n     int    // lines held
	max   int
	// dropped counts lines pushed out of the ring, so line numbers shown
	// to the user stay stable while the buffer wraps.
	dropped int

	width, height int
	top           int  // logical index of the first visible line when !follow
	follow        bool // stick to the newest line

	query string
	match int // logical index of the current match, -1 for none

	timeLayout string // time column format; its width is the column's
}

// New makes an empty console keeping up to max lines (DefaultMaxLines when
// max <= 0).
func New(styles *common.Styles, max int) *Model {
	if max <= 0 {
		max = DefaultMaxLines
	}
	return &Model{styles: styles, max: max, follow: true, match: -1, timeLayout: DefaultTimeLayout}
}

// DefaultTimeLayout is the console's time column: milliseconds matter when
// lining up serial output with a fault.
const DefaultTimeLayout = "15:04:05.000"

// SetTimeLayout changes the time column's format (a time.Format layout
// whose output has a fixed width).
func (m *Model) SetTimeLayout(layout string) { m.timeLayout = layout }

// SetSize sets the area the console draws in.
func (m *Model) SetSize(width, height int) {
	m.width, m.height = width, height
	m.clampTop()
}

// Len is the number of lines held.
func (m *Model) Len() int { return m.n }

// Line returns the i-th held line, 0 the oldest.
func (m *Model) Line(i int) Line { return m.ring[(m.start+i)%len(m.ring)] }

// Following reports whether the view sticks to the newest line.
func (m *Model) Following() bool { return m.follow }

// Top is the logical index of the first visible line.
func (m *Model) Top() int {
	if m.follow {
		return max(0, m.n-m.height)
	}
	return m.top
}

// Append adds lines, dropping the oldest beyond the limit.
func (m *Model) Append(lines ...Line) {
	for _, l := range lines {
		l.Text = common.Sanitize(l.Text)
		if m.n < m.max {
			m.ring = append(m.ring, l)
			m.n++
			continue
		}
		m.ring[m.start] = l
		m.start = (m.start + 1) % m.max
		m.dropped++
		// Keep the same lines on screen while the user reads them.
		if !m.follow && m.top > 0 {
			m.top--
		}
		if m.match >= 0 {
			m.match--
		}
	}
}

// ScrollUp moves the view k lines towards older lines.
func (m *Model) ScrollUp(k int) {
	top := m.Top() - k
	m.follow = false
	m.top = max(0, top)
}

// ScrollDown moves the view k lines towards newer lines; reaching the
// bottom resumes following the tail.
func (m *Model) ScrollDown(k int) {
	if m.follow {
		return
	}
	m.top += k
	m.clampTop()
}

// PageUp and PageDown scroll by a screen less one line of context.
func (m *Model) PageUp()   { m.ScrollUp(max(1, m.height-1)) }
func (m *Model) PageDown() { m.ScrollDown(max(1, m.height-1)) }

// GotoTop shows the oldest line.
func (m *Model) GotoTop() { m.follow, m.top = false, 0 }

// GotoBottom shows the newest line and follows the tail again.
func (m *Model) GotoBottom() { m.follow = true }

func (m *Model) clampTop() {
	if m.follow {
		return
	}
	bottom := max(0, m.n-m.height)
	if m.top >= bottom {
		m.top = bottom
		m.follow = true
	}
	m.top = max(0, m.top)
}

// Position describes the view for the message line, e.g.
// "lines 120-138 of 100000" or "following, 5 lines".
func (m *Model) Position() string {
	if m.n == 0 {
		return "no serial output yet"
	}
	top := m.Top()
	last := min(m.n, top+m.height)
	s := "lines " + strconv.Itoa(m.dropped+top+1) + "-" + strconv.Itoa(m.dropped+last) +
		" of " + strconv.Itoa(m.dropped+m.n)
	if m.follow {
		s += " (following)"
	}
	return s
}

// View renders the visible rows only; its cost does not depend on Len.
func (m *Model) View() string {
	if m.height <= 0 || m.width <= 0 {
		return ""
	}
	if m.n == 0 {
		return m.styles.Dim.Render("(waiting for serial output)")
	}
	st := m.styles
	top := m.Top()
	end := min(m.n, top+m.height)
	timeWidth := len(m.timeLayout)
	textWidth := m.width - timeWidth - 3
	var b strings.Builder
	b.Grow((end - top) * (m.width + 32))
	var tbuf [32]byte
	for i := top; i < end; i++ {
		if i > top {
			b.WriteByte('\n')
		}
		l := m.Line(i)
		if textWidth < 8 {
			// Too narrow for the time column: text only.
			b.WriteString(common.Truncate(l.Text, m.width))
			continue
		}
		if l.Time.IsZero() {
			b.WriteString(strings.Repeat(" ", timeWidth))
		} else {
			st.P.Time.WriteTo(&b, string(l.Time.AppendFormat(tbuf[:0], m.timeLayout)))
		}
		b.WriteByte(' ')
		mark, paint := eventMark(st, l.Event)
		b.WriteByte(mark)
		b.WriteByte(' ')
		text := common.Truncate(l.Text, textWidth)
		switch {
		case i == m.match:
			st.P.Match.WriteTo(&b, text)
		case m.query != "" && contains(l.Text, m.query):
			st.P.MatchOther.WriteTo(&b, text)
		case paint != nil:
			paint.WriteTo(&b, text)
		default:
			b.WriteString(text)
		}
	}
	return b.String()
}

// eventMark gives the gutter character and style for a line's event, so
// events stand out even without colour (and in golden files).
func eventMark(st *common.Styles, event string) (byte, *common.Paint) {
	switch {
	case event == "":
		return ' ', nil
	case event == "panic" || strings.HasPrefix(event, "fault") || event == "lockup" || event == "sos":
		return '!', &st.P.EventPanic
	case strings.HasPrefix(event, "reset") || event == "boot":
		return '~', &st.P.EventReset
	default:
		return '*', &st.P.EventOther
	}
}
