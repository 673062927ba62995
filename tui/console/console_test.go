package console

import (
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"
	"github.com/faultline-dev/faultline/tui/common"
	"github.com/muesli/termenv"
)

func newTestConsole(max, w, h int) *Model {
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.Ascii)
	m := New(common.NewStyles(r), max)
	m.SetSize(w, h)
	return m
}

func appendN(m *Model, from, n int) {
	for i := from; i < from+n; i++ {
		m.Append(Line{Text: fmt.Sprintf("line %d", i)})
	}
}

func TestRingKeepsTheNewestLines(t *testing.T) {
	if m := New(nil, 0); m.max != 100_000 {
		t.Errorf("default scrollback = %d, want 100000", m.max)
	}
	m := newTestConsole(1000, 40, 5)
	appendN(m, 0, 1500)
	if m.Len() != 1000 {
		t.Fatalf("Len = %d, want 1000", m.Len())
	}
	if got := m.Line(0).Text; got != "line 500" {
		t.Errorf("oldest = %q, want line 500", got)
	}
	if got := m.Line(m.Len() - 1).Text; got != "line 1499" {
		t.Errorf("newest = %q, want line 1499", got)
	}
	if got := m.Position(); got != "lines 1496-1500 of 1500 (following)" {
		t.Errorf("Position = %q", got)
	}
}

func TestScrolledViewStaysPutWhileTheRingWraps(t *testing.T) {
	m := newTestConsole(1000, 40, 5)
	appendN(m, 0, 1000)
	m.ScrollUp(500)
	before := m.View()
	appendN(m, 1000, 300) // pushes 300 old lines out
	if after := m.View(); after != before {
		t.Errorf("view moved while new lines arrived:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	if m.Following() {
		t.Error("following after scrolling up")
	}
}

func TestFollowingShowsNewLines(t *testing.T) {
	m := newTestConsole(0, 40, 3)
	appendN(m, 0, 10)
	appendN(m, 10, 1)
	if v := m.View(); !strings.HasSuffix(v, "line 10") {
		t.Errorf("newest line not at the bottom:\n%s", v)
	}
}

func TestScrolling(t *testing.T) {
	tests := []struct {
		name    string
		do      func(m *Model)
		wantTop int
		follow  bool
	}{
		{"start follows", func(m *Model) {}, 90, true},
		{"up", func(m *Model) { m.ScrollUp(3) }, 87, false},
		{"up past the top", func(m *Model) { m.ScrollUp(1000) }, 0, false},
		{"down to the bottom follows", func(m *Model) { m.ScrollUp(3); m.ScrollDown(3) }, 90, true},
		{"page up", func(m *Model) { m.PageUp() }, 81, false},
		{"top", func(m *Model) { m.GotoTop() }, 0, false},
		{"top then bottom", func(m *Model) { m.GotoTop(); m.GotoBottom() }, 90, true},
		{"page down from top", func(m *Model) { m.GotoTop(); m.PageDown() }, 9, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := newTestConsole(0, 40, 10)
			appendN(m, 0, 100)
			tc.do(m)
			if m.Top() != tc.wantTop || m.Following() != tc.follow {
				t.Errorf("top=%d follow=%v, want top=%d follow=%v", m.Top(), m.Following(), tc.wantTop, tc.follow)
			}
		})
	}
}

func TestSearchWrapsAndFindsNewestFirst(t *testing.T) {
	m := newTestConsole(0, 40, 5)
	appendN(m, 0, 100)
	m.SetQuery("line 1")
	if !m.Search() || m.Line(m.Match()).Text != "line 19" {
		t.Fatalf("first match = %d", m.Match())
	}
	m.Next()
	if got := m.Line(m.Match()).Text; got != "line 18" {
		t.Errorf("next = %q, want line 18 (older)", got)
	}
	m.SetQuery("line 99")
	m.GotoTop()
	if !m.Search() || m.Line(m.Match()).Text != "line 99" {
		t.Errorf("search from the top did not wrap to line 99")
	}
	m.SetQuery("absent")
	if m.Search() {
		t.Error("found text that is not there")
	}
}

func TestViewFitsWidth(t *testing.T) {
	m := newTestConsole(0, 30, 4)
	m.Append(Line{Text: strings.Repeat("x", 100)}, Line{Text: strings.Repeat("界", 100), Event: "panic"})
	for _, l := range strings.Split(m.View(), "\n") {
		if w := common.Width(l); w > 30 {
			t.Errorf("line %q is %d wide", l, w)
		}
	}
}

func BenchmarkAppend(b *testing.B) {
	m := newTestConsole(100_000, 80, 24)
	l := Line{Text: "0000012345 [app] INFO: client 3: GET /status 200 (121 bytes)"}
	for b.Loop() {
		m.Append(l)
	}
}
