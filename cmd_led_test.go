package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/faultline-dev/faultline/emu"
	"github.com/faultline-dev/faultline/probe"
)

// TestLEDDecodesTheBundledFirmwaresSOS: end to end on the bundled firmware,
// the LED sampled through the GDB stub decodes to breathing cyan while the
// server runs and to "SOS 1 HardFault" once the firmware's own panic handler
// runs after the crash (the session resumes it after capturing).
func TestLEDDecodesTheBundledFirmwaresSOS(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	d, err := startBenchSession(ctx, benchSessionConfig{variant: "webserver", port: 0, sampleLED: true, resume: true}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer d.stop()
	tl := d.sess.Timeline()
	events := tl.Subscribe(ctx)
	breathing := make(chan struct{})
	go func() {
		// Traffic and drops start once the connected pattern was seen, so
		// the test sees both patterns whatever the crash timing.
		select {
		case <-breathing:
		case <-ctx.Done():
			return
		}
		go emu.RunLoad(ctx, emu.LoadConfig{URL: "http://" + d.bench.HTTPAddr() + "/", Workers: 2, Seed: 3}, &emu.LoadStats{})
		flapLink(ctx, benchLink{d.bench}, tl, flapSchedule{seed: 3, every: 2 * time.Second, down: 500 * time.Millisecond}, nil)
	}()
	go func() {
		for range d.sess.Crashes() { // drained: the session resumes on its own
		}
	}()
	var seen []string
	for {
		select {
		case <-ctx.Done():
			var tail []string
			for _, e := range tl.Events() {
				if e.Source != "bench" {
					tail = append(tail, fmt.Sprintf("%s %s %s: %s", e.Time.Format("15:04:05.000"), e.Source, e.Kind, e.Text))
				}
			}
			st := d.sess.Status()
			t.Fatalf("no SOS decoded; LED states seen: %q\ntarget %s (%v), LED now %s\nlast timeline events but the bench's:\n%s",
				seen, st.Target, st.Err, st.LED, strings.Join(last(tail, 60), "\n"))
		case e := <-events:
			if e.Kind != probe.EventLEDChange {
				continue
			}
			seen = append(seen, e.Text)
			if strings.HasPrefix(e.Text, "breathing") && !containsPrefix(seen[:len(seen)-1], "breathing") {
				close(breathing)
			}
			if strings.HasPrefix(e.Text, "SOS 1") {
				if !strings.Contains(e.Text, "HardFault") {
					t.Errorf("SOS code 1 decoded as %q, want HardFault", e.Text)
				}
				if !containsPrefix(seen, "breathing") {
					t.Errorf("no breathing pattern before the SOS: %q", seen)
				}
				return
			}
		}
	}
}

func last[T any](s []T, n int) []T { return s[max(0, len(s)-n):] }

func containsPrefix(ss []string, p string) bool {
	for _, s := range ss {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}
