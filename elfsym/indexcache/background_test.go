package indexcache_test

import (
	"os"
	"testing"
	"time"

	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/elfsym/indexcache"
)

// TestMain makes this test binary a builder when started as one: the
// background tests hand builds to a copy of it, as faultline hands them
// to a copy of itself.
func TestMain(m *testing.M) {
	os.Setenv(indexcache.BuildEnv, "inprocess") // Open builds in the tests' process
	if indexcache.ServeBackground() {
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// identity is the stat identity of the file at path.
func identity(t *testing.T, path string) elfsym.FileIdentity {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return elfsym.FileIdentityOf(st)
}

// waitBuilt waits until key's index is in c and no builder for the ELF
// with identity id runs, failing after timeout.
func waitBuilt(t *testing.T, c *indexcache.Dir, key elfsym.IndexKey, id elfsym.FileIdentity, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		data, _ := c.Load(key)
		c.Release(data)
		if data != nil && !c.Building(id) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no index after %v (building: %v)", timeout, c.Building(id))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitIdle waits until no builder for the ELF with identity id runs.
func waitIdle(t *testing.T, c *indexcache.Dir, id elfsym.FileIdentity) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); c.Building(id); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("a builder still runs after a minute")
		}
	}
}
