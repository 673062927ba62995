package probe

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// A Detected is a detection together with the console line it came from.
type Detected struct {
	Line      Line
	Detection Detection
}

// ErrConsoleClosed is returned by WaitCrash when the console stops first.
var ErrConsoleClosed = errors.New("console closed")

// WaitCrash blocks until a crash trigger shows on the console: a
// detection with Crash set. It is the serial-only crash catcher (capture
// --serial without --gdb). Lines already in the scrollback whose time is
// after since count too, so a marker that arrived between opening the
// console and this call is not missed; pass time.Now() to look only
// forward.
//
// ds nil (or the console's own Detectors) uses the detections the console
// already made; another set is run over the lines here.
func WaitCrash(ctx context.Context, c *Console, ds *DetectorSet, since time.Time) (Detected, error) {
	return waitCrash(ctx, c, ds, func(l Line) bool { return l.Time.After(since) })
}

// WaitCrashAfter is WaitCrash with a line cursor: scrollback lines with
// Seq greater than afterSeq count. Lines read in one chunk share a time,
// so a loop that waits for crash after crash should pass the previous
// Detected's Line.Seq here rather than its time to WaitCrash.
func WaitCrashAfter(ctx context.Context, c *Console, ds *DetectorSet, afterSeq uint64) (Detected, error) {
	return waitCrash(ctx, c, ds, func(l Line) bool { return l.Seq > afterSeq })
}

func waitCrash(ctx context.Context, c *Console, ds *DetectorSet, wanted func(Line) bool) (Detected, error) {
	own := ds == nil || ds == c.opts.Detectors
	if own && c.opts.Detectors == nil {
		return Detected{}, errors.New("wait for crash: console has no detectors and none given")
	}
	found := make(chan Detected, 1)
	offer := func(l Line, dets []Detection) {
		for _, d := range dets {
			if d.Crash {
				select {
				case found <- Detected{Line: l, Detection: d}:
				default:
				}
				return
			}
		}
	}
	stop := c.Watch(func(l Line, dets []Detection) {
		if !own {
			dets = ds.Detect(l)
		}
		offer(l, dets)
	})
	defer stop()
	if own {
		for _, d := range c.Detections() {
			if d.Detection.Crash && wanted(d.Line) {
				return d, nil
			}
		}
	} else {
		for _, l := range c.Lines() {
			if wanted(l) {
				offer(l, ds.Detect(l))
			}
		}
	}
	select {
	case d := <-found:
		return d, nil
	case <-ctx.Done():
		return Detected{}, fmt.Errorf("wait for crash on %s: %w", c.source, ctx.Err())
	case <-c.done:
		select {
		case d := <-found:
			return d, nil
		default:
		}
		return Detected{}, fmt.Errorf("wait for crash on %s: %w", c.source, ErrConsoleClosed)
	}
}
