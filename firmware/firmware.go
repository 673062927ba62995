package firmware

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"syscall"
	"time"
)

// Variants lists the images the Makefile builds, in the order of the story:
// the bug, the first fix, the full fix.
func Variants() []string {
	return []string{"webserver", "webserver-clients-fix", "webserver-fixed"}
}

// DirEnv names an environment variable that overrides where the firmware
// sources are (a faultline binary run away from its source tree).
const DirEnv = "FAULTLINE_FIRMWARE_DIR"

// Dir returns the firmware source directory: $FAULTLINE_FIRMWARE_DIR, or
// the directory this file was compiled from.
func Dir() (string, error) {
	if d := os.Getenv(DirEnv); d != "" {
		return d, nil
	}
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", errors.New("firmware: cannot find the source directory (set " + DirEnv + ")")
	}
	dir := filepath.Dir(file)
	if _, err := os.Stat(filepath.Join(dir, "Makefile")); err != nil {
		return "", fmt.Errorf("firmware: no Makefile in %s (set %s): %w", dir, DirEnv, err)
	}
	return dir, nil
}

// build is the once-per-process make. A failed build is retried by the next
// caller (a cancelled context is not a reason to fail every later test).
var build struct {
	mu   sync.Mutex
	done bool
}

// ELF builds the firmware if needed and returns the path of the variant's
// ELF, e.g. ELF(ctx, "webserver").
func ELF(ctx context.Context, variant string) (string, error) {
	if !slices.Contains(Variants(), variant) {
		return "", fmt.Errorf("firmware: unknown variant %q (known: %v)", variant, Variants())
	}
	dir, err := Dir()
	if err != nil {
		return "", err
	}
	build.mu.Lock()
	defer build.mu.Unlock()
	if !build.done {
		if err := runMake(ctx, dir); err != nil {
			return "", err
		}
		build.done = true
	}
	path := filepath.Join(dir, "build", variant+".elf")
	if _, err := os.Stat(path); err != nil {
		return "", fmt.Errorf("firmware: %s not built: %w", variant, err)
	}
	return path, nil
}

func runMake(ctx context.Context, dir string) error {
	for _, tool := range []string{"make", "arm-none-eabi-gcc", "arm-none-eabi-g++"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("firmware: %s not found: run scripts/setup.sh to install the ARM toolchain: %w", tool, err)
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "build"), 0o755); err != nil {
		return fmt.Errorf("firmware: %w", err)
	}
	unlock, err := lockFile(ctx, filepath.Join(dir, "build", ".lock"))
	if err != nil {
		return err
	}
	defer unlock()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "make", "-C", dir, "-j2")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("firmware: make: %w\n%s", err, tail(out, 4000))
	}
	return nil
}

// lockFile takes an exclusive flock, polling so the context can end the wait.
func lockFile(ctx context.Context, path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("firmware: lock: %w", err)
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() {
				_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
				_ = f.Close()
			}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			_ = f.Close()
			return nil, fmt.Errorf("firmware: lock %s: %w", path, err)
		}
		select {
		case <-ctx.Done():
			_ = f.Close()
			return nil, fmt.Errorf("firmware: waiting for the build lock: %w", ctx.Err())
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
