// Package fake is a stand-in for the live probe session: a Backend that
// records its calls, fixed sample data (statuses, console lines, crash
// reports) for golden tests, and a scripted session for the demo program.
// Nothing here talks to hardware.
package fake

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Backend records calls and answers them after Delay (honouring ctx).
// It implements tui.Backend.
type Backend struct {
	Delay    time.Duration
	SavePath string           // returned by SaveCapture; "crashes/capture-0001.core" when empty
	Errs     map[string]error // per operation ("halt", "continue", "reset", "save")
	OnCall   func(op string)  // after a successful call, from the calling goroutine

	mu    sync.Mutex
	calls []string
	saves int
}

// Calls returns the operations called so far, in order.
func (b *Backend) Calls() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.calls...)
}

func (b *Backend) call(ctx context.Context, op string) error {
	b.mu.Lock()
	b.calls = append(b.calls, op)
	err := b.Errs[op]
	b.mu.Unlock()
	if b.Delay > 0 {
		select {
		case <-time.After(b.Delay):
		case <-ctx.Done():
			return fmt.Errorf("%s: %w", op, ctx.Err())
		}
	}
	if err != nil {
		return err
	}
	if b.OnCall != nil {
		b.OnCall(op)
	}
	return nil
}

// Halt implements tui.Backend.
func (b *Backend) Halt(ctx context.Context) error { return b.call(ctx, "halt") }

// Continue implements tui.Backend.
func (b *Backend) Continue(ctx context.Context) error { return b.call(ctx, "continue") }

// Reset implements tui.Backend.
func (b *Backend) Reset(ctx context.Context) error { return b.call(ctx, "reset") }

// SaveCapture implements tui.Backend.
func (b *Backend) SaveCapture(ctx context.Context) (string, error) {
	if err := b.call(ctx, "save"); err != nil {
		return "", err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.saves++
	if b.SavePath != "" {
		return b.SavePath, nil
	}
	return fmt.Sprintf("crashes/capture-%04d.core", b.saves), nil
}
