package indexcache_test

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/elfsym/indexcache"
)

// A first open's mark is found for exactly the identity it was left for
// (any change to the file's stat makes it another), is made in a cache
// directory that does not exist yet, and survives being left again, also
// by many runs at once.
func TestMarkIsSeenOnlyForItsIdentity(t *testing.T) {
	c := &indexcache.Dir{Path: filepath.Join(t.TempDir(), "faultline", "index")}
	id := elfsym.FileIdentity{Dev: 0xfe01, Ino: 0x99e4a6, Size: 596476, MtimeNs: 1764770000123456789, CtimeNs: -5}
	if c.Sighted(id) {
		t.Fatal("sighted before any mark")
	}
	if err := c.MarkSighted(id); err != nil {
		t.Fatalf("mark in a cache directory not made yet: %v", err)
	}
	if !c.Sighted(id) {
		t.Fatal("mark not found")
	}
	for name, change := range map[string]func(*elfsym.FileIdentity){
		"device": func(o *elfsym.FileIdentity) { o.Dev++ },
		"inode":  func(o *elfsym.FileIdentity) { o.Ino++ },
		"size":   func(o *elfsym.FileIdentity) { o.Size++ },
		"mtime":  func(o *elfsym.FileIdentity) { o.MtimeNs++ },
		"ctime":  func(o *elfsym.FileIdentity) { o.CtimeNs++ },
	} {
		other := id
		change(&other)
		if c.Sighted(other) {
			t.Errorf("%s changed: the old identity's mark counts", name)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() { errs <- c.MarkSighted(id) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("mark left again: %v", err)
		}
	}
	if !c.Sighted(id) {
		t.Fatal("mark lost when left again")
	}
	if err := c.MarkSighted(elfsym.FileIdentity{}); err == nil {
		t.Error("a mark for no identity was left")
	}
	// Something else under the mark's name is no mark.
	dir := &indexcache.Dir{Path: t.TempDir()}
	if err := dir.MarkSighted(id); err != nil {
		t.Fatal(err)
	}
	marks, _ := filepath.Glob(filepath.Join(dir.Path, "*.seen"))
	if len(marks) != 1 {
		t.Fatalf("%d marks, want 1", len(marks))
	}
	if err := os.Remove(marks[0]); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(marks[0], 0o755); err != nil {
		t.Fatal(err)
	}
	if dir.Sighted(id) {
		t.Error("a directory under the mark's name counts as a mark")
	}
}

// Marks are empty, so the byte bound cannot bound them: the directory
// keeps the newest maxMarks, trimmed by marks as well as by stored
// indexes.
func TestMarksAreBoundedByCount(t *testing.T) {
	defer indexcache.SetMarkBounds(3, 1)()
	c := &indexcache.Dir{Path: t.TempDir()}
	ids := make([]elfsym.FileIdentity, 6)
	old := time.Now().Add(-time.Hour)
	for i := range ids {
		ids[i] = elfsym.FileIdentity{Dev: 1, Ino: uint64(100 + i), Size: 10, MtimeNs: 1, CtimeNs: 1}
		if err := c.MarkSighted(ids[i]); err != nil {
			t.Fatal(err)
		}
		// Distinct ages, oldest first: the mark just made is the one
		// younger than a minute.
		marks, _ := filepath.Glob(filepath.Join(c.Path, "*.seen"))
		for _, m := range marks {
			st, err := os.Stat(m)
			if err == nil && time.Since(st.ModTime()) < time.Minute {
				at := old.Add(time.Duration(i) * time.Minute)
				os.Chtimes(m, at, at)
			}
		}
	}
	marks, _ := filepath.Glob(filepath.Join(c.Path, "*.seen"))
	if len(marks) != 3 {
		t.Fatalf("%d marks kept, want 3", len(marks))
	}
	// Each trim ran with the mark just made the newest: the last kept
	// it and the two before it.
	for i, id := range ids {
		if got := c.Sighted(id); got != (i >= 3) {
			t.Errorf("mark %d: sighted %v, want %v", i, got, i >= 3)
		}
	}
}
