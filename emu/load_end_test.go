package emu

import (
	"context"
	"net"
	"testing"
	"time"
)

// A request that the load's own end cut is not counted as failed: Get's
// connection deadline is the load's, and the read it stops returns before
// the load's context timer has marked it done unless Get waits for it.
func TestARequestCutByTheLoadsEndIsNoFailure(t *testing.T) {
	// A server that accepts and never answers: every request runs until
	// the load ends.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	for range 20 {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
		var stats LoadStats
		RunLoad(ctx, LoadConfig{URL: "http://" + ln.Addr().String() + "/", Workers: 3, Timeout: time.Second}, &stats)
		cancel()
		if ok, failed := stats.Snapshot(); ok != 0 || failed != 0 {
			t.Fatalf("%d served, %d failed; want 0 and 0 (every request ran into the load's end)", ok, failed)
		}
	}
}
