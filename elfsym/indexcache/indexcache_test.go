package indexcache_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/elfsym/elfsymtest"
	"github.com/faultline-dev/faultline/elfsym/indexcache"
)

func sample(t *testing.T) string {
	t.Helper()
	p, err := elfsymtest.Sample(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// open opens elf with cache and says whether the index came from it.
func open(t *testing.T, elf string, cache elfsym.IndexCache) *elfsym.Image {
	t.Helper()
	im, err := elfsym.OpenWith(elf, elfsym.Options{Cache: cache})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { im.Close() })
	return im
}

// answers is every function entry's frames, as text, to compare images.
func answers(im *elfsym.Image) string {
	var b bytes.Buffer
	for _, s := range im.Symbols() {
		if s.Func {
			fmt.Fprintf(&b, "%#x %+v\n", s.Addr, im.Frames(s.Addr+2))
		}
	}
	return b.String()
}

func key(im *elfsym.Image) elfsym.IndexKey {
	return im.IndexKey()
}

func TestSecondOpenLoadsTheSavedIndex(t *testing.T) {
	elf := sample(t)
	c := &indexcache.Dir{Path: t.TempDir()}
	first := open(t, elf, c)
	if first.FromCache() {
		t.Fatal("first open loaded an index from an empty cache")
	}
	if _, err := os.Stat(c.File(key(first))); err != nil {
		t.Fatalf("no index file written: %v", err)
	}
	second := open(t, elf, c)
	if !second.FromCache() {
		t.Fatal("second open built the index again")
	}
	if answers(first) != answers(second) {
		t.Fatal("answers differ between the built and the loaded index")
	}
	if !slices.Equal(first.Warnings(), second.Warnings()) {
		t.Fatalf("warnings differ: built %q, loaded %q", first.Warnings(), second.Warnings())
	}
	if !bytes.Contains([]byte(answers(second)), []byte("classes.cpp")) {
		t.Fatal("the loaded index has no file:line")
	}
}

func TestDamagedFileIsIgnoredAndRebuilt(t *testing.T) {
	elf := sample(t)
	damage := map[string]func([]byte) []byte{
		"payload bit flipped": func(b []byte) []byte { b[len(b)-len(b)/3] ^= 0x10; return b },
		"cut short":           func(b []byte) []byte { return b[:len(b)/2] },
		"header garbage":      func(b []byte) []byte { copy(b, "garbage!"); return b },
		"empty":               func(b []byte) []byte { return nil },
		"extra bytes":         func(b []byte) []byte { return append(b, 1, 2, 3) },
	}
	for name, f := range damage {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c := &indexcache.Dir{Path: t.TempDir()}
			want := answers(open(t, elf, c))
			im := open(t, elf, c)
			p := c.File(key(im))
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, f(b), 0o644); err != nil {
				t.Fatal(err)
			}
			if data, err := c.Load(key(im)); data != nil || !errors.Is(err, indexcache.ErrDamaged) {
				t.Fatalf("Load of a damaged file = %d bytes, %v; want nothing and ErrDamaged", len(data), err)
			}
			rebuilt := open(t, elf, c)
			if rebuilt.FromCache() {
				t.Fatal("a damaged index was used")
			}
			if got := answers(rebuilt); got != want {
				t.Fatal("answers after rebuilding differ")
			}
			if !open(t, elf, c).FromCache() {
				t.Fatal("the rebuilt index was not saved over the damaged one")
			}
		})
	}
}

