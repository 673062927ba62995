package indexcache

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/faultline-dev/faultline/elfsym"
)

// The second lazy open of an ELF has its whole index built and saved when
// closed (elfsym.Options.Lazy). Built in the process, that is a third of
// a second of CPU for a 25 MB firmware, after the answers but before the
// exit: five times addr2line's whole run on it. Open hands it instead to
// a copy of the program started detached (its own session, stdio on
// /dev/null, lowest priority) that the run does not wait for; the next
// run loads the index when it is there and answers lazily, as this one
// did, until then.
//
// Measured (second run, 10 addresses, shell-timed medians on the shared
// 2-core machine): on the 25 MB firmware the run built in the process in
// 265 ms, handed over in 19 ms (the first run's time; the index is saved
// about 0.6 s later); on the 0.6 MB web server firmware 12.8 ms against
// 6.6 ms. Starting the builder costs the run a fork and exec (a quarter
// of a millisecond, more on a busy machine): elfsym starts it as the ELF
// is opened, so that it overlaps the lookups, and the builder waits,
// every thread at nice 19 from its start, until the run's Close (or its
// exit) says go (descriptor 4, a pipe, reads end of file). Not taken: saving each run's units for later runs to merge
// leaves some run paying for most of the build (the saved index is one
// mmapped, sorted layout: a merge rewrites it whole), and the build is
// parallel already.
//
// One builder per ELF: a builder holds an exclusive lock on a file named
// for the ELF's stat identity (the run need not have hashed it: see
// elfsym's seenUnhashed) until it exits; a run that finds it taken starts
// none. A run that finds the file takes the lock and passes it to the
// builder; one that does not leaves making it to the builder (a change
// to the directory is a quarter of a millisecond here), and of two
// builders started so, the one without the lock exits at once. (Copies
// of one ELF may each start one: they write the same index, whole, in
// turn.) The builder writes as every writer does (an unnamed file named
// and renamed into place once complete), so a builder killed at any
// point leaves nothing a reader sees, and it never makes the cache
// directory: a builder whose directory was removed under it (a test's
// temporary cache) writes nothing and exits.

// BuildEnv is the environment variable that, set to "inprocess", keeps
// builds in the process that opened the ELF, as in programs that do not
// call ServeBackground: test harnesses whose cache directories are
// removed when they end set it for the binaries they run.
const BuildEnv = "FAULTLINE_INDEX_BUILD"

// builderArg, as a process's first argument, makes it a builder
// (ServeBackground): then the cache directory, the lock file's name in it
// and the ELF.
const builderArg = "__faultline-index-builder"

// lockSuffix ends the name of a build's lock file, beside its index.
const lockSuffix = ".lock"

// builderTimeout bounds a builder's run: a 25 MB firmware takes a
// second, at the lowest priority on a busy machine maybe tens.
const builderTimeout = 10 * time.Minute

// background says whether Open hands builds to a builder process.
var background atomic.Bool

// ServeBackground lets Open hand whole-index builds to a detached copy of
// this program, and is that copy's entry point: a program's main calls it
// first and returns at once when it reports true (the process was started
// as a builder and has done its work). Programs that do not call it (test
// binaries) build in the process that asks, as does one started with
// FAULTLINE_INDEX_BUILD=inprocess.
func ServeBackground() bool {
	if len(os.Args) == 5 && os.Args[1] == builderArg {
		runBuilder(os.Args[2], os.Args[3], os.Args[4])
		return true
	}
	background.Store(os.Getenv(BuildEnv) != "inprocess")
	return false
}

// lockName is the name of the lock file for the ELF with identity id.
func lockName(id elfsym.FileIdentity) string {
	return strings.TrimSuffix(markName(id), markSuffix) + lockSuffix
}

// BuildIndex starts a builder for the index of the ELF at path, whose
// stat identity is id (elfsym.IndexBuilder). The builder waits, at the
// lowest priority, until start is called or this process exits, then
// builds. ok is true when one runs for it (started now or before), false
// when none could be started: the caller builds the index itself.
func (d *Dir) BuildIndex(path string, id elfsym.FileIdentity) (start func(), ok bool) {
	abs, err := filepath.Abs(path)
	if err != nil || id == (elfsym.FileIdentity{}) {
		return nil, false
	}
	return startBuilder(d, lockName(id), abs)
}

// Building reports whether a builder holds the lock for the ELF with
// identity id: whether one may still write to the directory.
func (d *Dir) Building(id elfsym.FileIdentity) bool { return locked(d.LockFile(id)) }

// LockFile returns the file a builder for the ELF with identity id holds
// locked (flock) while it runs; BuildIndex starts none while it is.
func (d *Dir) LockFile(id elfsym.FileIdentity) string { return filepath.Join(d.Path, lockName(id)) }

// runBuilder is a builder's work: take the lock (handed over as
// descriptor 3, or the file lock in dir), wait for the go (descriptor 4
// reads end of file), then build and save the ELF's index in dir, unless
// it is there already or dir is gone, holding the lock until it exits.
func runBuilder(dir, lock, elf string) {
	if filepath.Base(lock) != lock || filepath.Ext(lock) != lockSuffix || !startedByBuildIndex() {
		return // not started by BuildIndex
	}
	held, ok := holdLock(dir, lock)
	if !ok {
		return // another builder has it
	}
	defer runtime.KeepAlive(held) // collected, it would be closed, and the lock with it
	lowerPriority()
	// Started while the run that asked still answers: its CPU is theirs
	// until they are done (or the run is gone).
	waitForGo()
	// A builder that hangs (a file on a stuck network mount) must not
	// hold the lock for ever; killed mid-write, it leaves a temporary
	// file that trim removes.
	time.AfterFunc(builderTimeout, func() { os.Exit(2) })
	if st, err := os.Stat(dir); err == nil && st.IsDir() {
		_ = elfsym.SaveIndex(elf, &Dir{Path: dir, noMkdir: true})
	}
	// The lock file goes with the build, if it is still the one held (a
	// run that opened it meanwhile locks an unlinked file: it starts a
	// builder that finds the index saved).
	p := filepath.Join(dir, lock)
	if st, err := held.Stat(); err == nil {
		if cur, err := os.Stat(p); err == nil && os.SameFile(st, cur) {
			os.Remove(p)
		}
	}
}
