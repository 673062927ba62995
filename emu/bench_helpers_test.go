package emu_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/faultline-dev/faultline/emu"
	"github.com/faultline-dev/faultline/firmware"
)

// consoleLog collects the firmware's console lines and lets a test wait
// for one.
type consoleLog struct {
	mu      sync.Mutex
	text    strings.Builder
	changed chan struct{}
}

func newConsoleLog() *consoleLog { return &consoleLog{changed: make(chan struct{})} }

func (c *consoleLog) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.text.Write(p)
	close(c.changed)
	c.changed = make(chan struct{})
	return len(p), nil
}

func (c *consoleLog) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.text.String()
}

// count is the number of lines containing s.
func (c *consoleLog) count(s string) int {
	return strings.Count(c.String(), s)
}

// waitFor blocks until the console holds n lines containing s.
func (c *consoleLog) waitFor(ctx context.Context, s string, n int) bool {
	for {
		c.mu.Lock()
		ok := strings.Count(c.text.String(), s) >= n
		ch := c.changed
		c.mu.Unlock()
		if ok {
			return true
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return false
		}
	}
}

type testBench struct {
	*emu.Bench
	console *consoleLog
}

// startBench builds the firmware variant and starts a bench for it, with
// the console captured from the first byte.
func startBench(ctx context.Context, t *testing.T, variant string) *testBench {
	t.Helper()
	elf, err := firmware.ELF(ctx, variant)
	if err != nil {
		t.Fatalf("build firmware: %v", err)
	}
	con := newConsoleLog()
	b, err := emu.StartBench(ctx, emu.BenchConfig{ELF: elf, Console: con, Log: testLog{t}})
	if err != nil {
		t.Fatalf("StartBench: %v", err)
	}
	t.Cleanup(func() {
		if err := b.Stop(); err != nil {
			t.Errorf("Stop: %v", err)
		}
		if t.Failed() {
			t.Logf("console:\n%s", tail(con.String(), 3000))
		}
	})
	return &testBench{Bench: b, console: con}
}

// testLog sends QEMU's and the co-processor's lines to t.Log.
type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

func waitCtx(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func splitLines(s string) []string { return strings.Split(s, "\n") }
func contains(s, sub string) bool  { return strings.Contains(s, sub) }
