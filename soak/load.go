package soak

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/faultline-dev/faultline/emu"
)

// The HTTP load, its counters, and the liveness probe.

// counters are the live counts, like the reporter's failureCounts.
type counters struct {
	requests, success, timeouts, connErrors, non200, other atomic.Int64
	reconnects                                             atomic.Int64
	drops, restores, recovered                             atomic.Int64
	crashes                                                atomic.Int64
	unreachable                                            atomic.Bool
}

func (c *counters) line(elapsed time.Duration) string {
	return fmt.Sprintf("soak %s  requests %d  ok %d  timeouts %d  conn-errors %d  non-200 %d  other %d  reconnects %d  drops %d  recovered %d  crashes %d",
		elapsed.Truncate(time.Second), c.requests.Load(), c.success.Load(), c.timeouts.Load(), c.connErrors.Load(),
		c.non200.Load(), c.other.Load(), c.reconnects.Load(), c.drops.Load(), c.recovered.Load(), c.crashes.Load())
}

// count files one request's outcome. A success after failures is a
// reconnect: the server answered again (link back, device rebooted).
func (c *counters) count(err error) {
	c.requests.Add(1)
	if err == nil {
		c.success.Add(1)
		if c.unreachable.CompareAndSwap(true, false) {
			c.reconnects.Add(1)
		}
		return
	}
	c.unreachable.Store(true)
	switch requestOutcome(err) {
	case "timeout":
		c.timeouts.Add(1)
	case "conn":
		c.connErrors.Add(1)
	case "non200":
		c.non200.Add(1)
	default:
		c.other.Add(1)
	}
}

// requestOutcome sorts a failed request the way the reporter's script did:
// timeout, connection error, non-200, other.
func requestOutcome(err error) string {
	var se *emu.StatusError
	var ne net.Error
	switch {
	case errors.As(err, &se):
		return "non200"
	case errors.As(err, &ne) && ne.Timeout(), errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "conn"
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		return "conn"
	}
	return "other"
}

type loadConfig struct {
	url      string
	rate     float64
	timeout  time.Duration
	inFlight int
	max      int64 // requests to send; 0: no limit
}

// runLoad starts a request every 1/rate seconds (each on a fresh
// connection, as the firmware closes after every response) until ctx ends
// or max requests were sent, then waits for those still open. A tick
// that finds inFlight requests open is skipped, so a hung server does
// not pile up connections.
func runLoad(ctx context.Context, cfg loadConfig, c *counters) {
	sem := make(chan struct{}, cfg.inFlight)
	var wg sync.WaitGroup
	defer wg.Wait()
	tick := time.NewTicker(time.Duration(float64(time.Second) / cfg.rate))
	defer tick.Stop()
	var sent int64
	for cfg.max == 0 || sent < cfg.max {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		select {
		case sem <- struct{}{}:
		default:
			continue
		}
		sent++
		wg.Go(func() {
			defer func() { <-sem }()
			err := emu.Get(ctx, cfg.timeout, cfg.url)
			if ctx.Err() == nil {
				c.count(err)
			}
		})
	}
}

// waitAnswer asks url until it answers 200 or within passes; it returns
// how long that took.
func waitAnswer(ctx context.Context, url string, perRequest, within time.Duration) (time.Duration, error) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, within)
	defer cancel()
	for {
		err := emu.Get(ctx, perRequest, url)
		if err == nil {
			return time.Since(start), nil
		}
		select {
		case <-ctx.Done():
			return time.Since(start), fmt.Errorf("no answer from %s within %v (last: %v)", url, within, err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}
