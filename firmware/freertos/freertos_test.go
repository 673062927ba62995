package freertos

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/faultline-dev/faultline/faultdecode/report"
	"github.com/faultline-dev/faultline/firmware/internal/gdbcompare"
)

func TestMain(m *testing.M) {
	code := m.Run()
	gdbcompare.Cleanup()
	os.Exit(code)
}

func TestExpectedRejectsIncompleteOrInconsistentEntries(t *testing.T) {
	full := func(mutate func(map[string]string)) string {
		entries := make(map[string]string)
		for _, v := range Variants() {
			entries[v] = `{"exception":"BusFault","causes":["PRECISERR"],"fault_address":"0x60000000","frames":["f","net_task"],"task":"net","culprit":"f"}`
		}
		mutate(entries)
		var parts []string
		for k, v := range entries {
			parts = append(parts, fmt.Sprintf("%q:%s", k, v))
		}
		sort.Strings(parts)
		return `{"schema":"freertos.expected/v1","variants":{` + strings.Join(parts, ",") + `}}`
	}
	tests := []struct {
		name    string
		data    string
		wantErr string
	}{
		{"complete", full(func(map[string]string) {}), ""},
		{"wrong schema", `{"schema":"crashlab.expected/v1","variants":{}}`, "schema"},
		{"missing variant", full(func(e map[string]string) { delete(e, "isr-Os") }), "isr-Os"},
		{"culprit not a frame", full(func(e map[string]string) {
			e["uaf-O2"] = `{"exception":"MemManage","causes":["IACCVIOL"],"fault_address":null,"frames":["??","net_task"],"task":"net","culprit":"session_deliver"}`
		}), "culprit"},
		{"no frames", full(func(e map[string]string) {
			e["div0-O0"] = `{"exception":"UsageFault","causes":["DIVBYZERO"],"fault_address":null,"frames":[],"task":"crunch","culprit":"x"}`
		}), "no frames"},
		{"bad fault address", full(func(e map[string]string) {
			e["badptr-O0"] = `{"exception":"BusFault","causes":["PRECISERR"],"fault_address":"6000","frames":["f"],"task":"net","culprit":"f"}`
		}), "fault_address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseExpected([]byte(tt.data))
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("parseExpected: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("parseExpected error = %v, want one mentioning %q", err, tt.wantErr)
			}
		})
	}
}

func TestWorkingBuildAndEveryVariantBuild(t *testing.T) {
	gdbcompare.NeedTools(t, "make", "arm-none-eabi-gcc")
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	for _, v := range append([]string{"none-O0", "none-Os", "none-O2", ManyTasks, "assert-Os-loop", "overflow-Os-loop", MacroAssert}, Variants()...) {
		if _, err := ELF(ctx, v); err != nil {
			t.Errorf("ELF(%s): %v", v, err)
		}
	}
	for _, v := range []string{"nonsense-O2", "div0-O2-hf", "div0-O3", "div0", "div0-Os-m4f", "isr-O2-m4f", "div0-Os-loop", "assert-O2-loop"} {
		if _, err := ELF(ctx, v); err == nil {
			t.Errorf("ELF(%s) succeeded", v)
		}
	}
}

// A result is one variant's outcome, for the summary table.
type result struct {
	gdb, faultline []string
	gdbRight       bool // gdb's bt holds the whole true chain (junk after it allowed)
	flRight        bool // faultline's frames are exactly the true chain
}

