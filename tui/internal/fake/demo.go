package fake

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/faultline-dev/faultline/tui"
)

// DemoOptions configure RunDemo.
type DemoOptions struct {
	LineEvery  time.Duration // a request line this often while running; default 300ms
	CrashAfter time.Duration // crash this long after start; 0: never (unless CrashFile)
	CrashFile  string        // crash as soon as this file exists (polled), for tests
	AltScreen  bool
	Mouse      bool
	Input      io.Reader
	Output     io.Writer
}

// RunDemo runs the TUI against a scripted session: a web server printing
// requests until it crashes with the sample HardFault. Halt, continue and
// reset act on the script; saving returns a made-up path (nothing is
// written). It returns the backend so callers can report its calls.
func RunDemo(ctx context.Context, o DemoOptions) (*Backend, error) {
	if o.LineEvery <= 0 {
		o.LineEvery = 300 * time.Millisecond
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	updates := make(chan any, 64)
	ops := make(chan string, 8)
	b := &Backend{OnCall: func(op string) {
		select {
		case ops <- op:
		case <-ctx.Done():
		}
	}}
	go script(ctx, o, updates, ops)
	err := tui.Run(ctx, b, updates, tui.Options{
		Title: "faultline demo", AltScreen: o.AltScreen, Mouse: o.Mouse,
		Input: o.Input, Output: o.Output,
	})
	return b, err
}

// script plays the session; it owns the simulated target state, so the
// backend's calls reach it as messages on ops.
func script(ctx context.Context, o DemoOptions, updates chan<- any, ops <-chan string) {
	send := func(v any) bool {
		select {
		case updates <- v:
			return true
		case <-ctx.Done():
			return false
		}
	}
	now := time.Now
	status := RunningStatus()
	status.Serial = "/dev/pts/demo @115200"
	status.GDB = "127.0.0.1:3333 (demo)"
	send(status)
	send(tui.TimelineItem{Time: now(), Kind: "connect", Text: "gdb " + status.GDB + ", serial " + status.Serial})
	boot := func() {
		for _, l := range BootLines(0) {
			l.Time = now()
			send(l)
		}
	}
	boot()

	tick := time.NewTicker(o.LineEvery)
	defer tick.Stop()
	poll := time.NewTicker(100 * time.Millisecond)
	defer poll.Stop()
	var crashAt <-chan time.Time
	if o.CrashAfter > 0 {
		t := time.NewTimer(o.CrashAfter)
		defer t.Stop()
		crashAt = t.C
	}
	n, crashed, crashDue := 0, false, false
	crash := func() {
		if status.Target == "halted" {
			crashDue = true // a halted core cannot fault: crash once resumed
			return
		}
		crashed, crashDue = true, false
		for _, l := range PanicLines(0) {
			l.Time = now()
			send(l)
		}
		st := CrashedStatus()
		st.Serial, st.GDB = status.Serial, status.GDB
		status = st
		send(status)
		send(tui.TimelineItem{Time: now(), Kind: "crash", Text: "HardFault (forced, IACCVIOL)"})
		send(tui.Crash{Report: HardFaultReport(), Source: Sources})
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-crashAt:
			if !crashed {
				crash()
			}
		case <-poll.C:
			if o.CrashFile != "" && !crashed {
				if _, err := os.Stat(o.CrashFile); err == nil {
					crash()
				}
			}
		case <-tick.C:
			if status.Target != "running" {
				continue
			}
			send(tui.ConsoleLine{Time: now(), Text: fmt.Sprintf("%010d [app] INFO: client %d: GET /status 200 (%d bytes)",
				n*300, n%5, 120+n%7)})
			n++
		case op := <-ops:
			switch op {
			case "halt":
				status.Target = "halted"
			case "continue":
				if !crashed {
					status.Target = "running"
				}
				if crashDue {
					crash()
					continue
				}
			case "reset":
				crashed = false
				status.Target = "running"
				status.LEDColor, status.LEDPattern = [3]float64{0, 0.8, 0.8}, "breathing cyan"
				boot()
			case "save":
				send(tui.TimelineItem{Time: now(), Kind: "capture", Text: "saved"})
				continue
			}
			send(status)
			send(tui.TimelineItem{Time: now(), Kind: op, Text: "by user"})
		}
	}
}
