package probe

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"
)

func TestTimelineKeepsNewestEventsInOrder(t *testing.T) {
	tl := NewTimeline(3)
	for i := range 5 {
		tl.Add(Event{Kind: EventConsoleLine, Text: strconv.Itoa(i)})
	}
	ev := tl.Events()
	if len(ev) != 3 || ev[0].Text != "2" || ev[2].Text != "4" {
		t.Fatalf("events = %v, want 2,3,4", ev)
	}
	if tl.Total() != 5 || tl.Len() != 3 {
		t.Errorf("Total, Len = %d, %d; want 5, 3", tl.Total(), tl.Len())
	}
	if ev[0].Time.IsZero() {
		t.Error("Add did not stamp a zero time")
	}
	ev[0].Text = "changed"
	if tl.Events()[0].Text != "2" {
		t.Error("Events returned the ring itself, not a copy")
	}
}

func TestTimelineSlowSubscriberGetsDropMarkerAndNeverBlocksProducer(t *testing.T) {
	verifyNoLeaks(t)
	tl := NewTimeline(10)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	slow := tl.Subscribe(ctx)
	fast := tl.Subscribe(ctx)

	n := subscriberBuffer + 500
	var fastGot []Event
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for e := range fast {
			fastGot = append(fastGot, e)
		}
	}()
	done := make(chan struct{})
	go func() {
		for i := range n {
			tl.Add(Event{Kind: EventConsoleLine, Text: strconv.Itoa(i)})
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Add blocked on a subscriber that does not read")
	}
	// The slow reader wakes up and reads two events: room for the drop
	// marker and one more.
	got := []Event{<-slow, <-slow}
	waitFor(t, "fast reader to drain", 5*time.Second, func() bool { return len(fast) == 0 })
	tl.Add(Event{Kind: EventPanic, Text: "last"})

	// It drains the rest: its buffer, then the drop marker, then "last".
	timeout := time.After(5 * time.Second)
	for e := range slow {
		select {
		case <-timeout:
			t.Fatal("slow subscriber never got the last event")
		default:
		}
		got = append(got, e)
		if e.Text == "last" {
			break
		}
	}
	if len(got) != subscriberBuffer+2 {
		t.Fatalf("slow subscriber got %d events, want %d", len(got), subscriberBuffer+2)
	}
	marker := got[subscriberBuffer]
	wantDropped := strconv.Itoa(n - subscriberBuffer)
	if marker.Kind != EventDropped || marker.Fields["dropped"] != wantDropped {
		t.Errorf("marker = %+v, want dropped %s", marker, wantDropped)
	}
	cancel()
	wg.Wait()
	// A reader that keeps up loses nothing silently: what it got plus what
	// the markers say it missed is everything.
	accounted := 0
	for _, e := range fastGot {
		if e.Kind == EventDropped {
			k, _ := strconv.Atoi(e.Fields["dropped"])
			accounted += k
		} else {
			accounted++
		}
	}
	if accounted != n+1 {
		t.Errorf("fast subscriber accounted for %d events, want %d", accounted, n+1)
	}
}

func TestTimelineSubscriptionEndsWithContextOrClose(t *testing.T) {
	verifyNoLeaks(t)
	tl := NewTimeline(0)
	ctx, cancel := context.WithCancel(context.Background())
	ch := tl.Subscribe(ctx)
	cancel()
	select {
	case _, ok := <-ch:
		if ok {
			t.Error("got an event after cancel")
		}
	case <-time.After(2 * time.Second):
		t.Fatal("channel not closed after cancel")
	}

	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	ch2 := tl.Subscribe(ctx2)
	tl.Close()
	if _, ok := <-ch2; ok {
		t.Error("channel open after Close")
	}
	if _, ok := <-tl.Subscribe(ctx2); ok {
		t.Error("Subscribe after Close gave an open channel")
	}
	tl.Add(Event{Text: "still recorded"})
	if tl.Len() != 1 {
		t.Error("Add after Close did not record")
	}
	cancel2()
}

func TestTimelineConcurrentUse(t *testing.T) {
	verifyNoLeaks(t)
	tl := NewTimeline(100)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for i := range 200 {
				tl.Add(Event{Text: fmt.Sprint(w, i)})
			}
		}()
		go func() {
			defer wg.Done()
			sub := tl.Subscribe(ctx)
			for range 50 {
				tl.Events()
			}
			_ = sub
		}()
	}
	wg.Wait()
	if tl.Total() != 800 {
		t.Errorf("Total = %d, want 800", tl.Total())
	}
	cancel()
	time.Sleep(10 * time.Millisecond) // let the unsubscribe goroutines finish
}
