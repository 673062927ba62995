package tui_test

import (
	"bytes"
	"context"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/teatest"
	"github.com/faultline-dev/faultline/internal/syncbuf"
	"github.com/faultline-dev/faultline/tui"
	"github.com/faultline-dev/faultline/tui/internal/fake"
	"go.uber.org/goleak"
)

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestRunStopsWhenContextEnds(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	inR, inW := io.Pipe()
	defer inW.Close()
	out := &syncbuf.Buffer{}
	b := &fake.Backend{}
	updates := make(chan any)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- tui.Run(ctx, b, updates, tui.Options{Input: inR, Output: out, Renderer: asciiRenderer()})
	}()
	// Updates of every documented shape, values and pointers.
	st := fake.RunningStatus()
	for _, u := range []any{&st, tui.ConsoleLine{Text: "first line"}, []tui.ConsoleLine{{Text: "second line"}},
		&tui.ConsoleLine{Text: "third line"}, tui.TimelineItem{Kind: "reset"}, &tui.TimelineItem{Kind: "wifi"}} {
		updates <- u
	}
	if _, err := io.WriteString(inW, "h"); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the halt call", func() bool { return slices.Equal(b.Calls(), []string{"halt"}) })
	waitUntil(t, "the console lines on screen", func() bool {
		s := out.String()
		return strings.Contains(s, "third line") && strings.Contains(s, "RUNNING")
	})
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run after cancel = %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
	inW.Close() // ends bubbletea's input reader, which cannot be cancelled on a pipe
}

func TestRunKeepsViewWhenUpdatesClose(t *testing.T) {
	inR, inW := io.Pipe()
	defer inW.Close()
	out := &syncbuf.Buffer{}
	updates := make(chan any, 1)
	updates <- tui.ConsoleLine{Text: "last words"}
	close(updates)
	done := make(chan error, 1)
	go func() {
		done <- tui.Run(context.Background(), &fake.Backend{}, updates, tui.Options{Input: inR, Output: out, Renderer: asciiRenderer()})
	}()
	waitUntil(t, "the session-ended message", func() bool {
		return strings.Contains(out.String(), "session ended") && strings.Contains(out.String(), "last words")
	})
	select {
	case err := <-done:
		t.Fatalf("Run returned (%v) when updates closed; it must wait for the user", err)
	case <-time.After(200 * time.Millisecond):
	}
	if _, err := io.WriteString(inW, "q"); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run after q = %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("q did not end Run")
	}
}

// TestProgramLoop drives NewModel through a real tea.Program with teatest:
// keys reach the backend and the crash prompt works end to end.
func TestProgramLoop(t *testing.T) {
	b := &fake.Backend{SavePath: "crashes/x.core"}
	m := tui.NewModel(b, tui.Options{Renderer: asciiRenderer()})
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(80, 24))
	tm.Send(fake.RunningStatus())
	tm.Send(fake.BootLines(3))
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte("TCPServer listening")) },
		teatest.WithDuration(10*time.Second))
	tm.Type("r")
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte("reset: done")) },
		teatest.WithDuration(10*time.Second))
	tm.Send(tui.Crash{Report: fake.HardFaultReport(), Source: fake.Sources})
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte("UNSAVED")) },
		teatest.WithDuration(10*time.Second))
	tm.Type("q")
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte("save? (y/n/esc)")) },
		teatest.WithDuration(10*time.Second))
	tm.Type("y")
	final := tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second))
	if got := b.Calls(); !slices.Equal(got, []string{"reset", "save"}) {
		t.Errorf("calls = %v, want [reset save]", got)
	}
	if v := final.View(); !strings.Contains(v, "saved crashes/x.core") {
		t.Errorf("final view does not show the saved path:\n%s", v)
	}
}
