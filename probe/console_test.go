package probe

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/faultline-dev/faultline/internal/syncbuf"
)

// newPTY returns a pty master and its slave's path. The slave is closed
// here: the console opens it by path as it would a real device.
func newPTY(t testing.TB) (*os.File, string) {
	t.Helper()
	m, s, err := pty.Open()
	if err != nil {
		t.Fatalf("open pty: %v", err)
	}
	path := s.Name()
	s.Close()
	t.Cleanup(func() { m.Close() })
	return m, path
}

// waitFor polls cond until it holds or the deadline passes. Deadlines are
// generous: they only bound a failure, and CI runs every package at once.
func waitFor(t testing.TB, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func openTestConsole(t *testing.T, path string, opts ConsoleOptions) *Console {
	t.Helper()
	spec, err := ParseSerialSpec(path + "@921600")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	c, err := OpenConsole(ctx, spec, opts)
	if err != nil {
		t.Fatalf("OpenConsole(%s): %v", path, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func texts(lines []Line) []string {
	var out []string
	for _, l := range lines {
		s := l.Text
		if l.Partial {
			s += "<partial>"
		}
		out = append(out, s)
	}
	return out
}

func TestConsoleSplitsLinesOnEveryTerminator(t *testing.T) {
	tests := []struct {
		name   string
		writes []string
		want   []string
	}{
		{"lf", []string{"one\ntwo\n"}, []string{"one", "two"}},
		{"crlf", []string{"one\r\ntwo\r\n"}, []string{"one", "two"}},
		{"cr only", []string{"one\rtwo\r"}, []string{"one", "two"}},
		{"lfcr", []string{"one\n\rtwo\n\r"}, []string{"one", "two"}},
		{"crlf split across writes", []string{"one\r", "\ntwo\r\n"}, []string{"one", "two"}},
		{"blank lines kept", []string{"a\n\n\nb\n"}, []string{"a", "", "", "b"}},
		{"line in pieces", []string{"0000001234 [app]", " INFO: hel", "lo\n"}, []string{"0000001234 [app] INFO: hello"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			verifyNoLeaks(t)
			m, path := newPTY(t)
			c := openTestConsole(t, path, ConsoleOptions{IdleFlush: 2 * time.Second})
			for _, w := range tt.writes {
				if _, err := m.WriteString(w); err != nil {
					t.Fatal(err)
				}
				time.Sleep(20 * time.Millisecond) // separate reads
			}
			waitFor(t, "lines", 10*time.Second, func() bool { return len(c.Lines()) >= len(tt.want) })
			time.Sleep(30 * time.Millisecond) // nothing extra may follow
			if got := texts(c.Lines()); strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("lines = %q, want %q", got, tt.want)
			}
			if err := c.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
	}
}

func TestConsoleFlushesPartialLineAfterIdle(t *testing.T) {
	verifyNoLeaks(t)
	m, path := newPTY(t)
	const idle = 300 * time.Millisecond
	c := openTestConsole(t, path, ConsoleOptions{IdleFlush: idle})
	start := time.Now()
	m.WriteString("login: ")
	waitFor(t, "partial line", 10*time.Second, func() bool { return len(c.Lines()) == 1 })
	if el := time.Since(start); el < idle {
		t.Errorf("partial line flushed after %v, before the idle timeout", el)
	}
	m.WriteString("rest\n")
	waitFor(t, "second line", 10*time.Second, func() bool { return len(c.Lines()) == 2 })
	want := []string{"login: <partial>", "rest"}
	if got := texts(c.Lines()); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("lines = %q, want %q", got, want)
	}
	l := c.Lines()[0]
	// Stamped when its first byte was read, not when the idle flush emitted it.
	if l.Time.Before(start) || l.Time.After(start.Add(idle*3/4)) {
		t.Errorf("partial line stamped %v after write, want the time of its first byte", l.Time.Sub(start))
	}
}

func TestConsoleEscapesBinaryNoiseButLogsRawBytes(t *testing.T) {
	verifyNoLeaks(t)
	m, path := newPTY(t)
	raw := &syncbuf.Buffer{}
	c := openTestConsole(t, path, ConsoleOptions{LogFile: raw})
	in := "boot\x00\x01\xff\xfe\x1b[31mred\x7f ok \u00e9\u2713\tend\n"
	m.WriteString(in)
	waitFor(t, "line", 10*time.Second, func() bool { return len(c.Lines()) == 1 })
	want := `boot\x00\x01\xff\xfe\x1b[31mred\x7f ok ` + "\u00e9\u2713\tend"
	if got := c.Lines()[0].Text; got != want {
		t.Errorf("text = %q, want %q", got, want)
	}
	if got := string(raw.Bytes()); got != in {
		t.Errorf("raw log = %q, want the bytes as sent %q", got, in)
	}
}

func TestConsoleCutsOverlongLines(t *testing.T) {
	m, path := newPTY(t)
	c := openTestConsole(t, path, ConsoleOptions{MaxLine: 10})
	m.WriteString("0123456789abcdefghij-tail\n")
	waitFor(t, "lines", 10*time.Second, func() bool { return len(c.Lines()) == 3 })
	want := []string{"0123456789<partial>", "abcdefghij<partial>", "-tail"}
	if got := texts(c.Lines()); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("lines = %q, want %q", got, want)
	}
}

func TestConsoleScrollbackIsBounded(t *testing.T) {
	m, path := newPTY(t)
	c := openTestConsole(t, path, ConsoleOptions{Scrollback: 5})
	for i := range 12 {
		fmt.Fprintf(m, "line %d\n", i)
	}
	waitFor(t, "last line", 10*time.Second, func() bool {
		l := c.Tail(1)
		return len(l) == 1 && l[0].Text == "line 11"
	})
	if got := texts(c.Lines()); strings.Join(got, "|") != "line 7|line 8|line 9|line 10|line 11" {
		t.Errorf("scrollback = %q", got)
	}
	if got := texts(c.Tail(2)); strings.Join(got, "|") != "line 10|line 11" {
		t.Errorf("Tail(2) = %q", got)
	}
	if l := c.Tail(1)[0]; l.Seq != 12 {
		t.Errorf("last Seq = %d, want 12", l.Seq)
	}
}

// The Photon's USB console disappears on every reset. The console must
// keep what it read, say there was a gap, reopen the same path and go on.
func TestConsoleSurvivesPortVanishingAndReturning(t *testing.T) {
	verifyNoLeaks(t)
	dir := t.TempDir()
	link := filepath.Join(dir, "ttyACM0")
	m1, path1 := newPTY(t)
	if err := os.Symlink(path1, link); err != nil {
		t.Fatal(err)
	}
	tl := NewTimeline(0)
	raw := &syncbuf.Buffer{}
	c := openTestConsole(t, link, ConsoleOptions{Timeline: tl, LogFile: raw, IdleFlush: 10 * time.Second,
		ReconnectMin: 20 * time.Millisecond, ReconnectMax: 200 * time.Millisecond})

	var before []string
	for i := range 50 {
		before = append(before, fmt.Sprintf("0000%06d [app] INFO: before %d", i, i))
	}
	m1.WriteString(strings.Join(before, "\r\n") + "\r\n" + "dying mid-li")
	// Bytes the kernel buffered but nobody read are flushed by the pty
	// hangup; the console can only keep what it read, so wait until it has.
	waitFor(t, "raw bytes read", 10*time.Second, func() bool { return bytes.HasSuffix(raw.Bytes(), []byte("dying mid-li")) })
	// The port vanishes, its name first, as a re-enumerating USB port's
	// does. Left in place, the link would name /dev/pts/N after its master
	// closed, and the kernel hands N to the next pty anyone opens: the
	// console would reconnect to another test's (or QEMU's) pty and read
	// its lines.
	if err := os.Remove(link); err != nil {
		t.Fatal(err)
	}
	m1.Close()
	waitFor(t, "gap event", 10*time.Second, func() bool { return c.Gaps() == 1 })
	if _, up := c.Device(); up {
		t.Error("Device() says connected during the gap")
	}

	time.Sleep(100 * time.Millisecond) // a few failed reopen attempts
	m2, path2 := newPTY(t)
	tmp := link + ".new"
	if err := os.Symlink(path2, tmp); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, link); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "reconnect", 10*time.Second, func() bool { _, up := c.Device(); return up })
	m2.WriteString("0000000001 [app] INFO: after\r\n")
	waitFor(t, "line after gap", 10*time.Second, func() bool {
		l := c.Tail(1)
		return len(l) == 1 && strings.HasSuffix(l[0].Text, "after")
	})

	got := texts(c.Lines())
	want := append(append(before, "dying mid-li<partial>"), "0000000001 [app] INFO: after")
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("lines across the gap:\n got %q\nwant %q", got, want)
	}
	var gaps []string
	for _, e := range tl.Events() {
		if e.Kind == EventConsoleGap {
			gaps = append(gaps, e.Fields["state"])
		}
	}
	if strings.Join(gaps, ",") != "lost,reconnected" {
		t.Errorf("gap events = %v, want lost then reconnected", gaps)
	}
	// The gap comes after the last line before it and before the first after it.
	var order []string
	for _, e := range tl.Events() {
		if e.Kind == EventConsoleGap || strings.Contains(e.Text, "mid-li") || strings.HasSuffix(e.Text, "after") {
			order = append(order, string(e.Kind))
		}
	}
	if strings.Join(order, ",") != "console-line,console-gap,console-gap,console-line" {
		t.Errorf("timeline order = %v", order)
	}
	if err := c.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}

