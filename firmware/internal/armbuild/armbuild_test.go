package armbuild

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

func TestLockWaitEndsWithContext(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", ".lock")
	unlock, err := LockFile(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	if _, err := LockFile(ctx, path); err == nil {
		t.Fatal("second lock acquired while the first is held")
	}
}
