package crashlab

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// builder runs make at most once per process after it succeeded. A failed
// or cancelled build is not remembered: the next caller tries again (make is
// incremental, so a retry costs little).
type builder struct {
	mu   sync.Mutex
	done map[string]bool // crashlab dirs built by this process
}

// defaultBuilder is the one piece of package state: "once per process" is the
// contract of ELF, and test binaries call ELF from many tests.
var defaultBuilder = &builder{}

// buildTimeout bounds one make run; a clean build takes a few seconds.
const buildTimeout = 3 * time.Minute

func (b *builder) build(ctx context.Context, dir string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.done[dir] {
		return nil
	}
	if err := runMake(ctx, dir); err != nil {
		return err
	}
	if b.done == nil {
		b.done = make(map[string]bool)
	}
	b.done[dir] = true
	return nil
}

// runMake runs make in dir while holding an exclusive lock on
// build/.lock, so test binaries of different packages running at the same
// time do not write the same objects at once.
func runMake(ctx context.Context, dir string) error {
	for _, tool := range []string{"make", "arm-none-eabi-gcc", "arm-none-eabi-g++"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("build crashlab: %s not found on PATH: run scripts/setup.sh", tool)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, buildTimeout)
	defer cancel()
	unlock, err := lockFile(ctx, filepath.Join(dir, "build", ".lock"))
	if err != nil {
		return fmt.Errorf("build crashlab: %w", err)
	}
	defer unlock()

	cmd := exec.CommandContext(ctx, "make", "-C", dir, "-j"+strconv.Itoa(runtime.NumCPU()))
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("build crashlab: make: %w", ctx.Err())
		}
		return fmt.Errorf("build crashlab: make: %w\n%s", err, tail(out.Bytes(), 4000))
	}
	return nil
}

// lockFile takes an exclusive flock on path, polling so that ctx can end the
// wait (flock itself does not take a deadline).
func lockFile(ctx context.Context, path string) (unlock func(), err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() {
				_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
				_ = f.Close()
			}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			_ = f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		select {
		case <-ctx.Done():
			_ = f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}
