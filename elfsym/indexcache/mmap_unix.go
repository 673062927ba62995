//go:build unix

package indexcache

import (
	"os"
	"syscall"

	"github.com/faultline-dev/faultline/internal/plainfile"
)

// mapFile maps a saved index read-only. Files here are only ever replaced
// by rename and removed, never changed in place, so a mapping stays valid
// (and its contents fixed) until it is unmapped. It also returns the
// mapped file's stat (nil when it was read instead).
func mapFile(path string) ([]byte, bool, os.FileInfo, error) {
	f, err := plainfile.Open(path)
	if err != nil {
		return nil, false, nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, false, nil, err
	}
	if st.Size() == 0 || st.Size() != int64(int(st.Size())) {
		b, err := os.ReadFile(path)
		return b, false, nil, err
	}
	b, err := syscall.Mmap(int(f.Fd()), 0, int(st.Size()), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		b, err := os.ReadFile(path)
		return b, false, nil, err
	}
	return b, true, st, nil
}

func unmap(b []byte) { _ = syscall.Munmap(b) }
