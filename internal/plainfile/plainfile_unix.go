//go:build unix

package plainfile

import (
	"os"
	"syscall"
)

// Open opens path read-only, as os.Open does but not registered with the
// poller, which regular files, read without waiting, do not need.
func Open(path string) (*os.File, error) {
	for {
		fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, &os.PathError{Op: "open", Path: path, Err: err}
		}
		return os.NewFile(uintptr(fd), path), nil
	}
}