func TestStaleFileIsIgnored(t *testing.T) {
	elf := sample(t)
	c := &indexcache.Dir{Path: t.TempDir()}
	im := open(t, elf, c)
	k := key(im)
	data, err := c.Load(k)
	if err != nil || data == nil {
		t.Fatalf("Load = %d bytes, %v", len(data), err)
	}
	other := map[string]elfsym.IndexKey{
		// Same build id, other contents: a rebuilt file whose note was
		// kept, or a patched binary. The file name is the same.
		"other content": {BuildID: k.BuildID, Content: "00" + k.Content[2:], Version: k.Version},
		"older elfsym":  {BuildID: k.BuildID, Content: k.Content, Version: k.Version - 1},
	}
	for name, ok := range other {
		t.Run(name, func(t *testing.T) {
			c := &indexcache.Dir{Path: t.TempDir()}
			if err := c.Store(ok, data); err != nil {
				t.Fatal(err)
			}
			if got, err := c.Load(k); got != nil || err != nil {
				t.Fatalf("Load of a stale file = %d bytes, %v; want nothing", len(got), err)
			}
			if open(t, elf, c).FromCache() {
				t.Fatal("a stale index was used")
			}
			if !open(t, elf, c).FromCache() {
				t.Fatal("the fresh index did not replace the stale one")
			}
		})
	}
}

