package main

import (
	"bytes"
	"context"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/faultline-dev/faultline/capture"
	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/emu"
	"github.com/faultline-dev/faultline/firmware/crashlab"
	"github.com/faultline-dev/faultline/gdbremote/rsptest"
	"github.com/faultline-dev/faultline/probe"
	"github.com/faultline-dev/faultline/tui"
)

// swdLink is the slow probe of issue 14: 4 ms per round trip, 200 KB/s.
var swdLink = rsptest.Link{RTT: 4 * time.Millisecond, Bandwidth: 200_000}

// firstReportGoal is issue 14's goal for the time from the stop to the
// first report on swdLink; the test allows twice that for a loaded 2-core
// machine and logs the number measured.
const firstReportGoal = 150 * time.Millisecond

var (
	netduinoOnce sync.Once
	netduinoRec  recorded
	netduinoErr  error
)

// recordNetduinoCrash captures divzero on netduino2 (128 KiB of SRAM, the
// board's RAM map) in QEMU, in process, once per test binary.
func recordNetduinoCrash(tb testing.TB) recorded {
	tb.Helper()
	netduinoOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		netduinoErr = func() error {
			elf, err := crashlab.ELF(ctx, "netduino2", "divzero")
			if err != nil {
				return err
			}
			img, err := elfsym.Open(elf)
			if err != nil {
				return err
			}
			defer img.Close()
			q, err := emu.StartQEMU(ctx, emu.QEMUConfig{Machine: "netduino2", Kernel: elf, Halted: true, Serials: []string{"null"}})
			if err != nil {
				return err
			}
			defer q.Stop()
			board, _ := probe.LookupBoard("netduino2")
			tgt, err := probe.ConnectTarget(ctx, probe.TargetOptions{Addr: q.GDBAddr, Board: board, Image: img})
			if err != nil {
				return err
			}
			defer tgt.Close()
			if err := tgt.ArmAndResume(ctx); err != nil {
				return err
			}
			crash, err := tgt.WaitCrash(ctx)
			if err != nil {
				return err
			}
			snap, err := tgt.Snapshot(ctx, crash.Trigger, crash.Stop.Raw)
			if err != nil {
				return err
			}
			netduinoRec = recorded{elf: elf, snap: snap}
			return nil
		}()
	})
	if netduinoErr != nil {
		tb.Fatalf("record a netduino2 crash in QEMU: %v", netduinoErr)
	}
	return netduinoRec
}

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

