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
	// Subscribed before anything runs, so no crash goes unseen.
	events := tl.Subscribe(tctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := s.Bench.WiFi().WaitListening(tctx); err != nil {
			return
		}
		benchEvent(tl, "web server listening on "+s.URL())
		wg.Go(func() {
			emu.RunLoad(tctx, emu.LoadConfig{URL: s.URL(), Workers: t.Workers, Seed: t.Seed}, stats)
		})
		flapUntilCrash(tctx, s.Bench.Link(), tl, events, emu.FlapSchedule{Seed: t.Seed, Every: t.DropEvery, Down: t.Down})
	})
	s.mu.Lock()
	s.traffic = append(s.traffic, func() { cancel(); wg.Wait() })
	s.mu.Unlock()
	return stats
}

// flapUntilCrash flaps link on sched, telling tl, until ctx ends or events
// (tl's, subscribed before the crash could happen) carry a caught crash;
// then, the link restored, it says FlappingStopped.
func flapUntilCrash(ctx context.Context, link emu.Link, tl *probe.Timeline, events <-chan probe.Event, sched emu.FlapSchedule) {
	fctx, stopFlap := context.WithCancel(ctx)
	defer stopFlap()
	var crashed atomic.Bool
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		for {
			select {
			case e, ok := <-events:
				if !ok {
					return
				}
				if e.Kind == probe.EventCapture {
					crashed.Store(true)
					stopFlap()
					return
				}
			case <-fctx.Done():
				return
			}
		}
	}()
	sched.Event = func(text string) { benchEvent(tl, text) }
	emu.Flap(fctx, link, sched)
	stopFlap()
	<-watched
	// Flap has restored the link by now, so this is the last word.
	if crashed.Load() && ctx.Err() == nil {
		benchEvent(tl, FlappingStopped)
	}
}

// benchEvent puts what the bench did on the timeline.
func benchEvent(tl *probe.Timeline, text string) {
	tl.Add(probe.Event{Time: time.Now(), Kind: probe.EventTargetState, Source: "bench", Text: text})
}
