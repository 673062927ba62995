package indexcache_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/elfsym/elfsymtest"
	"github.com/faultline-dev/faultline/elfsym/indexcache"
)

// Builders, their locks and unnamed temporary files are Linux's.

// The second lazy open of an ELF hands its whole index to a builder
// process and its Close returns without it; the builder saves the index
// (the next open loads it, answering as built) and removes its lock.
func TestSecondOpenBuildsInTheBackground(t *testing.T) {
	path, _ := elfsymtest.SampleCopy(t)
	c := &indexcache.Dir{Path: t.TempDir()}
	k, id := key(open(t, path, nil)), identity(t, path)
	t.Cleanup(func() { waitIdle(t, c, id) }) // before the directory goes
	opts := elfsym.Options{Lazy: true, Cache: c, Builder: c}
	for i := range 2 {
		im, err := elfsym.OpenWith(path, opts)
		if err != nil {
			t.Fatal(err)
		}
		im.Close()
		if data, _ := c.Load(k); data != nil {
			c.Release(data)
			t.Fatalf("open %d saved the index itself", i+1)
		}
	}
	waitBuilt(t, c, k, id, time.Minute)
	if _, err := os.Stat(c.LockFile(id)); !os.IsNotExist(err) {
		t.Errorf("the builder left its lock file: %v", err)
	}
	built := answers(open(t, path, nil))
	third, err := elfsym.OpenWith(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !third.FromCache() || answers(third) != built {
		t.Fatalf("third open: from cache %v, or answers differ from the index built at open", third.FromCache())
	}
	third.Close()

	// Damaged: ignored, answered lazily, and built again in the
	// background.
	b, err := os.ReadFile(c.File(k))
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0xff
	if err := os.WriteFile(c.File(k), b, 0o600); err != nil {
		t.Fatal(err)
	}
	damaged, err := elfsym.OpenWith(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	if damaged.FromCache() || answers(damaged) != built {
		t.Fatalf("open of a damaged index: from cache %v, or answers differ", damaged.FromCache())
	}
	damaged.Close()
	waitBuilt(t, c, k, id, time.Minute)
	again, err := elfsym.OpenWith(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if !again.FromCache() || answers(again) != built {
		t.Fatalf("open after the damaged index was built again: from cache %v, or answers differ", again.FromCache())
	}
}

// A builder is started as the run opens the ELF, but builds only once
// told to go (the run's answers are done) and meanwhile takes no CPU from
// the run: it holds the index's lock (no other is started) and every
// thread of it runs at the lowest priority from its start.
func TestABuilderWaitsForItsGoAtTheLowestPriority(t *testing.T) {
	path, _ := elfsymtest.SampleCopy(t)
	c := &indexcache.Dir{Path: t.TempDir()}
	k, id := key(open(t, path, nil)), identity(t, path)
	t.Cleanup(func() { waitIdle(t, c, id) }) // before the directory goes
	start, ok := c.BuildIndex(path, id)
	if !ok {
		t.Fatal("BuildIndex: no builder started")
	}
	defer start() // a failed test lets it go too
	pid := builderOf(t, c.Path)
	// The sample's index takes milliseconds: a builder that did not wait
	// would have saved it by now.
	time.Sleep(300 * time.Millisecond)
	if data, _ := c.Load(k); data != nil {
		c.Release(data)
		t.Fatal("the builder built before it was told to go")
	}
	if !c.Building(id) {
		t.Fatal("the waiting builder does not hold the lock")
	}
	if _, again := c.BuildIndex(path, id); !again {
		t.Fatal("BuildIndex while one waits: false, want true (one runs)")
	}
	if pid := builderOf(t, c.Path); pid == 0 {
		t.Fatal("no builder waits")
	}
	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/stat", pid))
	if err != nil || len(tasks) == 0 {
		t.Fatalf("the builder's threads: %v %v", tasks, err)
	}
	for _, task := range tasks {
		b, err := os.ReadFile(task)
		if err != nil {
			continue // a thread gone meanwhile
		}
		// Fields after the command's closing parenthesis: state is the
		// 3rd field of the line, nice the 19th.
		f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
		if len(f) < 17 || f[16] != "19" {
			t.Errorf("builder thread %s runs at nice %v, want 19", task, f[16:17])
		}
	}
	start()
	waitBuilt(t, c, k, id, time.Minute)
}

// builderOf returns the pid of the builder started for the cache
// directory dir, waiting for it a few seconds; 0 when there is none.
func builderOf(t *testing.T, dir string) int {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
		for _, p := range procs {
			b, err := os.ReadFile(p)
			if err != nil {
				continue
			}
			args := strings.Split(string(b), "\x00")
			if len(args) > 2 && args[1] == indexcache.BuilderArg && args[2] == dir {
				pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(p)))
				return pid
			}
		}
	}
	return 0
}