func TestConsoleReadsTCPAndReportsEndOfStream(t *testing.T) {
	verifyNoLeaks(t)
	ln := listenTCP(t)
	spec, _ := ParseSerialSpec("tcp:" + ln.Addr().String())
	tl := NewTimeline(0)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	accepted := make(chan struct{}, 4)
	go func() {
		for n := 0; ; n++ {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			fmt.Fprintf(conn, "hello %d\nbye %d", n, n)
			conn.Close() // unlike a pty, TCP delivers everything before EOF
			accepted <- struct{}{}
		}
	}()
	c, err := OpenConsole(ctx, spec, ConsoleOptions{Timeline: tl, ReconnectMin: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "reconnect after EOF", 10*time.Second, func() bool { return len(c.Lines()) >= 4 })
	c.Close()
	ln.Close()
	got := texts(c.Lines())[:4]
	want := []string{"hello 0", "bye 0<partial>", "hello 1", "bye 1<partial>"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("lines = %q, want %q", got, want)
	}
}

func TestOpenConsoleFailsFastOnMissingDevice(t *testing.T) {
	spec, _ := ParseSerialSpec("/nonexistent/ttyX")
	_, err := OpenConsole(context.Background(), spec, ConsoleOptions{})
	if err == nil || !strings.Contains(err.Error(), "/nonexistent/ttyX") {
		t.Errorf("err = %v, want one naming the device", err)
	}
}

func TestCloseStopsConsoleWithoutLeaks(t *testing.T) {
	verifyNoLeaks(t)
	m, path := newPTY(t)
	logPath := filepath.Join(t.TempDir(), "raw.log")
	c := openTestConsole(t, path, ConsoleOptions{LogPath: logPath})
	m.WriteString("x\n")
	waitFor(t, "line", 10*time.Second, func() bool { return len(c.Lines()) == 1 })
	start := time.Now()
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if el := time.Since(start); el > time.Second {
		t.Errorf("Close took %v", el)
	}
	if err := c.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	select {
	case <-c.Done():
	default:
		t.Error("Done not closed after Close")
	}
	if b, _ := os.ReadFile(logPath); string(b) != "x\n" {
		t.Errorf("raw log file = %q", b)
	}
}

// A USB console is found by serial number at every reopen: after a reset
// the board may come back under another device name.
func TestConsoleFollowsUSBSerialNumberAcrossReenumeration(t *testing.T) {
	verifyNoLeaks(t)
	var mu sync.Mutex
	current := "" // the device the fake enumerator reports; "" = unplugged
	list := func() ([]*USBPort, error) {
		mu.Lock()
		defer mu.Unlock()
		if current == "" {
			return nil, nil
		}
		return []*USBPort{{Name: current, IsUSB: true, VID: "2B04", PID: "C006", SerialNumber: "3C002B000D47"}}, nil
	}
	plug := func(path string) {
		mu.Lock()
		current = path
		mu.Unlock()
	}
	spec, err := ParseSerialSpec("usb:3c002b000d47@115200")
	if err != nil {
		t.Fatal(err)
	}
	tl := NewTimeline(0)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// Not plugged in yet: WaitForPort lets the console start anyway.
	c, err := OpenConsole(ctx, spec, ConsoleOptions{ListPorts: list, Timeline: tl, WaitForPort: true,
		ReconnectMin: 10 * time.Millisecond, ReconnectMax: 50 * time.Millisecond})
	if err != nil {
		t.Fatalf("OpenConsole with WaitForPort: %v", err)
	}
	defer c.Close()
	m1, path1 := newPTY(t)
	plug(path1)
	waitFor(t, "first connect", 10*time.Second, func() bool { _, up := c.Device(); return up })
	m1.WriteString("0000001000 [app] INFO: first\n")
	waitFor(t, "first line", 10*time.Second, func() bool { return len(c.Lines()) == 1 })

	plug("")
	m1.Close() // reset: the port vanishes
	waitFor(t, "gap", 10*time.Second, func() bool { return c.Gaps() == 2 })
	m2, path2 := newPTY(t) // re-enumerated under another name
	plug(path2)
	waitFor(t, "reconnect", 10*time.Second, func() bool { d, up := c.Device(); return up && d == path2 })
	m2.WriteString("0000000005 [app] INFO: second\n")
	waitFor(t, "second line", 10*time.Second, func() bool { return len(c.Lines()) == 2 })

	var states []string
	for _, e := range tl.Events() {
		if e.Kind == EventConsoleGap {
			states = append(states, e.Fields["state"])
		}
	}
	if strings.Join(states, ",") != "lost,reconnected,lost,reconnected" {
		t.Errorf("gap events = %v", states)
	}
	if path1 == path2 {
		t.Logf("note: the kernel reused pty %s", path1)
	}
}
