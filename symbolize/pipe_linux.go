package symbolize

import (
	"os"

	"golang.org/x/sys/unix"
)

// GrowPipe enlarges the pipe f writes to, if it is one, to 1 MiB (the
// default most an unprivileged process may ask for). The answers to tens
// of thousands of addresses are megabytes: through a 64 KiB pipe the
// writer stops every few blocks until the reader catches up, and a
// reader taking 8 KiB at a time (Go's io.Copy into io.Discard) made
// symbolize a fifth slower. Best effort: the pipe stays as it was if
// the kernel refuses.
func GrowPipe(f *os.File) {
	st, err := f.Stat()
	if err != nil || st.Mode()&os.ModeNamedPipe == 0 {
		return
	}
	// Through the raw descriptor: f.Fd would switch f to blocking mode.
	rc, err := f.SyscallConn()
	if err != nil {
		return
	}
	_ = rc.Control(func(fd uintptr) { _, _ = unix.FcntlInt(fd, unix.F_SETPIPE_SZ, 1<<20) })
}