func captureOverLink(tb testing.TB, rec recorded, link rsptest.Link) slowCapture {
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
func captureOverLinkUntil(tb testing.TB, rec recorded, link rsptest.Link, stop func(cancel func())) (slowCapture, error) {
	tb.Helper()
	img, err := elfsym.Open(rec.elf)
	if err != nil {
		tb.Fatal(err)
	}
	main, _ := img.LookupSymbol("main")
	rp, err := rsptest.ReplayCrash(rec.snap, img, main.Addr)
	img.Close()
	if err != nil {
		tb.Fatal(err)
	}
	fk, addr := rsptest.ListenOpenOCD(tb, rsptest.Config{State: rp.Before, Script: []rsptest.Run{rp.Crash}, Link: link})
	dir := tb.TempDir()
	var stdout, stderr stampedWriter
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	f := captureFlags{gdb: addr, elf: rec.elf, board: "netduino2", dir: dir, once: true, rspTimeout: 5 * time.Second, timeout: 30 * time.Second, noCache: true}
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
	runErr := runCapture(ctx, f, &stdout, &stderr)
	done := time.Now()
	stops := fk.StopTimes()
	if len(stops) == 0 {
		tb.Fatal("the fake never stopped the target")
	}
	snap, err := capture.Read(savedPath(tb, dir, stderr.String()))
	if err != nil {
		tb.Fatal(err)
	}
	return slowCapture{first: stdout.first.Sub(stops[0]), whole: done.Sub(stops[0]),
		stdout: stdout.String(), stderr: stderr.String(), snap: snap}, runErr
}

// TestCtrlCDuringTheMemoryFillSavesWhatWasRead: interrupted after its
// first report, capture saves the registers, fault registers and stacks it
// read, says in the capture what it did not read, and fails saying so.
func TestCtrlCDuringTheMemoryFillSavesWhatWasRead(t *testing.T) {
	rec := recordNetduinoCrash(t)
	c, err := captureOverLinkUntil(t, rec, swdLink, func(cancel func()) { cancel() })
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

// TestReportChangedIgnoresOnlyThePendingNotes: the second report is
// printed when the rest of memory changed the report, not for the notes
// that said it was still being read.
func TestReportChangedIgnoresOnlyThePendingNotes(t *testing.T) {
	type rep struct {
		Frames []string `json:"frames"`
		Notes  []string `json:"notes,omitempty"`
	}
	pending := "not in the capture: ram 0x20000000..0x2001fec0: " + probe.PendingMemoryNote
	tests := []struct {
		name        string
		first, full rep
		want        bool
	}{
		{"only pending notes gone", rep{[]string{"f"}, []string{pending, "x"}}, rep{[]string{"f"}, []string{"x"}}, false},
		{"a frame more", rep{[]string{"f"}, []string{pending}}, rep{[]string{"f", "g"}, nil}, true},
		{"another note", rep{[]string{"f"}, []string{pending}}, rep{[]string{"f"}, []string{"heap corrupt"}}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := reportChanged(tc.first, tc.full); got != tc.want {
				t.Errorf("reportChanged = %v, want %v", got, tc.want)
			}
		})
	}
}

// crashViewOverLink is `faultline attach` on the recorded crash served
// over link: the time from the stop to the first crash view drawn (the
// session, its feed to the TUI, and one frame of the TUI's model), and to
// the crash view of the complete capture.
func crashViewOverLink(tb testing.TB, rec recorded, link rsptest.Link) (first, whole time.Duration) {
	tb.Helper()
	img, err := openImage(rec.elf, true)
	if err != nil {
		tb.Fatal(err)
	}
	defer img.Close()
	main, _ := img.LookupSymbol("main")
	rp, err := rsptest.ReplayCrash(rec.snap, img, main.Addr)
	if err != nil {
		tb.Fatal(err)
	}
	fk, addr := rsptest.ListenOpenOCD(tb, rsptest.Config{State: rp.Before, Script: []rsptest.Run{rp.Crash}, Link: link})
	f := captureFlags{gdb: addr, board: "netduino2", dir: tb.TempDir(), once: true, rspTimeout: 5 * time.Second}
	opts, cleanup, err := sessionOptions(f, img, io.Discard)
	defer cleanup()
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sess, err := probe.StartSession(ctx, opts)
	if err != nil {
		tb.Fatal(err)
	}
	defer sess.Close()
	b := &liveBackend{sess: sess, dir: f.dir}
	updates := make(chan any, 4096)
	fed := make(chan struct{})
	go func() { defer close(fed); feedTUI(ctx, sess, img, b, updates) }()
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

// TestFirstReportOnASlowProbe: at 4 ms per round trip and 200 KB/s, the
// first report of a 128 KiB part is on stdout within the goal (twice it on
// a loaded machine), well before the capture is complete, and the capture
// file then holds every region, byte for byte, that a fast link gives.
func TestFirstReportOnASlowProbe(t *testing.T) {
	rec := recordNetduinoCrash(t)
	slow := captureOverLink(t, rec, swdLink)
	t.Logf("4 ms/200 KB/s: first report %v after the stop (goal %v), capture complete after %v", slow.first, firstReportGoal, slow.whole)
	if slow.first > 2*firstReportGoal {
		t.Errorf("first report %v after the stop, want under %v (goal %v)", slow.first, 2*firstReportGoal, firstReportGoal)
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

// TestFirstCrashViewOnASlowProbe: attach draws the crash view of the first
// look within the goal (twice it on a loaded machine), then the view of
// the complete capture.
func TestFirstCrashViewOnASlowProbe(t *testing.T) {
	rec := recordNetduinoCrash(t)
	first, whole := crashViewOverLink(t, rec, swdLink)
	t.Logf("4 ms/200 KB/s: first crash view %v after the stop (goal %v), complete %v", first, firstReportGoal, whole)
	if first > 2*firstReportGoal {
		t.Errorf("first crash view %v after the stop, want under %v", first, 2*firstReportGoal)
	}
	if whole < first+300*time.Millisecond {
		t.Errorf("complete view %v, first %v: no first look came before the whole crash", whole, first)
	}
}

// BenchmarkFirstReportSlowProbe measures, for a 128 KiB part, the time
// from the stop to the first report on stdout and to the capture saved,
// on a fast link and on issue 14's slow probe, in one run.
func BenchmarkFirstReportSlowProbe(b *testing.B) {
	rec := recordNetduinoCrash(b)
	for _, tc := range []struct {
		name string
		link rsptest.Link
	}{{"fast", rsptest.Link{}}, {"4ms_200KBps", swdLink}} {
		b.Run(tc.name, func(b *testing.B) {
			var first, whole, view time.Duration
			for b.Loop() {
				c := captureOverLink(b, rec, tc.link)
				first += c.first
				whole += c.whole
				v, _ := crashViewOverLink(b, rec, tc.link)
				view += v
			}
			ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / float64(b.N) }
			b.ReportMetric(ms(first), "ms-to-first-report")
			b.ReportMetric(ms(whole), "ms-to-complete-capture")
			b.ReportMetric(ms(view), "ms-to-first-crash-view")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// TestAttachCompletesASavedFirstLook: in the TUI, a first look the user
// saved is rewritten in place with the whole capture when it comes; an
// unsaved one, or another crash's, is left alone.
func TestAttachCompletesASavedFirstLook(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	snap := func(at time.Time, ram int, missing ...string) *capture.Snapshot {
		return &capture.Snapshot{
			Registers: map[string]uint32{"pc": 0x08000100, "sp": 0x20000f00},
			Memory:    []capture.Region{{Addr: 0x20000000, Data: make([]byte, ram), Name: "ram"}},
			Meta:      capture.Meta{Schema: capture.SchemaV1, CapturedAt: at, Missing: missing},
		}
	}
	tests := []struct {
		name             string
		save             bool
		wholeAt          time.Time
		wantPath, update bool
	}{
		{"saved first look", true, at, true, true},
		{"unsaved first look", false, at, false, true},
		{"another crash", true, at.Add(time.Second), false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := &liveBackend{dir: t.TempDir()}
			b.snap, b.partial = snap(at, 256, "ram 0x20000100..0x20001000: "+probe.PendingMemoryNote), true
			saved := ""
			if tc.save {
				var err error
				if saved, err = b.SaveCapture(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			path, update := b.whole(snap(tc.wholeAt, 4096))
			if (path != "") != tc.wantPath || update != tc.update {
				t.Fatalf("whole() = %q, %v; want a path: %v, update %v", path, update, tc.wantPath, tc.update)
			}
			if saved == "" {
				return
			}
			onDisk, err := capture.Read(saved)
			if err != nil {
				t.Fatal(err)
			}
			r, _ := onDisk.Region("ram")
			wantLen := 256
			if tc.wantPath {
				wantLen = 4096
			}
			if len(r.Data) != wantLen || (tc.wantPath && len(onDisk.Meta.Missing) != 0) {
				t.Errorf("file on disk: %d bytes of RAM, missing %q; want %d", len(r.Data), onDisk.Meta.Missing, wantLen)
			}
		})
	}
}
