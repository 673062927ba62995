package plainfile

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Open reads a file as os.Open does and fails as it does; ReadSmall
// returns files up to its bound whole and refuses longer ones.
func TestOpenAndReadSmallReadAsTheOSDoes(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, n int) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, bytes.Repeat([]byte{'x'}, n), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	p := write("f", 1000)
	f, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 2000)
	n, _ := f.ReadAt(b, 0)
	if st, err := f.Stat(); err != nil || st.Size() != 1000 || n != 1000 {
		t.Fatalf("Open: read %d bytes, stat %v %v", n, st, err)
	}
	f.Close()
	if _, err := Open(filepath.Join(dir, "none")); !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "open "+dir) {
		t.Fatalf("Open of a missing file: %v, want the os.Open error", err)
	}
	for _, tc := range []struct {
		size, max int
		ok        bool
	}{{0, 512, true}, {1, 512, true}, {512, 512, true}, {513, 512, false}, {5000, 512, false}} {
		got, err := ReadSmall(write("s", tc.size), tc.max)
		if ok := err == nil; ok != tc.ok || (ok && len(got) != tc.size) {
			t.Errorf("ReadSmall of %d bytes, bound %d: %d bytes, %v", tc.size, tc.max, len(got), err)
		}
	}
	if _, err := ReadSmall(dir, 512); err == nil {
		t.Error("ReadSmall of a directory succeeded")
	}
}