// Concurrent writers of one key and readers of it: every read is nothing
// or one complete payload, never a mix or a cut.
func TestConcurrentWritersNeverTearAFile(t *testing.T) {
	c := &indexcache.Dir{Path: t.TempDir()}
	k := elfsym.IndexKey{BuildID: "abcd", Content: "0123456789abcdef", Version: elfsym.IndexVersion}
	payloads := make([][]byte, 4)
	for i := range payloads {
		payloads[i] = bytes.Repeat([]byte{byte('a' + i)}, (i+1)*300_000)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	deadline := time.Now().Add(500 * time.Millisecond)
	for i := range payloads {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				if err := c.Store(k, payloads[i]); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	reads := 0
	var mu sync.Mutex
	for range 2 {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				got, err := c.Load(k)
				if err != nil {
					errs <- fmt.Errorf("Load during writes: %w", err)
					return
				}
				if got != nil && !slices.ContainsFunc(payloads, func(p []byte) bool { return bytes.Equal(p, got) }) {
					errs <- fmt.Errorf("Load returned %d bytes that no writer wrote", len(got))
					return
				}
				mu.Lock()
				reads++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if reads == 0 {
		t.Fatal("no reads happened")
	}
	// No temporary file is left; remembered checks (.ident) of files
	// replaced while a writer stored are kept under the size bound.
	ents, _ := os.ReadDir(c.Path)
	for _, e := range ents {
		if e.Name() != filepath.Base(c.File(k)) && !strings.HasSuffix(e.Name(), ".ident") {
			t.Errorf("left behind: %s", e.Name())
		}
	}
}

// TestStoredFileNeedsNoCheck: the file Store writes is remembered as
// checked at once (its CRC is the one written), even within the racy
// window, so the loads after it do not read it whole; replacing it
// forgets the replaced file's check; damage in place is still caught.
func TestStoredFileNeedsNoCheck(t *testing.T) {
	defer indexcache.SetRacyWindow(time.Hour)()
	c := &indexcache.Dir{Path: t.TempDir()}
	k := elfsym.IndexKey{BuildID: "abcd", Content: "0123456789abcdef", Version: elfsym.IndexVersion}
	identity := func() elfsym.FileIdentity {
		st, err := os.Stat(c.File(k))
		if err != nil {
			t.Fatal(err)
		}
		return elfsym.FileIdentityOf(st)
	}
	idents := func() int {
		m, _ := filepath.Glob(filepath.Join(c.Path, "*.ident"))
		return len(m)
	}
	for i, payload := range [][]byte{bytes.Repeat([]byte("first"), 1000), bytes.Repeat([]byte("second"), 2000)} {
		if err := c.Store(k, payload); err != nil {
			t.Fatal(err)
		}
		if got, want := c.LoadContent(identity()), fmt.Sprintf("%08x", crc32.ChecksumIEEE(payload)); got != want {
			t.Fatalf("store %d: remembered check %q, want the payload's CRC %q", i, got, want)
		}
		if n := idents(); n != 1 {
			t.Fatalf("store %d: %d remembered checks, want the stored file's only", i, n)
		}
		got, err := c.Load(k)
		if err != nil || !bytes.Equal(got, payload) {
			t.Fatalf("store %d: Load = %d bytes, %v", i, len(got), err)
		}
		c.Release(got)
	}
	st, err := os.Stat(c.File(k))
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(10 * time.Millisecond) // past the filesystem's timestamp tick
	f, err := os.OpenFile(c.File(k), os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte("X"), st.Size()-100); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := os.Chtimes(c.File(k), st.ModTime(), st.ModTime()); err != nil {
		t.Fatal(err)
	}
	if data, err := c.Load(k); data != nil || !errors.Is(err, indexcache.ErrDamaged) {
		t.Fatalf("Load of the stored file damaged in place = %d bytes, %v; want ErrDamaged", len(data), err)
	}
}

func TestXDGCacheHomeMovesTheCache(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", dir)
	c, err := indexcache.Default()
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "faultline", "index"); c.Path != want {
		t.Fatalf("Default().Path = %s, want %s", c.Path, want)
	}
	im := open(t, sample(t), c)
	if _, err := os.Stat(c.File(key(im))); err != nil {
		t.Fatalf("index not under XDG_CACHE_HOME: %v", err)
	}
}

func TestEvictsLeastRecentlyUsedBeyondTheBound(t *testing.T) {
	c := &indexcache.Dir{Path: t.TempDir(), MaxBytes: 2500}
	keys := make([]elfsym.IndexKey, 4)
	old := time.Now().Add(-time.Hour)
	for i := range keys {
		keys[i] = elfsym.IndexKey{Content: fmt.Sprintf("%064x", i), Version: elfsym.IndexVersion}
		if err := c.Store(keys[i], make([]byte, 1000)); err != nil {
			t.Fatal(err)
		}
		// Distinct ages; key 0 is then used again, so it is the newest.
		os.Chtimes(c.File(keys[i]), old.Add(time.Duration(i)*time.Minute), old.Add(time.Duration(i)*time.Minute))
		if i == 1 {
			if got, _ := c.Load(keys[0]); got == nil {
				t.Fatal("key 0 evicted too early")
			}
		}
	}
	var total int64
	ents, _ := os.ReadDir(c.Path)
	for _, e := range ents {
		info, _ := e.Info()
		total += info.Size()
	}
	if total > c.MaxBytes {
		t.Errorf("cache holds %d bytes, bound %d", total, c.MaxBytes)
	}
	if got, _ := c.Load(keys[3]); got == nil {
		t.Error("the index just written was evicted")
	}
	if got, _ := c.Load(keys[1]); got != nil {
		t.Error("the least recently used index was kept")
	}
	if err := c.Store(elfsym.IndexKey{Content: "aa", Version: 1}, make([]byte, 5000)); err == nil {
		t.Error("an index larger than the bound was stored")
	}
}

// Load maps the file; Release unmaps it, and a later Load maps it again.
// Data that Load did not return is ignored.
func TestReleaseGivesBackWhatLoadMapped(t *testing.T) {
	c := &indexcache.Dir{Path: t.TempDir()}
	k := elfsym.IndexKey{Content: "abcdef", Version: elfsym.IndexVersion}
	want := bytes.Repeat([]byte("index "), 10000)
	if err := c.Store(k, want); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		got, err := c.Load(k)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("Load = %d bytes, %v", len(got), err)
		}
		c.Release(got)
	}
	c.Release(nil)
	c.Release(make([]byte, 10))
	var _ elfsym.IndexReleaser = c
}