// While a builder holds an index's lock, asking for that index again
// starts none; a directory that is not there gets no builder (the caller
// builds), and a builder whose directory is removed under it writes
// nothing and does not make it again.
func TestOneBuilderPerIndexAndNoneForAGoneDirectory(t *testing.T) {
	path, _ := elfsymtest.SampleCopy(t)
	k, id := key(open(t, path, nil)), identity(t, path)

	c := &indexcache.Dir{Path: t.TempDir()}
	lock := c.LockFile(id)
	f, err := os.Create(lock)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	if !c.Building(id) {
		t.Fatal("Building: false while the lock is held")
	}
	start, ok := c.BuildIndex(path, id)
	if !ok {
		t.Fatal("BuildIndex while a builder holds the lock: false, want true (one runs)")
	}
	start()
	time.Sleep(300 * time.Millisecond) // a builder started anyway would have saved the sample's index by now
	if data, _ := c.Load(k); data != nil {
		c.Release(data)
		t.Fatal("a second builder ran for the same index")
	}
	syscall.Flock(int(f.Fd()), syscall.LOCK_UN)

	if _, ok := (&indexcache.Dir{Path: filepath.Join(t.TempDir(), "none")}).BuildIndex(path, id); ok {
		t.Error("BuildIndex into a directory that is not there: true")
	}

	gone := &indexcache.Dir{Path: filepath.Join(t.TempDir(), "index")}
	if err := os.Mkdir(gone.Path, 0o755); err != nil {
		t.Fatal(err)
	}
	start, ok = gone.BuildIndex(path, id)
	if !ok {
		t.Fatal("BuildIndex: no builder started")
	}
	// The builder makes its lock file as it starts, before its go.
	for deadline := time.Now().Add(time.Minute); !gone.Building(id); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			start()
			t.Fatal("the builder has not taken its lock after a minute")
		}
	}
	held, err := os.Open(gone.LockFile(id)) // the builder's lock, to see it go
	if err != nil {
		start()
		t.Fatal(err)
	}
	defer held.Close()
	if err := os.RemoveAll(gone.Path); err != nil {
		t.Fatal(err)
	}
	start()
	for deadline := time.Now().Add(time.Minute); syscall.Flock(int(held.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) != nil; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the builder still runs after a minute")
		}
	}
	if _, err := os.Stat(gone.Path); !os.IsNotExist(err) {
		t.Fatalf("the builder made its removed directory again: %v", err)
	}
}

// A write is invisible in the directory until it is complete: a writer
// killed mid-write (a run stopped by Ctrl-C, a builder killed) leaves
// nothing. Where the system has no unnamed files, a named temporary file
// shows meanwhile; either way the file written loads and no temporary
// file is left.
func TestWriteLeavesNothingUntilComplete(t *testing.T) {
	for _, named := range []bool{false, true} {
		t.Run(map[bool]string{false: "unnamed", true: "named"}[named], func(t *testing.T) {
			if named {
				defer indexcache.SetNamedOnly()()
			}
			c := &indexcache.Dir{Path: t.TempDir()}
			k := elfsym.IndexKey{Content: "abcdef", Version: elfsym.IndexVersion}
			var seen []string
			calls := 0
			defer indexcache.SetMidWrite(func(dir string) {
				calls++
				ents, err := os.ReadDir(dir)
				if err != nil {
					t.Error(err)
				}
				for _, e := range ents {
					if strings.HasPrefix(e.Name(), ".tmp-") {
						seen = append(seen, e.Name())
					}
				}
			})()
			want := bytes.Repeat([]byte("index "), 10000)
			if err := c.Store(k, want); err != nil {
				t.Fatal(err)
			}
			if calls == 0 {
				t.Fatal("no write went through a temporary file")
			}
			if named != (len(seen) > 0) {
				t.Errorf("writes under way showed in the directory as %v", seen)
			}
			data, err := c.Load(k)
			if !bytes.Equal(data, want) || err != nil {
				t.Fatalf("Load after the write: %d bytes, %v", len(data), err)
			}
			c.Release(data)
			ents, _ := os.ReadDir(c.Path)
			for _, e := range ents {
				if strings.HasPrefix(e.Name(), ".tmp-") {
					t.Errorf("temporary file %s left after the write", e.Name())
				}
			}
		})
	}
}

// A lock file left by a killed builder goes once stale; one a builder
// holds, or a recent one, stays.
func TestTrimRemovesOnlyStaleFreeLocks(t *testing.T) {
	c := &indexcache.Dir{Path: t.TempDir()}
	old := time.Now().Add(-2 * time.Hour)
	ids := map[string]elfsym.FileIdentity{
		"stale": {Dev: 1, Ino: 1, Size: 1, MtimeNs: 1, CtimeNs: 1},
		"held":  {Dev: 1, Ino: 2, Size: 1, MtimeNs: 1, CtimeNs: 1},
		"fresh": {Dev: 1, Ino: 3, Size: 1, MtimeNs: 1, CtimeNs: 1},
	}
	for name, id := range ids {
		f, err := os.Create(c.LockFile(id))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if name == "held" {
			if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
				t.Fatal(err)
			}
		}
		if name != "fresh" {
			if err := os.Chtimes(c.LockFile(id), old, old); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := c.Store(elfsym.IndexKey{Content: "abcdef", Version: elfsym.IndexVersion}, []byte("index")); err != nil { // trims
		t.Fatal(err)
	}
	for name, id := range ids {
		_, err := os.Stat(c.LockFile(id))
		if kept := err == nil; kept != (name != "stale") {
			t.Errorf("%s lock: kept %v", name, kept)
		}
	}
}
