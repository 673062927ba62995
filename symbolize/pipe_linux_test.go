package symbolize

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// Output to a pipe gets a 1 MiB pipe; output to anything else is left
// alone.
func TestGrowPipeGrowsOnlyPipes(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	size := func(f *os.File) int {
		rc, err := f.SyscallConn()
		if err != nil {
			t.Fatal(err)
		}
		n := -1
		rc.Control(func(fd uintptr) { n, _ = unix.FcntlInt(fd, unix.F_GETPIPE_SZ, 0) })
		return n
	}
	if n := size(w); n >= 1<<20 {
		t.Fatalf("a new pipe holds %d bytes already", n)
	}
	GrowPipe(w)
	if n := size(w); n < 1<<20 {
		t.Fatalf("pipe holds %d bytes after GrowPipe, want 1 MiB", n)
	}
	f, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	GrowPipe(f) // must not fail or change a file
	if n := size(f); n != -1 {
		t.Fatalf("F_GETPIPE_SZ on a file = %d", n)
	}
}
