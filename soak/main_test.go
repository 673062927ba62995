package soak_test

import (
	"fmt"
	"os"
	"testing"
)

// TestMain gives the bench sessions these tests start (bench.Start, which
// indexes the firmware with the per-user index cache, as `faultline soak`
// does) a cache directory of this run's own, so the suite leaves nothing in
// the user's ~/.cache.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "soak-test-cache-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Setenv("XDG_CACHE_HOME", dir)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
