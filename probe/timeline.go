package probe

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"
)

// EventKind names what an Event records. The values are stable strings:
// they appear in capture files and JSON.
type EventKind string

// Event kinds. Detector kinds (panic, reset-reason, boot, fault-marker,
// user-match) come from DetectorSet; led-change from LEDDecoder.
const (
	EventConsoleLine EventKind = "console-line"
	EventConsoleGap  EventKind = "console-gap" // Fields["state"]: "lost" or "reconnected"
	EventPanic       EventKind = "panic"
	EventResetReason EventKind = "reset-reason"
	EventBoot        EventKind = "boot"
	EventFaultMarker EventKind = "fault-marker"
	EventUserMatch   EventKind = "user-match"
	EventLEDChange   EventKind = "led-change"
	EventTargetState EventKind = "target-state"
	EventCapture     EventKind = "capture"
	EventLockup      EventKind = "lockup"
	// EventDropped is delivered to a subscriber that fell behind, in place of
	// the events it missed; Fields["dropped"] holds the count.
	EventDropped EventKind = "dropped"
)

// An Event is one thing that happened during a live session. Events are
// values: once added to a Timeline, neither the event nor its Fields map
// may be modified.
type Event struct {
	Time   time.Time
	Kind   EventKind
	Source string // who saw it: "serial /dev/ttyACM0", "led", "gdb", ...
	Text   string
	Fields map[string]string
}

// String formats the event as one log line.
func (e Event) String() string {
	return fmt.Sprintf("%s %-13s %s", e.Time.Format("15:04:05.000"), e.Kind, e.Text)
}

// DefaultTimelineCap is the number of events a Timeline keeps when
// NewTimeline is given a non-positive capacity.
const DefaultTimelineCap = 10000

// subscriberBuffer is each subscriber's channel capacity: enough for bursts
// of console lines, small enough that a stuck reader costs little memory.
const subscriberBuffer = 1024

// A Timeline is a bounded ring of events, safe for concurrent use. Adding
// never blocks: subscribers that cannot keep up lose events and are told
// how many (a EventDropped event) instead of slowing the producer, which is
// usually the serial reader.
type Timeline struct {
	mu     sync.Mutex
	ring   []Event
	start  int // index of the oldest event
	n      int // events held
	total  uint64
	subs   map[*subscriber]struct{}
	closed bool
}

type subscriber struct {
	ch      chan Event
	dropped int
}

// NewTimeline returns a timeline holding at most capacity events
// (DefaultTimelineCap when capacity <= 0); the oldest are forgotten first.
func NewTimeline(capacity int) *Timeline {
	if capacity <= 0 {
		capacity = DefaultTimelineCap
	}
	return &Timeline{ring: make([]Event, capacity), subs: make(map[*subscriber]struct{})}
}

// Add records e (stamping it with the current time when e.Time is zero) and
// offers it to every subscriber without blocking.
func (t *Timeline) Add(e Event) {
	if t == nil {
		return
	}
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.n < len(t.ring) {
		t.ring[(t.start+t.n)%len(t.ring)] = e
		t.n++
	} else {
		t.ring[t.start] = e
		t.start = (t.start + 1) % len(t.ring)
	}
	t.total++
	for s := range t.subs {
		s.offer(e)
	}
}

// offer sends e without blocking. A pending drop count goes first, so the
// reader learns of the hole exactly where it is in the stream.
func (s *subscriber) offer(e Event) {
	if s.dropped > 0 {
		marker := Event{
			Time:   e.Time,
			Kind:   EventDropped,
			Source: "timeline",
			Text:   fmt.Sprintf("dropped %d events (subscriber too slow)", s.dropped),
			Fields: map[string]string{"dropped": strconv.Itoa(s.dropped)},
		}
		select {
		case s.ch <- marker:
			s.dropped = 0
		default:
			s.dropped++
			return
		}
	}
	select {
	case s.ch <- e:
	default:
		s.dropped++
	}
}

// Events returns a copy of the events held, oldest first.
func (t *Timeline) Events() []Event {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]Event, t.n)
	for i := range t.n {
		out[i] = t.ring[(t.start+i)%len(t.ring)]
	}
	return out
}

// Len returns the number of events held; Total the number ever added.
func (t *Timeline) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.n
}

// Total returns the number of events ever added, including forgotten ones.
func (t *Timeline) Total() uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.total
}

// Subscribe returns a channel that receives every event added from now on,
// until ctx is done or the timeline is closed; then the channel is closed.
// A reader that falls behind gets a EventDropped event in place of what it
// missed.
func (t *Timeline) Subscribe(ctx context.Context) <-chan Event {
	s := &subscriber{ch: make(chan Event, subscriberBuffer)}
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		close(s.ch)
		return s.ch
	}
	t.subs[s] = struct{}{}
	t.mu.Unlock()
	go func() {
		<-ctx.Done()
		t.unsubscribe(s)
	}()
	return s.ch
}

func (t *Timeline) unsubscribe(s *subscriber) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.subs[s]; ok {
		delete(t.subs, s)
		close(s.ch)
	}
}

// Close ends every subscription (their channels close); later Subscribe
// calls get a closed channel. Add keeps recording.
func (t *Timeline) Close() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.closed = true
	for s := range t.subs {
		delete(t.subs, s)
		close(s.ch)
	}
}
