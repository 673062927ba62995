package watch

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/faultline-dev/faultline/capture"
	"github.com/faultline-dev/faultline/elfsym/indexcache"
	"github.com/faultline-dev/faultline/gdbremote/rsptest"
	"github.com/faultline-dev/faultline/probe/probetest"
)

// stampedWriter remembers when it was first written to.
type stampedWriter struct {
	mu    sync.Mutex
	first time.Time
	buf   bytes.Buffer
}

func (w *stampedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.first.IsZero() {
		w.first = time.Now()
	}
	return w.buf.Write(p)
}

func (w *stampedWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// slowCapture is one `faultline capture --once` of the recorded crash
// served over link, with the times from the stop to the first report on
// stdout and to the capture saved.
type slowCapture struct {
	first, whole time.Duration
	stdout       string
	stderr       string
	snap         *capture.Snapshot
}

func captureOverLink(tb testing.TB, rec probetest.Recorded, link rsptest.Link) slowCapture {
	tb.Helper()
	c, err := captureOverLinkUntil(tb, rec, link, nil)
	if err != nil {
		tb.Fatalf("capture: %v\n%s", err, c.stderr)
	}
	return c
}

// captureOverLinkUntil is captureOverLink that calls stop (when not nil)
// with a cancel of the capture's context once the first report is out:
// Ctrl-C during the memory fill.
func captureOverLinkUntil(tb testing.TB, rec probetest.Recorded, link rsptest.Link, stop func(cancel func())) (slowCapture, error) {
	tb.Helper()
	img, err := indexcache.Open(rec.ELF, true)
	if err != nil {
		tb.Fatal(err)
	}
	defer img.Close()
	dir := tb.TempDir()
	var stdout, stderr stampedWriter
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	fk, sess := rec.Replay(tb, ctx, img, link)
	defer sess.Close()
	if stop != nil {
		go func() {
			for ctx.Err() == nil {
				stdout.mu.Lock()
				out := !stdout.first.IsZero()
				stdout.mu.Unlock()
				if out {
					stop(cancel)
					return
				}
				time.Sleep(time.Millisecond)
			}
		}()
	}
	runErr := Run(ctx, sess, Options{Dir: dir, Image: img, Once: true, Timeout: 30 * time.Second, Out: &stdout, Log: &stderr})
	done := time.Now()
	stops := fk.StopTimes()
	if len(stops) == 0 {
		tb.Fatal("the fake never stopped the target")
	}
	snap, err := capture.Read(savedPath(tb, stderr.String()))
	if err != nil {
		tb.Fatal(err)
	}
	return slowCapture{first: stdout.first.Sub(stops[0]), whole: done.Sub(stops[0]),
		stdout: stdout.String(), stderr: stderr.String(), snap: snap}, runErr
}

// savedPath is the capture file Run named on its log.
func savedPath(tb testing.TB, log string) string {
	tb.Helper()
	m := regexp.MustCompile(`capture saved to (\S+)`).FindStringSubmatch(log)
	if m == nil {
		tb.Fatalf("no capture path in the log:\n%s", log)
	}
	return m[1]
}

// TestCtrlCDuringTheMemoryFillSavesWhatWasRead: interrupted after its
// first report, capture saves the registers, fault registers and stacks it
// read, says in the capture what it did not read, and fails saying so.
func TestCtrlCDuringTheMemoryFillSavesWhatWasRead(t *testing.T) {
	rec := probetest.Record(t, "netduino2", "divzero")
	c, err := captureOverLinkUntil(t, rec, probetest.SWDLink, func(cancel func()) { cancel() })
	if err == nil || !strings.Contains(err.Error(), "capture interrupted while reading memory") {
		t.Fatalf("err %v, want the capture interrupted", err)
	}
	if _, ok := c.snap.Region("scb"); !ok {
		t.Error("the fault registers are not in the saved capture")
	}
	msp := c.snap.Registers["msp"]
	found := false
	for _, r := range c.snap.Memory {
		found = found || (uint64(msp) >= uint64(r.Addr) && uint64(msp)+32 <= r.End())
	}
	if !found {
		t.Errorf("the stack at MSP 0x%08x is not in the saved capture", msp)
	}
	if !strings.Contains(strings.Join(c.snap.Meta.Missing, "\n"), "not read, the capture stopped first") {
		t.Errorf("the saved capture does not say what it lacks: %q", c.snap.Meta.Missing)
	}
}

// TestFirstReportOnASlowProbe: at 4 ms per round trip and 200 KB/s, the
// first report of a 128 KiB part is on stdout within the goal (twice it on
// a loaded machine), well before the capture is complete, and the capture
// file then holds every region, byte for byte, that a fast link gives.
func TestFirstReportOnASlowProbe(t *testing.T) {
	rec := probetest.Record(t, "netduino2", "divzero")
	slow := captureOverLink(t, rec, probetest.SWDLink)
	t.Logf("4 ms/200 KB/s: first report %v after the stop (goal %v), capture complete after %v", slow.first, probetest.FirstReportGoal, slow.whole)
	if slow.first > 2*probetest.FirstReportGoal {
		t.Errorf("first report %v after the stop, want under %v (goal %v)", slow.first, 2*probetest.FirstReportGoal, probetest.FirstReportGoal)
	}
	if slow.whole < slow.first+300*time.Millisecond {
		t.Errorf("capture complete %v after the stop, first report %v: the report did not come first", slow.whole, slow.first)
	}
	if !strings.Contains(slow.stderr, "first report from the registers") {
		t.Errorf("stderr does not say the first report is a first look:\n%s", slow.stderr)
	}
	fast := captureOverLink(t, rec, rsptest.Link{})
	// The first report already names the fault and the culprit line, as
	// the report of the complete capture does.
	headline, _, _ := strings.Cut(fast.stdout, "\n")
	if headline == "" || !strings.HasPrefix(slow.stdout, headline+"\n") {
		t.Errorf("first report does not start with the complete report's headline %q:\n%s", headline, slow.stdout)
	}
	if strings.Contains(fast.stderr, "first report from the registers") {
		t.Errorf("a fast link gave a first look too:\n%s", fast.stderr)
	}
	if len(slow.snap.Meta.Missing) != 0 {
		t.Errorf("slow capture misses %q", slow.snap.Meta.Missing)
	}
	if len(slow.snap.Memory) != len(fast.snap.Memory) {
		t.Fatalf("slow capture has %d regions, fast %d", len(slow.snap.Memory), len(fast.snap.Memory))
	}
	for i, w := range fast.snap.Memory {
		g := slow.snap.Memory[i]
		if g.Addr != w.Addr || g.Name != w.Name || !bytes.Equal(g.Data, w.Data) {
			t.Errorf("region %d: slow %s %#x+%d, fast %s %#x+%d", i, g.Name, g.Addr, len(g.Data), w.Name, w.Addr, len(w.Data))
		}
	}
	if r, ok := slow.snap.Region("ram"); !ok || len(r.Data) != 128<<10 {
		t.Errorf("slow capture's RAM: %d bytes (found %v), want 128 KiB", len(r.Data), ok)
	}
}

// BenchmarkFirstReportSlowProbe measures, for a 128 KiB part, the time
// from the stop to the first report on stdout and to the capture saved,
// on a fast link and on issue 14's slow probe, in one run
// (BenchmarkFirstCrashViewSlowProbe in tui/live measures the TUI).
func BenchmarkFirstReportSlowProbe(b *testing.B) {
	rec := probetest.Record(b, "netduino2", "divzero")
	for _, tc := range probetest.Links {
		b.Run(tc.Name, func(b *testing.B) {
			var first, whole time.Duration
			for b.Loop() {
				c := captureOverLink(b, rec, tc.Link)
				first += c.first
				whole += c.whole
			}
			ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / float64(b.N) }
			b.ReportMetric(ms(first), "ms-to-first-report")
			b.ReportMetric(ms(whole), "ms-to-complete-capture")
			b.ReportMetric(0, "ns/op")
		})
	}
}