// TestCrashChainsMatchTheSourceAndBeatGDB crashes every variant under
// stock gdb and under `faultline capture`, and holds faultline's frames to
// the true chain in expected.json: exactly that chain, ending at the task's
// entry with nothing after it, never shorter than what gdb got right, with
// a summary naming the faulting function.
func TestCrashChainsMatchTheSourceAndBeatGDB(t *testing.T) {
	gdbcompare.NeedTools(t, "make", "arm-none-eabi-gcc")
	if testing.Short() {
		t.Skip("boots QEMU twice per variant")
	}
	// Parallel subtests run after this function returns: the context
	// ends with the test, not with the function.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	exp, err := Expected()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ELF(ctx, Variants()[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := gdbcompare.Binary(ctx); err != nil {
		t.Fatal(err)
	}

	var mu sync.Mutex
	results := make(map[string]result)
	t.Cleanup(func() { logTable(t, results) })
	// Each run is one QEMU plus gdb or faultline: two runs per core keep
	// the whole test well under two minutes on two cores.
	slots := make(chan struct{}, 2*runtime.NumCPU())
	for _, variant := range Variants() {
		e := exp[variant]
		t.Run(variant, func(t *testing.T) {
			t.Parallel()
			elf, err := ELF(ctx, variant)
			if err != nil {
				t.Fatal(err)
			}
			board := Machine
			if MachineFor(variant) != Machine {
				board = "generic" // a Cortex-M4F on mps2-an386: no board profile of its own
			}
			p := gdbcompare.Program{Machine: MachineFor(variant), ELF: elf, Board: board}
			var (
				wg      sync.WaitGroup
				gdb     []string
				gdbRaw  string
				gdbErr  error
				fl      []string
				flErr   error
				flNotes []string
				stderr  string
			)
			// gdb's bt of a -hf build is its -Os build's: one run of
			// gdb per build is enough for the table.
			_, hf := HardFaultOnly(variant)
			wg.Add(1)
			go func() {
				defer wg.Done()
				if hf {
					return
				}
				slots <- struct{}{}
				defer func() { <-slots }()
				gdb, gdbRaw, gdbErr = gdbcompare.GDB(ctx, p)
			}()
			slots <- struct{}{}
			rep, se, err := gdbcompare.Faultline(ctx, p)
			<-slots
			wg.Wait()
			stderr, flErr = se, err
			if rep != nil {
				fl, flNotes = gdbcompare.Names(rep), rep.Notes
			}
			if gdbErr != nil {
				t.Errorf("gdb: %v\n%s", gdbErr, gdbRaw)
			}
			r := result{gdb: gdb, faultline: fl,
				gdbRight: prefix(gdb, e.Frames) == len(e.Frames),
				flRight:  equal(fl, e.Frames)}
			mu.Lock()
			results[variant] = r
			mu.Unlock()
			if flErr != nil {
				t.Fatalf("faultline: %v\n%s", flErr, stderr)
			}
			t.Logf("gdb:       %s", strings.Join(gdb, " <- "))
			t.Logf("faultline: %s", strings.Join(fl, " <- "))
			t.Logf("summary:   %s", rep.Fault.Summary)
			for _, n := range flNotes {
				t.Logf("note:      %s", n)
			}
			for _, f := range rep.Findings {
				t.Logf("finding:   %s: %s", f.Kind, f.Summary)
			}
			checkTasks(t, rep, e)

			if rep.Fault.Exception != e.Exception {
				t.Errorf("exception %s, want %s", rep.Fault.Exception, e.Exception)
			}
			if rep.Fault.Forced != e.Forced {
				t.Errorf("forced %v, want %v", rep.Fault.Forced, e.Forced)
			}
			if got := causes(rep.Fault.Causes); !equal(got, e.Causes) {
				t.Errorf("causes %v, want %v", got, e.Causes)
			}
			if !r.flRight {
				t.Errorf("frames\n  got  %s\n  want %s", strings.Join(fl, " <- "), strings.Join(e.Frames, " <- "))
			}
			if entry := lastIndex(fl, e.TaskEntry()); entry >= 0 && entry < len(fl)-1 {
				t.Errorf("frames after the task entry %s (task %q): %v", e.TaskEntry(), e.Task, fl[entry+1:])
			}
			if g, f := prefix(gdb, e.Frames), prefix(fl, e.Frames); f < g {
				t.Errorf("faultline has %d of the true frames, gdb %d: shorter than gdb", f, g)
			}
			for _, n := range flNotes {
				if strings.Contains(n, "no progress") {
					t.Errorf("note on a normal end of the stack: %s", n)
				}
			}
			if !strings.Contains(rep.Fault.Summary, e.Culprit) {
				t.Errorf("summary does not name %s: %q", e.Culprit, rep.Fault.Summary)
			}
			if h := e.Exception + "_Handler"; strings.Contains(rep.Fault.Summary, h) {
				t.Errorf("summary names the fault handler %s: %q", h, rep.Fault.Summary)
			}
		})
	}
}

// taskEntries are the gateway's tasks' entry functions (main.c, dhcp.c and
// the kernel's idle and timer tasks): a task's chain ends there.
var taskEntries = map[string]string{
	"net": "net_task", "logger": "logger_task", "crunch": "crunch_task", "dhcp": "dhcp_task",
	"IDLE": "prvIdleTask", "Tmr Svc": "prvTimerTask",
}

// checkTasks holds the report's RTOS part to the variant's truth: the
// crashing task is the one running and named in the headline, every other
// task's chain ends at its entry function, the root cause is stated, and
// the findings are exactly the expected kinds (no false ones).
func checkTasks(t *testing.T, rep *report.Report, e Expectation) {
	t.Helper()
	var running []string
	for _, task := range rep.Tasks {
		names := gdbcompare.Names(&report.Report{Frames: task.Frames})
		t.Logf("task:      %-8s %-9s prio %d stack %s+%d high water %s overflowed %v: %s",
			task.Name, task.State, task.Priority, task.Stack.Base, task.Stack.Size, highWater(task.Stack.HighWater), task.Stack.Overflowed, strings.Join(names, " <- "))
		if task.Current {
			running = append(running, task.Name)
		}
		if len(task.Problems) > 0 || task.State == "deleted" {
			continue
		}
		entry, ok := taskEntries[task.Name]
		if !ok {
			t.Errorf("unknown task %q", task.Name)
			continue
		}
		if len(names) == 0 || names[len(names)-1] != entry {
			t.Errorf("task %s: frames %v do not end at its entry %s", task.Name, names, entry)
		}
	}
	if len(running) != 1 || running[0] != e.Task {
		t.Errorf("running tasks %v, want [%s]", running, e.Task)
	}
	if !strings.Contains(rep.Fault.Summary, "task '"+e.Task+"'") {
		t.Errorf("summary does not name task '%s': %q", e.Task, rep.Fault.Summary)
	}
	if e.RootCause != "" && !strings.Contains(rep.Fault.Summary, e.RootCause) {
		t.Errorf("summary does not state the root cause %q: %q", e.RootCause, rep.Fault.Summary)
	}
	// The hooks and asserts stop with __builtin_trap: a udf on purpose,
	// not "a jump into data or corrupted flash".
	if contains(e.Causes, "UNDEFINSTR") {
		for _, x := range rep.Fault.Explanations {
			if strings.HasPrefix(x, "UNDEFINSTR") && !strings.Contains(x, "on purpose") {
				t.Errorf("a deliberate trap explained as something else: %q", x)
			}
		}
	}
	var kinds []string
	for _, f := range rep.Findings {
		if !contains(kinds, f.Kind) {
			kinds = append(kinds, f.Kind)
		}
	}
	sort.Strings(kinds)
	want := append([]string(nil), e.Findings...)
	sort.Strings(want)
	if !equal(kinds, want) {
		t.Errorf("finding kinds %v, want %v", kinds, want)
	}
}