// TestCheckedFileDamagedInPlaceIsStillCaught: an index file's CRC is
// checked once and remembered by the file's stat; damage written in
// place, even with the size and mtime put back, changes the stat (ctime),
// so the file is checked again and found damaged.
func TestCheckedFileDamagedInPlaceIsStillCaught(t *testing.T) {
	defer indexcache.SetRacyWindow(0)()
	elf := sample(t)
	c := &indexcache.Dir{Path: t.TempDir()}
	k := key(open(t, elf, c))
	p := c.File(k)
	data, err := c.Load(k)
	if data == nil || err != nil {
		t.Fatalf("first Load: %d bytes, %v", len(data), err)
	}
	c.Release(data)
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if c.LoadContent(elfsym.FileIdentityOf(st)) == "" {
		t.Fatal("the checked file's CRC was not remembered by its stat")
	}
	data, err = c.Load(k) // remembered: not checked again
	if data == nil || err != nil {
		t.Fatalf("second Load: %d bytes, %v", len(data), err)
	}
	c.Release(data)
	time.Sleep(10 * time.Millisecond) // past the filesystem's timestamp tick
	f, err := os.OpenFile(p, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte{0xff, 0xee}, st.Size()-st.Size()/3); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := os.Chtimes(p, st.ModTime(), st.ModTime()); err != nil {
		t.Fatal(err)
	}
	if data, err := c.Load(k); data != nil || !errors.Is(err, indexcache.ErrDamaged) {
		t.Fatalf("Load of a file damaged in place = %d bytes, %v; want nothing and ErrDamaged", len(data), err)
	}
	if open(t, elf, c).FromCache() {
		t.Fatal("the damaged index was used")
	}
}

// TestRememberedHashReadsBackOnlyExactly: a remembered hash reads back for
// the identity it was stored for and nothing else; an ident file changed
// in any way (cut, a digit changed, grown, written for another identity)
// gives no hash. The hash remembered for a checked index file is its
// payload's CRC, as %08x writes it.
func TestRememberedHashReadsBackOnlyExactly(t *testing.T) {
	defer indexcache.SetRacyWindow(0)()
	c := &indexcache.Dir{Path: t.TempDir()}
	id := elfsym.FileIdentity{Dev: 0xfe01, Ino: 0x99e4a6, Size: 27545716, MtimeNs: 1764770000123456789, CtimeNs: -5}
	const h = "0123abcd00000000001a4574"
	if err := c.StoreContent(id, h); err != nil {
		t.Fatal(err)
	}
	if got := c.LoadContent(id); got != h {
		t.Fatalf("LoadContent = %q, want %q", got, h)
	}
	other := id
	other.CtimeNs++
	if got := c.LoadContent(other); got != "" {
		t.Fatalf("LoadContent of another identity = %q", got)
	}
	files, _ := filepath.Glob(filepath.Join(c.Path, "*.ident"))
	if len(files) != 1 {
		t.Fatalf("%d ident files, want 1", len(files))
	}
	good, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	damaged := map[string][]byte{
		"cut before the newline": good[:len(good)-1],
		"cut in the hash":        good[:len(good)-5],
		"hash digit not hex":     bytes.Replace(good, []byte("abcd"), []byte("abcg"), 1),
		"size changed":           bytes.Replace(good, []byte(" 27545716 "), []byte(" 27545717 "), 1),
		"grown":                  append(append([]byte(nil), good...), "x\n"...),
		"empty hash":             append(append([]byte(nil), good[:bytes.LastIndexByte(good, ' ')+1]...), '\n'),
	}
	for name, b := range damaged {
		if err := os.WriteFile(files[0], b, 0o600); err != nil {
			t.Fatal(err)
		}
		if got := c.LoadContent(id); got != "" {
			t.Errorf("%s: LoadContent = %q, want none", name, got)
		}
	}

	elf := sample(t)
	k := key(open(t, elf, c))
	data, err := c.Load(k)
	if data == nil || err != nil {
		t.Fatalf("Load: %d bytes, %v", len(data), err)
	}
	want := fmt.Sprintf("%08x", crc32.ChecksumIEEE(data))
	c.Release(data)
	st, err := os.Stat(c.File(k))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.LoadContent(elfsym.FileIdentityOf(st)); got != want {
		t.Fatalf("remembered check of the index file = %q, want its payload's CRC %q", got, want)
	}
}
