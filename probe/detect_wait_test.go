package probe

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestWaitCrashReturnsOnPanicLine(t *testing.T) {
	verifyNoLeaks(t)
	m, path := newPTY(t)
	tl := NewTimeline(0)
	c := openTestConsole(t, path, ConsoleOptions{Timeline: tl, Detectors: NewDetectorSet(nil)})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	go func() {
		time.Sleep(50 * time.Millisecond)
		m.WriteString("0000123400 [hal.wlan] WARN: link down\r\n0000123456 [hal] PANIC: HardFault\r\n")
	}()
	got, err := WaitCrash(ctx, c, nil, time.Now())
	if err != nil {
		t.Fatalf("WaitCrash: %v", err)
	}
	if got.Detection.Kind != EventPanic || got.Detection.Name != "HardFault" || got.Line.Text != "0000123456 [hal] PANIC: HardFault" {
		t.Errorf("WaitCrash = %+v", got)
	}
	var panics int
	for _, e := range tl.Events() {
		if e.Kind == EventPanic && e.Fields["code"] == "1" && e.Fields["crash"] == "true" {
			panics++
		}
	}
	if panics != 1 {
		t.Errorf("timeline has %d panic events with code 1, want 1: %v", panics, tl.Events())
	}
}

func TestWaitCrashSeesMarkerAlreadyInScrollback(t *testing.T) {
	verifyNoLeaks(t)
	m, path := newPTY(t)
	c := openTestConsole(t, path, ConsoleOptions{})
	start := time.Now()
	m.WriteString("***** HARD FAULT *****\n")
	waitFor(t, "line", 10*time.Second, func() bool { return len(c.Lines()) == 1 })
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	// A separate detector set, run here over the scrollback.
	got, err := WaitCrash(ctx, c, NewDetectorSet(nil), start)
	if err != nil || got.Detection.Detector != "zephyr-fault" {
		t.Errorf("WaitCrash = %+v, %v; want the zephyr fault from the scrollback", got, err)
	}
	// Looking only forward, it times out.
	ctx2, cancel2 := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel2()
	if _, err := WaitCrash(ctx2, c, NewDetectorSet(nil), time.Now()); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("forward-only WaitCrash err = %v, want deadline exceeded", err)
	}
}

func TestWaitCrashEndsWhenConsoleCloses(t *testing.T) {
	verifyNoLeaks(t)
	_, path := newPTY(t)
	c := openTestConsole(t, path, ConsoleOptions{Detectors: NewDetectorSet(nil)})
	go func() {
		time.Sleep(50 * time.Millisecond)
		c.Close()
	}()
	_, err := WaitCrash(context.Background(), c, nil, time.Now())
	if !errors.Is(err, ErrConsoleClosed) {
		t.Errorf("err = %v, want ErrConsoleClosed", err)
	}
	c2 := openTestConsole(t, path, ConsoleOptions{})
	if _, err := WaitCrash(context.Background(), c2, nil, time.Now()); err == nil {
		t.Error("WaitCrash without any detectors succeeded")
	}
}

func TestWaitCrashAfterSeqFindsEachMarkerOnce(t *testing.T) {
	verifyNoLeaks(t)
	m, path := newPTY(t)
	ds := NewDetectorSet(nil)
	ds.CrashHoldoff = -1 // every marker is its own crash here
	c := openTestConsole(t, path, ConsoleOptions{Detectors: ds})
	// Both markers arrive in one read, so they share a timestamp.
	m.WriteString("0000000100 [hal] PANIC: HardFault\n0000000200 [hal] PANIC: BusFault\n")
	waitFor(t, "lines", 10*time.Second, func() bool { return len(c.Lines()) == 2 })
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	var names []string
	var seq uint64
	for range 2 {
		d, err := WaitCrashAfter(ctx, c, nil, seq)
		if err != nil {
			t.Fatalf("WaitCrashAfter(%d): %v", seq, err)
		}
		names = append(names, d.Detection.Name)
		seq = d.Line.Seq
	}
	if names[0] != "HardFault" || names[1] != "BusFault" {
		t.Errorf("crashes = %v, want HardFault then BusFault", names)
	}
	short, cancel2 := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel2()
	if _, err := WaitCrashAfter(short, c, nil, seq); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("third wait: %v, want a timeout (no more markers)", err)
	}
}