func highWater(hw *uint32) string {
	if hw == nil {
		return "?"
	}
	return fmt.Sprint(*hw)
}

// causes drops the VALID flags, which say where the address is, not why.
func causes(c []string) []string {
	var out []string
	for _, x := range c {
		if x != "MMARVALID" && x != "BFARVALID" {
			out = append(out, x)
		}
	}
	return out
}

// prefix counts the leading frames of got that match want.
func prefix(got, want []string) int {
	n := 0
	for n < len(got) && n < len(want) && got[n] == want[n] {
		n++
	}
	return n
}

func equal(a, b []string) bool { return len(a) == len(b) && prefix(a, b) == len(a) }

func lastIndex(list []string, s string) int {
	for i := len(list) - 1; i >= 0; i-- {
		if list[i] == s {
			return i
		}
	}
	return -1
}

// logTable prints one line per variant: whether gdb and faultline got the
// true chain, for before/after numbers.
func logTable(t *testing.T, results map[string]result) {
	var b strings.Builder
	gdbOK, gdbRuns, flOK := 0, 0, 0
	fmt.Fprintf(&b, "%-12s %-5s %-9s\n", "variant", "gdb", "faultline")
	for _, v := range Variants() {
		r, ok := results[v]
		if !ok {
			continue
		}
		g := yes(r.gdbRight)
		if _, hf := HardFaultOnly(v); hf {
			g = "-" // not run: as the -Os build
		} else {
			gdbRuns++
		}
		fmt.Fprintf(&b, "%-12s %-5s %-9s  gdb: %s | faultline: %s\n", v, g, yes(r.flRight),
			strings.Join(r.gdb, " <- "), strings.Join(r.faultline, " <- "))
		if r.gdbRight {
			gdbOK++
		}
		if r.flRight {
			flOK++
		}
	}
	fmt.Fprintf(&b, "right: gdb %d of %d, faultline %d of %d", gdbOK, gdbRuns, flOK, len(results))
	t.Log("\n" + b.String())
}

func yes(ok bool) string {
	if ok {
		return "right"
	}
	return "wrong"
}

// TestSavedCaptureGivesTheSameTasks holds `faultline analyze --json` of the
// capture file `faultline capture` saved to the report capture printed: the
// same tasks, states, stacks and frames.
func TestSavedCaptureGivesTheSameTasks(t *testing.T) {
	gdbcompare.NeedTools(t, "make", "arm-none-eabi-gcc")
	if testing.Short() {
		t.Skip("boots QEMU")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	if _, err := gdbcompare.Binary(ctx); err != nil {
		t.Fatal(err)
	}
	for _, variant := range []string{"smash-O2", "isr-Os", "overflow-O0"} {
		t.Run(variant, func(t *testing.T) {
			t.Parallel()
			elf, err := ELF(ctx, variant)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			live, stderr, err := gdbcompare.Faultline(ctx, gdbcompare.Program{Machine: Machine, ELF: elf, Board: Machine, CaptureDir: dir})
			if err != nil {
				t.Fatalf("capture: %v\n%s", err, stderr)
			}
			cores, _ := filepath.Glob(filepath.Join(dir, "*.core"))
			if len(cores) != 1 {
				t.Fatalf("captures %v, want one", cores)
			}
			saved, err := gdbcompare.Analyze(ctx, elf, cores[0])
			if err != nil {
				t.Fatal(err)
			}
			if len(live.Tasks) < 4 {
				t.Fatalf("live report lists %d tasks", len(live.Tasks))
			}
			if diff := cmp.Diff(live.Tasks, saved.Tasks); diff != "" {
				t.Errorf("tasks differ between capture and analyze (-capture +analyze):\n%s", diff)
			}
			if live.Fault.Summary != saved.Fault.Summary {
				t.Errorf("summary\n  capture: %s\n  analyze: %s", live.Fault.Summary, saved.Fault.Summary)
			}
		})
	}
}
