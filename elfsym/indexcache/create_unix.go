//go:build unix

package indexcache

import (
	"os"
	"syscall"
)

// createEmpty creates an empty file at path unless one is there already
// (no error then). It calls the system directly: os.OpenFile offers the
// file to the runtime's poller, five more system calls that fail for a
// regular file.
func createEmpty(path string) error {
	for {
		fd, err := syscall.Open(path, syscall.O_WRONLY|syscall.O_CREAT|syscall.O_EXCL|syscall.O_CLOEXEC, 0o644)
		switch err {
		case nil:
			return syscall.Close(fd)
		case syscall.EINTR:
			continue
		case syscall.EEXIST:
			return nil
		}
		return &os.PathError{Op: "create", Path: path, Err: err}
	}
}
