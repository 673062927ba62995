package capture

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// failAfter is a writer that accepts n bytes and then fails, like a disk
// that fills up mid-write.
type failAfter struct {
	w io.Writer
	n int
}

var errDiskFull = errors.New("injected: no space left on device")

func (f *failAfter) Write(p []byte) (int, error) {
	if len(p) > f.n {
		n, _ := f.w.Write(p[:f.n])
		f.n = 0
		return n, errDiskFull
	}
	f.n -= len(p)
	return f.w.Write(p)
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

func TestWriteFailureLeavesNoFile(t *testing.T) {
	var whole bytes.Buffer
	if err := Encode(&whole, fullSnapshot()); err != nil {
		t.Fatal(err)
	}
	for _, after := range []int{0, 51, 52 + 32, 1000, whole.Len() / 2, whole.Len() - 1} {
		dir := t.TempDir()
		path := filepath.Join(dir, "crash.core")
		err := writeFile(path, fullSnapshot(), func(w io.Writer) io.Writer { return &failAfter{w: w, n: after} })
		if !errors.Is(err, errDiskFull) {
			t.Fatalf("fail after %d bytes: err = %v, want the injected error", after, err)
		}
		if names := dirNames(t, dir); len(names) != 0 {
			t.Errorf("fail after %d bytes: directory holds %q, want nothing", after, names)
		}
	}
}

func TestWriteFailureKeepsPreviousFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "crash.core")
	old := &Snapshot{Registers: map[string]uint32{"pc": 0x1234}, Meta: Meta{Schema: SchemaV1, Board: "old"}}
	if err := Write(path, old); err != nil {
		t.Fatal(err)
	}
	err := writeFile(path, fullSnapshot(), func(w io.Writer) io.Writer { return &failAfter{w: w, n: 3000} })
	if err == nil {
		t.Fatal("injected failure not reported")
	}
	got, err := Read(path)
	if err != nil {
		t.Fatalf("previous capture damaged: %v", err)
	}
	if got.Meta.Board != "old" || got.Registers["pc"] != 0x1234 {
		t.Errorf("previous capture replaced: %+v", got)
	}
	if names := dirNames(t, dir); len(names) != 1 {
		t.Errorf("directory holds %q, want only crash.core", names)
	}
}

func TestWriteRejectsBadSnapshotBeforeTouchingDisk(t *testing.T) {
	tests := []struct {
		name    string
		mem     []Region
		wantErr string
	}{
		{"overlap", []Region{{Addr: 0x20000000, Data: make([]byte, 16), Name: "ram"}, {Addr: 0x20000008, Data: make([]byte, 8), Name: "stack-msp"}},
			`region "ram" 0x20000000-0x20000010 overlaps region "stack-msp" 0x20000008-0x20000010`},
		{"unsorted", []Region{{Addr: 0x20000000, Data: []byte{1}, Name: "b"}, {Addr: 0x10, Data: []byte{1}, Name: "a"}},
			`not sorted`},
		{"empty region", []Region{{Addr: 0x20000000, Name: "ram"}}, `region "ram" at 0x20000000 is empty`},
		{"past 4 GiB", []Region{{Addr: 0xfffffffe, Data: make([]byte, 4), Name: "top"}}, `past the 32-bit address space`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "crashes")
			err := Write(filepath.Join(dir, "crash.core"), &Snapshot{Memory: tc.mem})
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want it to say %q", err, tc.wantErr)
			}
			if _, err := os.Stat(dir); !os.IsNotExist(err) {
				t.Errorf("a rejected snapshot created %s (stat: %v)", dir, err)
			}
		})
	}
}

func TestWriteRenameFailureRemovesTemp(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "crash.core")
	// A non-empty directory under the final name makes rename fail after
	// the whole file was written.
	if err := os.MkdirAll(filepath.Join(path, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := Write(path, fullSnapshot()); err == nil {
		t.Fatal("Write over a directory succeeded")
	}
	if names := dirNames(t, dir); len(names) != 1 || names[0] != "crash.core" {
		t.Errorf("directory holds %q, want only the crash.core directory", names)
	}
}

func TestWriteCreatesDirectoryAndReadableFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a", "b", "crash.core")
	if err := Write(path, fullSnapshot()); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", st.Mode().Perm())
	}
	if names := dirNames(t, filepath.Dir(path)); len(names) != 1 {
		t.Errorf("directory holds %q, want only crash.core", names)
	}
}

func TestWriteDoesNotChangeTheSnapshot(t *testing.T) {
	s := fullSnapshot()
	s.Meta.Schema = ""
	if err := Write(filepath.Join(t.TempDir(), "c.core"), s); err != nil {
		t.Fatal(err)
	}
	if s.Meta.Schema != "" {
		t.Errorf("Write set the caller's Meta.Schema to %q", s.Meta.Schema)
	}
}
