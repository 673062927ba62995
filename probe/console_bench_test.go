package probe

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkConsoleThroughput writes Device OS log lines into a pty as fast
// as the pty takes them, with the whole pipeline on (scrollback, raw log,
// timeline, detectors), and checks every line arrives, in order. 921600
// baud is 92160 bytes/s; the metric x921600 says how many times faster
// than that the console keeps up.
//
//	go test -run '^$' -bench ConsoleThroughput ./probe
func BenchmarkConsoleThroughput(b *testing.B) {
	const totalBytes = 4 << 20 // ~45s of 921600 baud
	var data bytes.Buffer
	lines := 0
	for data.Len() < totalBytes {
		fmt.Fprintf(&data, "%010d [app.http] INFO: client %d request GET /status 200 seq=%d\r\n", lines*3, lines%5, lines)
		lines++
	}
	payload := data.Bytes()

	var elapsed time.Duration
	var totalSplits int64
	for b.Loop() {
		m, path := newPTY(b)
		var got, bad, splits atomic.Int64
		raw := &countingWriter{}
		spec, _ := ParseSerialSpec(path + "@921600")
		ctx, cancel := context.WithCancel(context.Background())
		var pending string // a partial line flushed by the idle timeout when the writer stalled
		c, err := OpenConsole(ctx, spec, ConsoleOptions{
			Scrollback: 1000, LogFile: raw, Timeline: NewTimeline(1000), Detectors: NewDetectorSet(nil),
			OnLine: func(l Line) {
				if l.Partial {
					// On a loaded machine the writer can stall past IdleFlush
					// mid-line: the bytes are all there, in two pieces.
					pending += l.Text
					splits.Add(1)
					return
				}
				text := pending + l.Text
				pending = ""
				i := strings.LastIndex(text, "seq=")
				n, err := strconv.Atoi(text[i+4:])
				if i < 0 || err != nil || int64(n) != got.Load() {
					bad.Add(1)
				}
				got.Add(1)
			},
		})
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		go func() {
			for p := payload; len(p) > 0; {
				n, err := m.Write(p[:min(len(p), 64<<10)])
				if err != nil {
					return
				}
				p = p[n:]
			}
		}()
		deadline := time.Now().Add(60 * time.Second)
		for got.Load() < int64(lines) && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		elapsed += time.Since(start)
		totalSplits += splits.Load()
		c.Close()
		cancel()
		m.Close()
		if got.Load() != int64(lines) || bad.Load() != 0 || raw.n.Load() != int64(len(payload)) {
			b.Fatalf("got %d of %d lines, %d out of order or damaged, raw log %d of %d bytes",
				got.Load(), lines, bad.Load(), raw.n.Load(), len(payload))
		}
	}
	secs := elapsed.Seconds() / float64(b.N)
	b.ReportMetric(float64(lines)/secs, "lines/s")
	b.ReportMetric(float64(len(payload))/secs/1e6, "MB/s")
	b.ReportMetric(float64(len(payload))/secs/92160, "x921600")
	b.ReportMetric(float64(totalSplits)/float64(b.N), "idle-splits")
}

type countingWriter struct{ n atomic.Int64 }

func (w *countingWriter) Write(p []byte) (int, error) {
	w.n.Add(int64(len(p)))
	return len(p), nil
}
