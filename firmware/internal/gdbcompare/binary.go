package gdbcompare

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/faultline-dev/faultline/elfsym/indexcache"
)

// buildTimeout bounds `go build` of the faultline command; a cold build
// with the race detector off takes well under a minute.
const buildTimeout = 3 * time.Minute

// built is the faultline command built once per process. It is the
// package's one piece of state: "once per process" is Binary's contract.
var built struct {
	mu    sync.Mutex
	dirs  []string // temporary directories to remove
	cache string   // the faultline runs' index cache (XDG_CACHE_HOME)
	path  string
	err   error // a failed build, remembered unless the caller's ctx ended it
}

// Binary returns $FAULTLINE_BIN when set (so "before" numbers can be taken
// with an old build), else builds the faultline command from this checkout
// into a temporary directory, once per process, and returns its path.
// Cleanup removes that directory. A failed build is remembered (the tree
// will not build better a second later) unless the caller's ctx ended it.
func Binary(ctx context.Context) (string, error) {
	if p := os.Getenv("FAULTLINE_BIN"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("FAULTLINE_BIN: %w", err)
		}
		return p, nil
	}
	built.mu.Lock()
	defer built.mu.Unlock()
	if built.path != "" || built.err != nil {
		return built.path, built.err
	}
	path, err := build(ctx)
	if err != nil && ctx.Err() != nil {
		return "", err
	}
	built.path, built.err = path, err
	return path, err
}

// Cleanup removes the binary Binary built, if any. Call it from TestMain
// after m.Run.
func Cleanup() {
	built.mu.Lock()
	defer built.mu.Unlock()
	for _, d := range built.dirs {
		_ = os.RemoveAll(d)
	}
	built.dirs, built.path, built.err, built.cache = nil, "", nil, ""
}

// runEnv is the environment faultline runs in: its index cache in a
// directory of this process's own (removed by Cleanup), so that a lab's
// hundreds of runs leave nothing in the user's ~/.cache, and built in the
// run itself, so that no detached builder is still writing there when
// Cleanup removes it.
func runEnv() ([]string, error) {
	built.mu.Lock()
	defer built.mu.Unlock()
	if built.cache == "" {
		dir, err := os.MkdirTemp("", "gdbcompare-cache-")
		if err != nil {
			return nil, fmt.Errorf("faultline's index cache: %w", err)
		}
		built.dirs = append(built.dirs, dir)
		built.cache = dir
	}
	return append(os.Environ(), "XDG_CACHE_HOME="+built.cache, indexcache.BuildEnv+"=inprocess"), nil
}

func build(ctx context.Context) (string, error) {
	root, err := ModuleRoot()
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp("", "gdbcompare-faultline-")
	if err != nil {
		return "", fmt.Errorf("build faultline: %w", err)
	}
	built.dirs = append(built.dirs, dir)
	ctx, cancel := context.WithTimeout(ctx, buildTimeout)
	defer cancel()
	out := filepath.Join(dir, "faultline")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "github.com/faultline-dev/faultline")
	cmd.Dir = root
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build faultline: %w\n%s", err, msg)
	}
	return out, nil
}

// ModuleRoot returns the directory holding the faultline module's go.mod,
// found from this file's compile-time path (right for every test binary
// built from a checkout) or, failing that, upwards from the working
// directory.
func ModuleRoot() (string, error) {
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		root := filepath.Join(filepath.Dir(file), "..", "..", "..")
		if isModuleRoot(root) {
			return filepath.Clean(root), nil
		}
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find module root: %w", err)
	}
	for d := wd; ; d = filepath.Dir(d) {
		if isModuleRoot(d) {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", errors.New("find module root: no faultline go.mod above " + wd)
		}
	}
}

func isModuleRoot(dir string) bool {
	data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return false
	}
	for _, l := range strings.Split(string(data), "\n") {
		if strings.TrimSpace(l) == "module github.com/faultline-dev/faultline" {
			return true
		}
	}
	return false
}
