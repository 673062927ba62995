package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
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
	fx := newSymbolizeFixture(t)
	home := t.TempDir()
	args := []string{"symbolize", "--elf", fx.elf, fmt.Sprintf("%#x", fx.entry), fmt.Sprintf("%#x", fx.inline)}
	plain := runWithCacheHome(t, home, append(args, "--no-cache")...)
	if files := filesUnder(t, home); len(files) != 0 {
		t.Fatalf("--no-cache wrote %v", files)
	}
	first := runWithCacheHome(t, home, args...)
	files := filesUnder(t, filepath.Join(home, "faultline", "index"))
	if len(files) != 1 {
		t.Fatalf("want one index under XDG_CACHE_HOME/faultline/index, got %v", filesUnder(t, home))
	}
	st, err := os.Stat(files[0])
	if err != nil {
		t.Fatal(err)
	}
	second := runWithCacheHome(t, home, args...)
	if plain != first || first != second {
		t.Fatalf("answers depend on the cache:\n--no-cache:\n%s\nbuilding:\n%s\nloaded:\n%s", plain, first, second)
	}
	if st2, err := os.Stat(files[0]); err != nil || st2.Size() != st.Size() {
		t.Fatalf("index file changed or vanished on a cached run: %v", err)
	}
	runWithCacheHome(t, home, append(args, "--no-cache")...)
	if n := len(filesUnder(t, home)); n != 1 {
		t.Fatalf("--no-cache changed the cache: %d files", n)
	}
}
