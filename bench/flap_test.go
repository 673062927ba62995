package bench

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/faultline-dev/faultline/emu"
	"github.com/faultline-dev/faultline/probe"
)

// countingLink is a link that only counts.
type countingLink struct {
	mu              sync.Mutex
	drops, restores int
}

func (l *countingLink) Drop(context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.drops++
	return nil
}

func (l *countingLink) Restore(context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.restores++
	return nil
}

func (l *countingLink) counts() (drops, restores int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.drops, l.restores
}

// TestFlappingStopsAfterACrash: the demo drops the link until a crash is
// caught, then leaves it up and says so on the timeline (after the last
// restore); ended for another reason (Ctrl-C) it says nothing of a crash.
func TestFlappingStopsAfterACrash(t *testing.T) {
	for _, crash := range []bool{true, false} {
		t.Run(map[bool]string{true: "crash", false: "ctrl-c"}[crash], func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			tl := probe.NewTimeline(1000)
			link := &countingLink{}
			fctx, stop := context.WithCancel(ctx)
			defer stop()
			done := make(chan struct{})
			go func() {
				defer close(done)
				flapUntilCrash(fctx, link, tl, tl.Subscribe(fctx), emu.FlapSchedule{Seed: 1, Every: 30 * time.Millisecond, Down: 10 * time.Millisecond})
			}()
			for d, _ := link.counts(); d < 2; d, _ = link.counts() {
				select {
				case <-done:
					t.Fatal("flapping ended by itself")
				case <-time.After(5 * time.Millisecond):
				}
			}
			if crash {
				tl.Add(probe.Event{Kind: probe.EventCapture, Source: "faultline", Text: "crash caught: fault-handler: HardFault"})
			} else {
				stop()
			}
			select {
			case <-done:
			case <-time.After(2 * time.Second):
				t.Fatal("the link still flaps")
			}
			if d, r := link.counts(); d != r {
				t.Errorf("%d drops, %d restores: the link was left down", d, r)
			}
			evs := tl.Events()
			last := evs[len(evs)-1].Text
			if crash && last != FlappingStopped {
				t.Errorf("last timeline event %q, want %q", last, FlappingStopped)
			}
			for _, e := range evs {
				if !crash && e.Text == FlappingStopped {
					t.Errorf("ended by Ctrl-C, the timeline says %q", e.Text)
				}
			}
		})
	}
}
