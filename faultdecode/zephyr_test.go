package faultdecode_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/faultline-dev/faultline/capture/zephyrdump"
	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/elfsym/elfsymtest"
	"github.com/faultline-dev/faultline/faultdecode"
	"github.com/faultline-dev/faultline/faultdecode/report"
)

// zephyrReport analyses a real Zephyr 2.6 core dump (capture/zephyrdump/
// testdata/README.md) against its ELF.
func zephyrReport(t *testing.T, name string) *report.Report {
	t.Helper()
	dir := filepath.Join("..", "capture", "zephyrdump", "testdata")
	log, err := os.ReadFile(filepath.Join(dir, "console-"+name+".log"))
	if err != nil {
		t.Fatal(err)
	}
	snap, err := zephyrdump.DecodeLog(string(log))
	if err != nil {
		t.Fatal(err)
	}
	elf := elfsymtest.Gunzip(t, filepath.Join(dir, "zephyr-"+name+".elf.gz"), filepath.Join(t.TempDir(), "zephyr.elf"))
	img, err := elfsym.Open(elf)
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	return faultdecode.Analyze(snap, img)
}

// TestZephyrThreadsFromARealDump: the threads of the app
// (app/src/main.c) read from _kernel.threads in the dumped RAM: the
// crashing thread named and running, each other thread's state as its
// code leaves it (sensor sleeps in k_msleep, net waits in k_sem_take, the
// idle thread idles) and its call chain from the context PendSV saved,
// down to its entry function; the headline names the crashing thread.
func TestZephyrThreadsFromARealDump(t *testing.T) {
	type want struct {
		state   string
		prio    uint32
		current bool
		// the innermost application frames and the entry, in order
		frames []string
	}
	wants := map[string]want{
		"crunch":  {"running", 7, true, []string{"run_job", "process_batch", "crunch_entry", "z_thread_entry"}},
		"sensor":  {"blocked", 5, false, []string{"k_msleep", "sensor_entry", "z_thread_entry"}},
		"net":     {"blocked", 6, false, []string{"k_sem_take", "net_entry", "z_thread_entry"}},
		"idle 00": {"ready", 15, false, []string{"idle", "z_thread_entry"}},
	}
	for _, name := range []string{"nullcall", "oops"} {
		t.Run(name, func(t *testing.T) {
			rep := zephyrReport(t, name)
			if !strings.Contains(rep.Fault.Summary, "in task 'crunch'") {
				t.Errorf("summary %q does not name thread crunch", rep.Fault.Summary)
			}
			if len(rep.Tasks) != len(wants) || rep.Tasks[0].Name != "crunch" {
				t.Fatalf("%d tasks, first %q; want %d, the running crunch first", len(rep.Tasks), rep.Tasks[0].Name, len(wants))
			}
			for _, task := range rep.Tasks {
				w, ok := wants[task.Name]
				if !ok {
					t.Errorf("unexpected task %q", task.Name)
					continue
				}
				if task.State != w.state || task.Priority != w.prio || task.Current != w.current {
					t.Errorf("%s: %s prio %d current %v; want %s prio %d current %v", task.Name, task.State, task.Priority, task.Current, w.state, w.prio, w.current)
				}
				var fns []string
				for _, f := range task.Frames {
					fns = append(fns, f.Function)
				}
				if len(fns) < len(w.frames) || !slices.Equal(fns[len(fns)-len(w.frames):], w.frames) {
					t.Errorf("%s: frames %q, want them to end %q", task.Name, fns, w.frames)
				}
				if task.Stack.Size == 0 || task.Stack.Overflowed {
					t.Errorf("%s: stack %+v, want its size and no overflow", task.Name, task.Stack)
				}
			}
		})
	}
}
