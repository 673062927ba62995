//go:build unix

package indexcache

import (
	"fmt"
	"os"
	"syscall"
)

// mapFile maps a saved index read-only. Files here are only ever replaced
// by rename and removed, never changed in place, so a mapping stays valid
// (and its contents fixed) until it is unmapped. It also returns the
// mapped file's stat (nil when it was read instead).
func mapFile(path string) ([]byte, bool, os.FileInfo, error) {
	f, err := openPlain(path)
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

// openPlain opens path read-only as os.Open does, without registering it
// with the runtime's poller: os.Open tries that for every file, five
// system calls that fail for a regular one, and every warm start opens
// three files here.
func openPlain(path string) (*os.File, error) {
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	return os.NewFile(uintptr(fd), path), nil
}

// readSmall returns the contents of the file at path, an error if it is
// longer than max bytes.
func readSmall(path string, max int) ([]byte, error) {
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	defer syscall.Close(fd)
	b := make([]byte, max+1)
	n := 0
	for n < len(b) {
		m, err := syscall.Read(fd, b[n:])
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, &os.PathError{Op: "read", Path: path, Err: err}
		}
		if m == 0 {
			break
		}
		n += m
	}
	if n > max {
		return nil, fmt.Errorf("%s: longer than %d bytes", path, max)
	}
	return b[:n], nil
}
