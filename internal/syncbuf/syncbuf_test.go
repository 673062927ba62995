package syncbuf

import (
	"strings"
	"sync"
	"testing"
)

// TestConcurrentWritesAllArrive: writes from many goroutines, read while
// they run, all end up in the buffer, whole (run with -race).
func TestConcurrentWritesAllArrive(t *testing.T) {
	var b Buffer
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 100; j++ {
				b.Write([]byte("ab\n"))
				_ = b.String()
			}
		}()
	}
	wg.Wait()
	if got := strings.Count(b.String(), "ab\n"); got != 800 {
		t.Errorf("%d whole writes, want 800", got)
	}
	c := b.Bytes()
	c[0] = 'x'
	if b.String()[0] != 'a' {
		t.Error("Bytes shares the buffer's memory")
	}
}
