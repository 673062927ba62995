package bench

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/faultline-dev/faultline/emu"
	"github.com/faultline-dev/faultline/probe"
)

// Traffic is what Drive sends at the bench: the reporter's stress test
// (Workers clients in a loop) and WiFi drops about every DropEvery for
// Down, jittered from Seed.
type Traffic struct {
	Workers         int
	Seed            uint64
	DropEvery, Down time.Duration
}

// FlappingStopped is the timeline's text when Drive stops dropping the
// link because the device crashed.
const FlappingStopped = "link flapping stopped: the device crashed (the load goes on)"

// Drive starts the traffic once the web server listens and returns its
// counters. The link flaps until the session catches a crash: from then on
// the link stays up, so what the crash left behind is not disturbed by
// drops that would only pile more events on the timeline, and the
// timeline says so. Close (or ctx) stops the traffic before the bench.
func (s *Session) Drive(ctx context.Context, t Traffic) *emu.LoadStats {
	stats := &emu.LoadStats{}
	tctx, cancel := context.WithCancel(ctx)
	tl := s.Probe.Timeline()
	event := func(text string) {
		tl.Add(probe.Event{Time: time.Now(), Kind: probe.EventTargetState, Source: "bench", Text: text})
	}
	// Subscribed before anything runs, so no crash goes unseen.
	events := tl.Subscribe(tctx)
	fctx, stopFlap := context.WithCancel(tctx)
	var crashed atomic.Bool
	var wg sync.WaitGroup
	wg.Go(func() {
		for e := range events {
			if e.Kind == probe.EventCapture {
				crashed.Store(true)
				stopFlap()
				return
			}
		}
	})
	wg.Go(func() {
		defer stopFlap()
		if err := s.Bench.WiFi().WaitListening(tctx); err != nil {
			return
		}
		event("web server listening on " + s.URL())
		wg.Go(func() {
			emu.RunLoad(tctx, emu.LoadConfig{URL: s.URL(), Workers: t.Workers, Seed: t.Seed}, stats)
		})
		emu.Flap(fctx, s.Bench.Link(), emu.FlapSchedule{Seed: t.Seed, Every: t.DropEvery, Down: t.Down, Event: event})
		// Flap has restored the link by now, so this is the last word.
		if crashed.Load() && tctx.Err() == nil {
			event(FlappingStopped)
		}
	})
	s.mu.Lock()
	s.traffic = append(s.traffic, func() { cancel(); wg.Wait() })
	s.mu.Unlock()
	return stats
}
