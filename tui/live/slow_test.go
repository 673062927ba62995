package live

import (
	"context"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/faultline-dev/faultline/elfsym/indexcache"
	"github.com/faultline-dev/faultline/gdbremote/rsptest"
	"github.com/faultline-dev/faultline/probe"
	"github.com/faultline-dev/faultline/probe/probetest"
	"github.com/faultline-dev/faultline/tui"
)

// crashViewOverLink is `faultline attach` on the recorded crash served
// over link: the time from the stop to the first crash view drawn (the
// session, its feed to the TUI, and one frame of the TUI's model), and to
// the crash view of the complete capture.
func crashViewOverLink(tb testing.TB, rec probetest.Recorded, link rsptest.Link) (first, whole time.Duration) {
	tb.Helper()
	img, err := indexcache.Open(rec.ELF, true)
	if err != nil {
		tb.Fatal(err)
	}
	defer img.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	fk, sess := rec.Replay(tb, ctx, img, link)
	defer sess.Close()
	b := &backend{sess: sess, dir: tb.TempDir()}
	updates := make(chan any, 4096)
	fed := make(chan struct{})
	go func() { defer close(fed); feed(ctx, sess, img, b, updates) }()
	defer func() { cancel(); <-fed }()
	m := tui.NewModel(b, tui.Options{Renderer: lipgloss.NewRenderer(io.Discard)})
	m, _ = m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	var times []time.Duration
	for len(times) < 2 {
		select {
		case u := <-updates:
			c, ok := u.(tui.Crash)
			if !ok {
				continue
			}
			if len(times) == 1 && !c.Update {
				tb.Fatal("the whole crash after a first look is not sent as its update")
			}
			m, _ = m.Update(c)
			if !strings.Contains(m.View(), c.Report.Fault.Exception) {
				tb.Fatalf("crash view does not show %s", c.Report.Fault.Exception)
			}
			times = append(times, time.Since(fk.StopTimes()[0]))
			if slices.ContainsFunc(c.Report.Notes, func(n string) bool { return strings.Contains(n, probe.PendingMemoryNote) }) {
				continue // a first look: the whole crash follows
			}
			if len(times) == 1 {
				times = append(times, times[0]) // no first look: one view
			}
		case <-ctx.Done():
			tb.Fatal("no crash view")
		}
	}
	return times[0], times[1]
}

// TestFirstCrashViewOnASlowProbe: attach draws the crash view of the first
// look within the goal (twice it on a loaded machine), then the view of
// the complete capture.
func TestFirstCrashViewOnASlowProbe(t *testing.T) {
	rec := probetest.Record(t, "netduino2", "divzero")
	first, whole := crashViewOverLink(t, rec, probetest.SWDLink)
	t.Logf("4 ms/200 KB/s: first crash view %v after the stop (goal %v), complete %v", first, probetest.FirstReportGoal, whole)
	if first > 2*probetest.FirstReportGoal {
		t.Errorf("first crash view %v after the stop, want under %v", first, 2*probetest.FirstReportGoal)
	}
	if whole < first+300*time.Millisecond {
		t.Errorf("complete view %v, first %v: no first look came before the whole crash", whole, first)
	}
}

// BenchmarkFirstCrashViewSlowProbe measures, for a 128 KiB part, the time
// from the stop to the first crash view drawn, on a fast link and on issue
// 14's slow probe.
func BenchmarkFirstCrashViewSlowProbe(b *testing.B) {
	rec := probetest.Record(b, "netduino2", "divzero")
	for _, tc := range probetest.Links {
		b.Run(tc.Name, func(b *testing.B) {
			var view time.Duration
			for b.Loop() {
				v, _ := crashViewOverLink(b, rec, tc.Link)
				view += v
			}
			b.ReportMetric(float64(view.Microseconds())/1000/float64(b.N), "ms-to-first-crash-view")
			b.ReportMetric(0, "ns/op")
		})
	}
}
