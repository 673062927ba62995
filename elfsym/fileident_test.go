package elfsym_test

import (
	"bytes"
	"debug/elf"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/elfsym/elfsymtest"
	"github.com/faultline-dev/faultline/elfsym/indexcache"
)

// copySample copies the sample ELF to a temporary file and returns its
// path and the file offset of its .comment section, a byte of which can be
// changed without changing any answer's validity.
func copySample(t *testing.T) (string, int64) {
	t.Helper()
	p, b := elfsymtest.SampleCopy(t)
	f, err := elf.NewFile(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	c := f.Section(".comment")
	if c == nil || c.Size < 4 {
		t.Fatal("sample ELF has no .comment section to change")
	}
	return p, int64(c.Offset) + 2
}

func openCached(t *testing.T, path string, c elfsym.IndexCache) *elfsym.Image {
	t.Helper()
	im, err := elfsym.OpenWith(path, elfsym.Options{Cache: c})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { im.Close() })
	return im
}

// contentOf is the content hash of path's bytes as read now, with no
// cache to remember it.
func contentOf(t *testing.T, path string) string {
	t.Helper()
	im, err := elfsym.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer im.Close()
	return im.IndexKey().Content
}

// TestContentHashRememberedByStatIdentity: the index cache finds an
// unchanged ELF's content hash by stat instead of reading the file, and
// any change to the file (in place, same size, mtime put back) makes it
// hash the file again, so a stale index is never loaded.
func TestContentHashRememberedByStatIdentity(t *testing.T) {
	defer elfsym.SetRacyWindow(0)()
	rewrite := func(t *testing.T, path string, off int64, keepMtime bool) {
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond) // past the filesystem's timestamp tick
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		var b [1]byte
		r, _ := os.Open(path)
		r.ReadAt(b[:], off)
		r.Close()
		b[0] ^= 0x20
		if _, err := f.WriteAt(b[:], off); err != nil {
			t.Fatal(err)
		}
		f.Close()
		if keepMtime {
			if err := os.Chtimes(path, st.ModTime(), st.ModTime()); err != nil {
				t.Fatal(err)
			}
		}
		if st2, _ := os.Stat(path); st2.Size() != st.Size() {
			t.Fatal("rewrite changed the size")
		}
	}
	tests := []struct {
		name      string
		change    bool
		keepMtime bool
	}{
		{"unchanged file is not hashed again", false, false},
		{"rewritten in place with the same size is hashed again", true, false},
		{"rewritten with the same size and mtime put back is hashed again", true, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path, off := copySample(t)
			c := &indexcache.Dir{Path: t.TempDir()}
			first := openCached(t, path, c)
			want := answersOf(first)
			k1 := first.IndexKey()
			openCached(t, path, c) // the second open saves the whole index
			if tc.change {
				rewrite(t, path, off, tc.keepMtime)
			}
			im := openCached(t, path, c)
			k := im.IndexKey()
			if !tc.change {
				if k != k1 || !im.FromCache() {
					t.Fatalf("unchanged file: key %+v (first %+v), from cache %v", k, k1, im.FromCache())
				}
				// The memo is what gave the key: a hash planted under
				// the file's identity is believed.
				st, _ := os.Stat(path)
				if err := c.StoreContent(elfsym.FileIdentityOf(st), "00000000deadbeef"); err != nil {
					t.Fatal(err)
				}
				if got := openCached(t, path, c).IndexKey().Content; got != "00000000deadbeef" {
					t.Fatalf("content hash %s: the remembered one was not used", got)
				}
			} else {
				if k.Content == k1.Content || k.Content != contentOf(t, path) {
					t.Fatalf("changed file: content %s, before %s, its bytes hash to %s", k.Content, k1.Content, contentOf(t, path))
				}
				if im.FromCache() {
					t.Fatal("changed file: the stale index was loaded")
				}
			}
			if got := answersOf(im); got != want {
				t.Fatal("answers differ from the first open's")
			}
		})
	}
}

// TestFreshFileHashIsNotRemembered: a file changed within the racy window
// could change again in the same timestamp tick unseen by stat, so its
// hash is not remembered.
func TestFreshFileHashIsNotRemembered(t *testing.T) {
	defer elfsym.SetRacyWindow(time.Hour)()
	path, _ := copySample(t)
	c := &indexcache.Dir{Path: t.TempDir()}
	openCached(t, path, c)
	st, _ := os.Stat(path)
	if got := c.LoadContent(elfsym.FileIdentityOf(st)); got != "" {
		t.Fatalf("hash %s remembered for a file changed just now", got)
	}
}

func answersOf(im *elfsym.Image) string {
	var b bytes.Buffer
	for _, s := range im.Symbols() {
		if s.Func {
			fmt.Fprintf(&b, "%#x %+v\n", s.Addr, im.Frames(s.Addr+2))
		}
	}
	return b.String()
}
