//go:build linux

package indexcache

import (
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// createUnnamed opens a new file in dir that has no name (O_TMPFILE): a
// writer killed before linkUnnamed names it, complete, leaves nothing in
// the directory. It fails where the filesystem cannot.
func createUnnamed(dir string) (*os.File, error) {
	for {
		fd, err := unix.Open(dir, unix.O_TMPFILE|unix.O_WRONLY|unix.O_CLOEXEC, 0o600)
		switch err {
		case nil:
			return os.NewFile(uintptr(fd), dir), nil
		case unix.EINTR:
			continue
		}
		return nil, &os.PathError{Op: "open unnamed file in", Path: dir, Err: err}
	}
}

// linkUnnamed gives f, made by createUnnamed, the name path (which must
// not exist), through /proc: linking the descriptor itself takes a
// privilege.
func linkUnnamed(f *os.File, path string) error {
	err := unix.Linkat(unix.AT_FDCWD, "/proc/self/fd/"+strconv.Itoa(int(f.Fd())), unix.AT_FDCWD, path, unix.AT_SYMLINK_FOLLOW)
	if err != nil {
		return &os.LinkError{Op: "link", Old: f.Name(), New: path, Err: err}
	}
	return nil
}
