package probe

import (
	"sync"
	"time"
)

// A runClock tells the time the target has spent running. The firmware's
// own clock (SysTick, and QEMU's virtual clock) stops while the core is
// halted in debug state, so an LED pattern timed by the firmware is only
// recognisable on this clock: on the wall clock every halt for a sample
// stretches it, by half or more when a loaded host makes halts slow.
type runClock struct {
	mu       sync.Mutex
	halted   time.Duration // total time halted before haltedAt
	haltedAt time.Time     // when the current halt began; zero while running
}

// halt records that the target stopped at t (a no-op while halted).
func (c *runClock) halt(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.haltedAt.IsZero() {
		c.haltedAt = t
	}
}

// resume records that the target ran again from t (a no-op while running).
func (c *runClock) resume(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.haltedAt.IsZero() {
		if t.After(c.haltedAt) {
			c.halted += t.Sub(c.haltedAt)
		}
		c.haltedAt = time.Time{}
	}
}

// at maps wall time t to run time, expressed as a time.Time so decoders
// keep working with instants: wall time minus every halt so far. While
// halted the clock stands still at the halt.
func (c *runClock) at(t time.Time) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.haltedAt.IsZero() && t.After(c.haltedAt) {
		t = c.haltedAt
	}
	return t.Add(-c.halted)
}
