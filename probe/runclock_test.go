package probe

import (
	"testing"
	"time"
)

func TestRunClockSubtractsHaltsAndStandsStillWhileHalted(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
	var c runClock
	steps := []struct {
		name string
		do   func()
		at   time.Time
		want time.Time
	}{
		{"running from the start", func() {}, ms(100), ms(100)},
		{"halt stops the clock", func() { c.halt(ms(100)) }, ms(180), ms(100)},
		{"a second halt is the same halt", func() { c.halt(ms(150)) }, ms(200), ms(100)},
		{"resume subtracts the halt", func() { c.resume(ms(200)) }, ms(250), ms(150)},
		{"a second resume changes nothing", func() { c.resume(ms(240)) }, ms(300), ms(200)},
		{"halts add up", func() { c.halt(ms(300)); c.resume(ms(350)) }, ms(400), ms(250)},
	}
	for _, s := range steps {
		s.do()
		if got := c.at(s.at); !got.Equal(s.want) {
			t.Errorf("%s: at(+%v) = +%v, want +%v", s.name, s.at.Sub(t0), got.Sub(t0), s.want.Sub(t0))
		}
	}
}
