package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
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
