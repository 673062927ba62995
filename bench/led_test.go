package bench

import (
	"context"
	"fmt"
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
//
// Now and then the use-after-free does not fault at all: the stale call
// lands in the startup code and the firmware boots again (a "Last reset
// reason" line with no crash before it), then waits for a network the
// emulated co-processor does not bring back. Such a run has no SOS to
// decode; the test says so and tries a fresh bench, up to three in all.
func TestLEDDecodesTheBundledFirmwaresSOS(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	for attempt := 1; ; attempt++ {
		rebooted := ledSOSAttempt(t, ctx)
		if !rebooted {
			return
		}
		if attempt == 3 {
			t.Fatal("three benches in a row rebooted without a crash: no SOS to decode")
		}
		t.Logf("bench %d: the firmware rebooted without a crash (no SOS to decode); trying a fresh bench", attempt)
	}
}

// ledSOSAttempt runs one bench until the SOS is decoded (it returns false)
// or the firmware reboots without a crash (true); anything else fails t.
func ledSOSAttempt(t *testing.T, ctx context.Context) (rebooted bool) {
	t.Helper()
	d, err := Start(ctx, Config{Variant: "webserver", SampleLED: true, Resume: true})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	actx, cancel := context.WithCancel(ctx)
	defer cancel()
	tl := d.Probe.Timeline()
	events := tl.Subscribe(actx)
	breathing := make(chan struct{})
	go func() {
		// Traffic and drops start once the connected pattern was seen, so
		// the test sees both patterns whatever the crash timing.
		select {
		case <-breathing:
		case <-actx.Done():
			return
		}
		go emu.RunLoad(actx, emu.LoadConfig{URL: d.URL(), Workers: 2, Seed: 3}, &emu.LoadStats{})
		emu.Flap(actx, d.Bench.Link(), emu.FlapSchedule{Seed: 3, Every: 2 * time.Second, Down: 500 * time.Millisecond})
	}()
	go func() {
		for range d.Probe.Crashes() { // drained: the session resumes on its own
		}
	}()
	var seen []string
	started, crashed := false, false
	for {
		select {
		case <-ctx.Done():
			var tail []string
			for _, e := range tl.Events() {
				if e.Source != "bench" {
					tail = append(tail, fmt.Sprintf("%s %s %s: %s", e.Time.Format("15:04:05.000"), e.Source, e.Kind, e.Text))
				}
			}
			st := d.Probe.Status()
			t.Fatalf("no SOS decoded; LED states seen: %q\ntarget %s (%v), LED now %s\nlast timeline events but the bench's:\n%s",
				seen, st.Target, st.Err, st.LED, strings.Join(last(tail, 60), "\n"))
		case e := <-events:
			switch {
			case e.Kind == probe.EventCapture:
				crashed = true
			case e.Kind == probe.EventResetReason && started && !crashed:
				return true
			}
			if e.Kind != probe.EventLEDChange {
				continue
			}
			seen = append(seen, e.Text)
			if strings.HasPrefix(e.Text, "breathing") && !started {
				started = true
				close(breathing)
			}
			if strings.HasPrefix(e.Text, "SOS 1") {
				if !strings.Contains(e.Text, "HardFault") {
					t.Errorf("SOS code 1 decoded as %q, want HardFault", e.Text)
				}
				if !containsPrefix(seen, "breathing") {
					t.Errorf("no breathing pattern before the SOS: %q", seen)
				}
				return false
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
