package main

import (
	"github.com/faultline-dev/faultline/elfsym/elfsymtest"
	"github.com/faultline-dev/faultline/elfsym/indexcache"
	"github.com/faultline-dev/faultline/emu"
	"github.com/faultline-dev/faultline/firmware/crashlab"

	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// faultlineBin is the binary built once for the end-to-end tests, so they
// exercise the real command line, exit codes and all.
var faultlineBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "faultline-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	faultlineBin = filepath.Join(dir, "faultline")
	args := []string{"build", "-o", faultlineBin}
	if raceEnabled {
		args = append(args, "-race")
	}
	build := exec.Command("go", append(args, ".")...)
	if !raceEnabled {
		// As scripts/demo.sh builds it: static (the race detector needs cgo).
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
	}
	out, err := build.CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build faultline: %v\n%s", err, out)
		os.Exit(1)
	}
	// The binary builds indexes in the run that asks: a background
	// builder could still be writing into a test's cache directory when
	// the test removes it. TestSecondRunBuildsTheIndexInTheBackground
	// runs the real path.
	os.Setenv(indexcache.BuildEnv, "inprocess")
	// faultline runs keep their index cache in this run's directory, not
	// the user's ~/.cache (a suite run used to leave hundreds of index
	// files there). Go's build cache and the generated test firmware are
	// found through XDG_CACHE_HOME too: they stay where they were.
	if err := elfsymtest.PrivateUserCache(filepath.Join(dir, "cache")); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// result is what one faultline run produced.
type result struct {
	stdout, stderr string
	code           int
}

// runFaultline runs the binary with a deadline, in dir when not empty.
func runFaultline(t *testing.T, ctx context.Context, dir string, stdin string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, faultlineBin, args...)
	cmd.Dir = dir
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	if stdin != "" {
		cmd.Stdin = bytes.NewBufferString(stdin)
	}
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run faultline %v: %v", args, err)
	}
	return result{stdout: so.String(), stderr: se.String(), code: code}
}

func TestUsageErrorsExitTwo(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
	}{
		{"unknown command", []string{"frobnicate"}},
		{"unknown flag", []string{"capture", "--no-such-flag"}},
		{"capture without gdb", []string{"capture"}},
		{"analyze without file", []string{"analyze"}},
		{"unknown board", []string{"capture", "--gdb", "127.0.0.1:1", "--board", "nope"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := runFaultline(t, context.Background(), t.TempDir(), "", tc.args...)
			if r.code != exitUsage {
				t.Fatalf("exit code %d, want %d; stderr: %s", r.code, exitUsage, r.stderr)
			}
			if r.stderr == "" {
				t.Fatal("no message on stderr")
			}
		})
	}
}

// bootLab builds a crash-lab program and boots it halted in QEMU with the
// GDB stub up; QEMU is stopped when the test ends.
func bootLab(t *testing.T, ctx context.Context, board, prog string) (elf string, q *emu.QEMU) {
	t.Helper()
	elf, err := crashlab.ELF(ctx, board, prog)
	if err != nil {
		t.Fatal(err)
	}
	q, err = emu.StartQEMU(ctx, emu.QEMUConfig{Machine: board, Kernel: elf, Halted: true, Serials: []string{"null"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Stop() })
	return elf, q
}
