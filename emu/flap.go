package emu

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"
)

// A Link drops and restores a device's network link: the bench's emulated
// WiFi (Bench.Link), or a user's commands on real hardware.
type Link interface {
	Drop(ctx context.Context) error
	Restore(ctx context.Context) error
}

// Link is the bench's WiFi as a Link.
func (b *Bench) Link() Link { return benchLink{b} }

type benchLink struct{ b *Bench }

func (l benchLink) Drop(context.Context) error    { l.b.DropLink(); return nil }
func (l benchLink) Restore(context.Context) error { l.b.RestoreLink(); return nil }

// A FlapSchedule says when the link drops: about every Every (jittered,
// the jitter drawn from Seed), for Down each time. Every must be longer
// than Down.
type FlapSchedule struct {
	Seed        uint64
	Every, Down time.Duration
	// Event, when set, is told what happened ("WiFi link dropped (#3)"),
	// for a timeline.
	Event func(text string)
	// AfterRestore, when set, runs after restore number n, before the next
	// wait; it returns false to stop flapping (soak's liveness check).
	AfterRestore func(n int) bool
}

// Flap drops and restores link on schedule s, like pulling the access
// point's cable, until ctx ends or s.AfterRestore says stop. The link is
// always left restored, even when ctx ends while it is down.
func Flap(ctx context.Context, link Link, s FlapSchedule) {
	rng := rand.New(rand.NewPCG(s.Seed, 0x5eed))
	wait := func(d time.Duration) bool {
		select {
		case <-ctx.Done():
			return false
		case <-time.After(d):
			return true
		}
	}
	event := func(text string) {
		if s.Event != nil {
			s.Event(text)
		}
	}
	restore := func(ctx context.Context) {
		if err := link.Restore(ctx); err != nil {
			event("link restore failed: " + err.Error())
			return
		}
		event("WiFi link restored")
	}
	up := s.Every - s.Down
	if up <= 0 {
		event(fmt.Sprintf("link flapping off: drop every %v is not longer than down for %v", s.Every, s.Down))
		return
	}
	for n := 1; ; n++ {
		if !wait(up/2 + time.Duration(rng.Int64N(int64(up)))) {
			return
		}
		if err := link.Drop(ctx); err != nil {
			event(fmt.Sprintf("link drop #%d failed: %v", n, err))
			continue
		}
		event(fmt.Sprintf("WiFi link dropped (#%d)", n))
		if !wait(s.Down) {
			// Never leave the link down behind us, even on Ctrl-C.
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			restore(rctx)
			cancel()
			return
		}
		restore(ctx)
		if s.AfterRestore != nil && !s.AfterRestore(n) {
			return
		}
	}
}
