//go:build linux

package indexcache

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
)

// startBuilder starts a builder for the ELF at elf (an absolute path)
// unless one holds the lock file lock in d: true when one runs.
func startBuilder(d *Dir, lock, elf string) bool {
	// The directory is there (the first open left its mark in it); one
	// that is not gets no lock, and the caller builds.
	f, err := os.OpenFile(filepath.Join(d.Path, lock), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return false
	}
	defer f.Close() // the builder has its own descriptor for the lock
	if err := flock(f, syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return errors.Is(err, syscall.EWOULDBLOCK) // a builder has it
	}
	null, err := syscall.Open(os.DevNull, syscall.O_RDWR|syscall.O_CLOEXEC, 0)
	if err != nil {
		_ = flock(f, syscall.LOCK_UN)
		return false
	}
	defer syscall.Close(null)
	// syscall.ForkExec, not os/exec: os.StartProcess first checks, once
	// per process, that the kernel's pidfds work by starting a child that
	// exits at once, a second fork for a run that starts one process.
	pid, err := syscall.ForkExec("/proc/self/exe", // this very program, even if its file was replaced since
		[]string{os.Args[0], builderArg, d.Path, lock, elf},
		&syscall.ProcAttr{
			Env: os.Environ(),
			// Stdio on /dev/null; the lock is descriptor 3.
			Files: []uintptr{uintptr(null), uintptr(null), uintptr(null), f.Fd()},
			// Its own session: Ctrl-C and the terminal closing reach the
			// run, not the builder, which finishes or writes nothing.
			Sys: &syscall.SysProcAttr{Setsid: true},
		})
	if err != nil {
		_ = flock(f, syscall.LOCK_UN)
		return false
	}
	// Reaped if this process outlives it (a TUI, serve); a run that exits
	// first leaves it to init.
	go func() {
		var ws syscall.WaitStatus
		for {
			if _, err := syscall.Wait4(pid, &ws, 0, nil); err != syscall.EINTR {
				return
			}
		}
	}()
	return true
}

// holdLock checks that descriptor 3 is a lock file this process holds
// (the one BuildIndex took: taking it again through the same open file
// succeeds at once) and returns its stat.
func holdLock() (os.FileInfo, bool) {
	f := os.NewFile(3, "index build lock")
	if f == nil {
		return nil, false
	}
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		return nil, false
	}
	if flock(f, syscall.LOCK_EX|syscall.LOCK_NB) != nil {
		return nil, false
	}
	return st, true // f stays open, and locked, until the process exits
}

// locked reports whether another open file holds path's lock.
func locked(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	if err := flock(f, syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return errors.Is(err, syscall.EWOULDBLOCK)
	}
	_ = flock(f, syscall.LOCK_UN)
	return false
}

func flock(f *os.File, how int) error {
	for {
		err := syscall.Flock(int(f.Fd()), how)
		if err != syscall.EINTR {
			return err
		}
	}
}

// lowerPriority makes the builder yield the CPU to everything else
// (nice 19): the user's next command is worth more than its index.
func lowerPriority() { _ = syscall.Setpriority(syscall.PRIO_PROCESS, 0, 19) }
