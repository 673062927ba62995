// Package armbuild runs the ARM firmware builds (make with
// arm-none-eabi-gcc) for the bundled firmware and the crash lab: once per
// process per directory, serialised across processes by a file lock, so
// test binaries of several packages can build the same tree at once.
package armbuild

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"time"
)

// A Builder runs make at most once per process and directory after it
// succeeded. A failed or cancelled build is not remembered: the next caller
// tries again (make is incremental, so a retry costs little).
type Builder struct {
	mu   sync.Mutex
	done map[string]bool // dirs built by this process
}

// buildTimeout bounds one make run, the wait for another test binary's
// build of the same directory included. A clean build of the largest lab
// (unwindlab, 220-odd ELFs) takes a minute on two idle cores and more
// while the suite's other packages run beside it: 3 minutes was once too
// few under load.
const buildTimeout = 10 * time.Minute

// Build makes dir unless this process already did; what names the build in
// errors ("crashlab", "firmware").
func (b *Builder) Build(ctx context.Context, dir, what string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.done[dir] {
		return nil
	}
	if err := Make(ctx, dir, what); err != nil {
		return err
	}
	if b.done == nil {
		b.done = make(map[string]bool)
	}
	b.done[dir] = true
	return nil
}

// Output builds dir like Build and returns the absolute path of one of its
// outputs, rel (slash-separated) under dir/build, checking it exists: a
// make that succeeded without it means the name is wrong.
func (b *Builder) Output(ctx context.Context, dir, what, rel string) (string, error) {
	if err := b.Build(ctx, dir, what); err != nil {
		return "", err
	}
	path := filepath.Join(dir, "build", filepath.FromSlash(rel))
	if _, err := os.Stat(path); err != nil {
		return "", fmt.Errorf("%s %s: built, but %w", what, rel, err)
	}
	return path, nil
}

// Make runs make in dir while holding an exclusive lock on build/.lock, so
// test binaries of different packages running at the same time do not write
// the same objects at once.
func Make(ctx context.Context, dir, what string) error {
	for _, tool := range []string{"make", "arm-none-eabi-gcc", "arm-none-eabi-g++"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("build %s: %s not found on PATH: run scripts/setup.sh", what, tool)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, buildTimeout)
	defer cancel()
	unlock, err := LockFile(ctx, filepath.Join(dir, "build", ".lock"))
	if err != nil {
		return fmt.Errorf("build %s: %w", what, err)
	}
	defer unlock()

	cmd := exec.CommandContext(ctx, "make", "-C", dir, "-j"+strconv.Itoa(runtime.NumCPU()))
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("build %s: make: %w", what, ctx.Err())
		}
		return fmt.Errorf("build %s: make: %w\n%s", what, err, tail(out.Bytes(), 4000))
	}
	return nil
}

// LockFile takes an exclusive lock on path (flock, LockFileEx on Windows), polling so that ctx can end the
// wait (flock itself does not take a deadline).
func LockFile(ctx context.Context, path string) (unlock func(), err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	for {
		locked, err := tryLock(f)
		if err != nil {
			_ = f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		if locked {
			return func() {
				unlockFile(f)
				_ = f.Close()
			}, nil
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
