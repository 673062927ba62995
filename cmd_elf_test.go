package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/elfsym/indexcache"
)

// runWithCacheHome runs faultline with XDG_CACHE_HOME set to home.
func runWithCacheHome(t *testing.T, home string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, faultlineBin, args...)
	cmd.Env = append(os.Environ(), "XDG_CACHE_HOME="+home)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("faultline %v: %v\n%s", args, err, stderr.String())
	}
	return string(out)
}

// filesUnder lists the regular files under dir.
func filesUnder(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			files = append(files, p)
		}
		return nil
	})
	return files
}

func TestSymbolizeKeepsTheIndexUnlessNoCache(t *testing.T) {
	t.Parallel()
	fx := newSymbolizeFixture(t)
	home := t.TempDir()
	args := []string{"symbolize", "--elf", fx.elf, fmt.Sprintf("%#x", fx.entry), fmt.Sprintf("%#x", fx.inline)}
	plain := runWithCacheHome(t, home, append(args, "--no-cache")...)
	if files := filesUnder(t, home); len(files) != 0 {
		t.Fatalf("--no-cache wrote %v", files)
	}
	// The first run answers lazily and leaves a mark; the second builds
	// and saves the whole index; the third loads it.
	index := filepath.Join(home, "faultline", "index")
	// Indexes and marks only: whether the ELF's content hash is also
	// remembered by its stat (.ident) depends on how recently it changed.
	indexFiles := func() []string {
		var out []string
		for _, f := range filesUnder(t, index) {
			if !strings.HasSuffix(f, ".ident") {
				out = append(out, f)
			}
		}
		return out
	}
	first := runWithCacheHome(t, home, args...)
	if files := indexFiles(); len(files) != 1 || !strings.HasSuffix(files[0], ".seen") {
		t.Fatalf("after the first run: %v, want only the seen mark under XDG_CACHE_HOME/faultline/index", filesUnder(t, home))
	}
	second := runWithCacheHome(t, home, args...)
	files := indexFiles()
	if len(files) != 2 {
		t.Fatalf("after the second run: %v, want the mark and the index", files)
	}
	sizes := map[string]int64{}
	for _, f := range files {
		st, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		sizes[f] = st.Size()
	}
	third := runWithCacheHome(t, home, args...)
	if plain != first || first != second || second != third {
		t.Fatalf("answers depend on the cache:\n--no-cache:\n%s\nlazy:\n%s\nbuilding:\n%s\nloaded:\n%s", plain, first, second, third)
	}
	runWithCacheHome(t, home, append(args, "--no-cache")...)
	after := indexFiles()
	if len(after) != len(files) {
		t.Fatalf("the cached or --no-cache run changed the cache: %v", after)
	}
	for _, f := range after {
		if st, err := os.Stat(f); err != nil || st.Size() != sizes[f] {
			t.Fatalf("%s changed or vanished on a cached run: %v", f, err)
		}
	}
}

// With background builds on (as faultline runs outside its tests), a
// second run hands the whole index to a detached builder and exits
// without building it: while another builder holds the index's lock it
// leaves the build to that one; otherwise it starts one, which saves the
// index the next run loads (leaving the cache as it is), Ctrl-C at the
// terminal the run was started from notwithstanding. The answers, at
// every halfword of every function, are the same on every run and as
// --no-cache gives them.
func TestSecondRunBuildsTheIndexInTheBackground(t *testing.T) {
	t.Parallel()
	if runtime.GOOS != "linux" {
		t.Skip("builders run on Linux only")
	}
	fx := newSymbolizeFixture(t)
	home := t.TempDir()
	c := &indexcache.Dir{Path: filepath.Join(home, "faultline", "index")}
	k := fx.im.IndexKey()
	st, err := os.Stat(fx.elf)
	if err != nil {
		t.Fatal(err)
	}
	id := elfsym.FileIdentityOf(st)
	// Runs before the directory is removed, failed or not: a builder
	// still writing into it would make the removal fail.
	t.Cleanup(func() {
		for deadline := time.Now().Add(time.Minute); c.Building(id) && time.Now().Before(deadline); {
			time.Sleep(10 * time.Millisecond)
		}
	})
	var addrs strings.Builder
	for _, s := range fx.im.Symbols() {
		for a := s.Addr &^ 1; s.Func && a < s.Addr+s.Size; a += 2 {
			fmt.Fprintf(&addrs, "%#x\n", a)
		}
	}
	run := func(extra ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, faultlineBin, append([]string{"symbolize", "--elf", fx.elf, "-"}, extra...)...)
		cmd.Env = append(os.Environ(), "XDG_CACHE_HOME="+home, indexcache.BuildEnv+"=")
		cmd.Stdin = strings.NewReader(addrs.String())
		// Its own process group, as a shell runs a command at a
		// terminal: what Ctrl-C there reaches.
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("faultline symbolize: %v\n%s", err, stderr.String())
		}
		// Ctrl-C just after the run: a builder it started must not be
		// in its process group.
		if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGINT); err != syscall.ESRCH {
			t.Errorf("SIGINT to the run's process group: %v, want no such process (the group gone with the run)", err)
		}
		return string(out)
	}
	first := run() // a mark
	lock, err := os.OpenFile(c.LockFile(id), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	second := run() // a builder runs (this test holds its lock)
	if fileExists(c.File(k)) {
		t.Fatal("the second run built the index itself")
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_UN); err != nil {
		t.Fatal(err)
	}
	third := run() // starts a builder
	deadline := time.Now().Add(time.Minute)
	for !fileExists(c.File(k)) || c.Building(id) {
		if time.Now().After(deadline) {
			t.Fatalf("no index a minute after the run that started a builder: %v", filesUnder(t, home))
		}
		time.Sleep(10 * time.Millisecond)
	}
	saved, err := os.Stat(c.File(k))
	if err != nil {
		t.Fatal(err)
	}
	fourth := run()
	plain := run("--no-cache")
	if first == "" || plain != first || first != second || second != third || third != fourth {
		t.Fatalf("answers differ: --no-cache %d bytes, lazy %d, handed over %d and %d, loaded %d", len(plain), len(first), len(second), len(third), len(fourth))
	}
	if n := strings.Count(first, "\n"); n < strings.Count(addrs.String(), "\n") || n < 1000 {
		t.Fatalf("%d lines of answers for %d addresses", n, strings.Count(addrs.String(), "\n"))
	}
	for _, f := range filesUnder(t, home) {
		if strings.Contains(filepath.Base(f), ".tmp-") || (strings.HasSuffix(f, ".lock") && f != c.LockFile(id)) {
			t.Errorf("left in the cache: %s", f)
		}
	}
	if after, err := os.Stat(c.File(k)); err != nil || !os.SameFile(saved, after) {
		t.Errorf("the run after the build replaced the index (%v): it did not load it", err)
	}
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }
