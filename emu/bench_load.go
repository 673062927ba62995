package emu

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// LoadConfig describes HTTP load on the bench's web server, like the
// reporter's stress test: workers that GET the page in a loop.
type LoadConfig struct {
	URL     string        // e.g. "http://" + bench.HTTPAddr() + "/"
	Workers int           // concurrent clients; 0 means 3
	Seed    uint64        // drives the pauses between requests
	Pause   time.Duration // each worker waits a random 0..Pause between requests; 0 means 20ms
	Timeout time.Duration // per request; 0 means 2s
}

// LoadStats counts request outcomes; read it with Snapshot.
type LoadStats struct {
	ok, failed atomic.Int64
}

// Snapshot returns the counts so far.
func (s *LoadStats) Snapshot() (ok, failed int64) { return s.ok.Load(), s.failed.Load() }

// RunLoad sends requests until ctx ends, counting outcomes in stats (read
// them while it runs with stats.Snapshot).
// Each request is a fresh connection (no keep-alive), as the firmware
// closes after every response anyway.
func RunLoad(ctx context.Context, cfg LoadConfig, stats *LoadStats) {
	if cfg.Workers <= 0 {
		cfg.Workers = 3
	}
	if cfg.Pause <= 0 {
		cfg.Pause = 20 * time.Millisecond
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 2 * time.Second
	}
	tr := &http.Transport{DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: cfg.Timeout}
	var wg sync.WaitGroup
	for i := 0; i < cfg.Workers; i++ {
		rng := rand.New(rand.NewPCG(cfg.Seed, uint64(i)))
		wg.Go(func() {
			for ctx.Err() == nil {
				if Get(ctx, client, cfg.URL) == nil {
					stats.ok.Add(1)
				} else if ctx.Err() == nil {
					stats.failed.Add(1)
				}
				select {
				case <-ctx.Done():
				case <-time.After(time.Duration(rng.Int64N(int64(cfg.Pause) + 1))):
				}
			}
		})
	}
	wg.Wait()
}

// Get fetches url and checks for a 200 with a body; the error says why not.
func Get(ctx context.Context, client *http.Client, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK || len(body) == 0 {
		return &StatusError{Code: resp.StatusCode, Len: len(body)}
	}
	return nil
}

// A StatusError is a response that was not a 200 with a body.
type StatusError struct{ Code, Len int }

func (e *StatusError) Error() string {
	return fmt.Sprintf("http status %d with %d body bytes", e.Code, e.Len)
}
