//go:build linux

package indexcache

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"syscall"
)

// startBuilder starts a builder for the ELF at elf (an absolute path)
// unless one holds the lock file lock in d: ok when one runs. The one
// started here waits for start (see BuildIndex).
func startBuilder(d *Dir, lock, elf string) (start func(), ok bool) {
	// A lock file left by an earlier build is taken here and handed over
	// (descriptor 3); a missing one is made by the builder: making a file
	// is a change to the directory, a quarter of a millisecond of a run
	// here, which the builder can as well spend. Two runs that both find
	// none start a builder each, and the one that does not get the lock
	// exits at once.
	null, err := syscall.Open(os.DevNull, syscall.O_RDWR|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, false
	}
	defer syscall.Close(null)
	// Descriptor 3 is /dev/null when the builder is to make the lock:
	// closed, the runtime's start would reuse it for a file of its own.
	lockFd := null
	f, err := os.OpenFile(filepath.Join(d.Path, lock), os.O_RDWR, 0)
	switch {
	case err == nil:
		defer f.Close() // the builder has its own descriptor for the lock
		if err := flock(f, syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			return func() {}, errors.Is(err, syscall.EWOULDBLOCK) // a builder has it
		}
		lockFd = int(f.Fd())
	case errors.Is(err, fs.ErrNotExist):
		// The directory is there (the first open left its mark in it);
		// one that is not gets no builder, and the caller builds.
		if st, err := os.Stat(d.Path); err != nil || !st.IsDir() {
			return nil, false
		}
	default:
		return nil, false
	}
	unlock := func() {
		if f != nil {
			_ = flock(f, syscall.LOCK_UN)
		}
	}
	// The go: the builder reads its end (descriptor 4) until end of
	// file, which comes when start closes this process's end, or when
	// the process exits. Close-on-exec: no other child holds it open.
	var p [2]int
	if err := syscall.Pipe2(p[:], syscall.O_CLOEXEC); err != nil {
		unlock()
		return nil, false
	}
	defer syscall.Close(p[0])
	// syscall.ForkExec, not os/exec: os.StartProcess first checks, once
	// per process, that the kernel's pidfds work by starting a child that
	// exits at once, a second fork for a run that starts one process.
	pid, err := syscall.ForkExec("/proc/self/exe", // this very program, even if its file was replaced since
		[]string{os.Args[0], builderArg, d.Path, lock, elf},
		&syscall.ProcAttr{
			Env: os.Environ(),
			// Stdio on /dev/null; the lock is descriptor 3 (/dev/null
			// when the builder is to make it), the go 4.
			Files: []uintptr{uintptr(null), uintptr(null), uintptr(null), uintptr(lockFd), uintptr(p[0])},
			// Its own session: Ctrl-C and the terminal closing reach the
			// run, not the builder, which finishes or writes nothing.
			Sys: &syscall.SysProcAttr{Setsid: true},
		})
	if err != nil {
		syscall.Close(p[1])
		unlock()
		return nil, false
	}
	// Lowest priority from here on, as its runtime starts: the run's
	// lookups are still going. By its process group (its own: Setsid),
	// which sets every thread's; PRIO_PROCESS sets one thread's.
	_ = syscall.Setpriority(syscall.PRIO_PGRP, pid, builderNice)
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
	var once sync.Once
	return func() { once.Do(func() { syscall.Close(p[1]) }) }, true
}

// startedByBuildIndex reports whether descriptor 4 is a pipe, the go
// BuildIndex passes its builder.
func startedByBuildIndex() bool {
	var st syscall.Stat_t
	return syscall.Fstat(4, &st) == nil && st.Mode&syscall.S_IFMT == syscall.S_IFIFO
}

// waitForGo blocks until descriptor 4, the go BuildIndex passed, reads
// end of file.
func waitForGo() {
	var b [1]byte
	for {
		n, err := syscall.Read(4, b[:])
		if (err == nil && n == 0) || (err != nil && err != syscall.EINTR) {
			break
		}
	}
	syscall.Close(4)
}

// holdLock takes the build's lock and returns it, open: descriptor 3 when
// BuildIndex handed one over (a regular file: taking it again through
// the same open file succeeds at once), otherwise the lock file lock in
// dir, made if need be (never dir: a removed cache stays removed). false:
// another builder holds it, or no lock can be had. The caller keeps f
// alive: collected, it would be closed, and the lock with it.
func holdLock(dir, lock string) (f *os.File, ok bool) {
	var st syscall.Stat_t
	if syscall.Fstat(3, &st) == nil && st.Mode&syscall.S_IFMT == syscall.S_IFREG {
		f = os.NewFile(3, "index build lock")
	} else {
		var err error
		if f, err = os.OpenFile(filepath.Join(dir, lock), os.O_RDWR|os.O_CREATE, 0o644); err != nil {
			return nil, false
		}
	}
	if flock(f, syscall.LOCK_EX|syscall.LOCK_NB) != nil {
		f.Close()
		return nil, false
	}
	return f, true
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

// builderNice is a builder's priority: it yields the CPU to everything
// else, the user's next command is worth more than its index.
const builderNice = 19

// lowerPriority makes the builder yield the CPU to everything else: every
// thread of it, by its process group when it leads its own (as
// BuildIndex starts it); PRIO_PROCESS sets only the calling thread's, and
// the runtime's goroutines run on several.
func lowerPriority() {
	if syscall.Getpgrp() == syscall.Getpid() {
		_ = syscall.Setpriority(syscall.PRIO_PGRP, 0, builderNice)
		return
	}
	_ = syscall.Setpriority(syscall.PRIO_PROCESS, 0, builderNice)
}
