package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/faultline-dev/faultline/capture/zephyrdump"
	"github.com/faultline-dev/faultline/elfsym/elfsymtest"
	"github.com/faultline-dev/faultline/faultdecode/report"
)

// The real Zephyr dumps (capture/zephyrdump/testdata/README.md) and what
// each must explain. frames is the call chain the app's source makes
// (app/src/main.c: z_thread_entry -> crunch_entry -> process_batch ->
// run_job, which jumps to 0 or calls k_oops()); gdbTrusted is how many of
// gdb's frames for the same dump (gdb-bt-*.txt, through Zephyr's
// coredump_gdbserver.py) are right before gdb loses its way in the
// exception frame's words.
var zephyrDumps = []struct {
	name       string
	reason     string
	frames     []string
	gdbTrusted int
}{
	{"nullcall", "K_ERR_CPU_EXCEPTION", []string{"??", "run_job", "process_batch", "crunch_entry", "z_thread_entry"}, 2},
	{"oops", "K_ERR_KERNEL_OOPS", []string{"run_job", "process_batch", "crunch_entry", "z_thread_entry"}, 1},
}

var zephyrTestdata = filepath.Join("capture", "zephyrdump", "testdata")

type gdbFrame struct {
	pc       uint64
	function string
}

// gdbFramesWithPC reads the frames gdb printed with an address ("#1
// 0x00000476 in run_job (...)"), by frame number.
func gdbFramesWithPC(t *testing.T, path string) map[int]gdbFrame {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`(?m)^#(\d+)\s+0x([0-9a-f]+) in (\S+) \(`)
	fs := map[int]gdbFrame{}
	for _, m := range re.FindAllStringSubmatch(string(b), -1) {
		n, _ := strconv.Atoi(m[1])
		pc, _ := strconv.ParseUint(m[2], 16, 32)
		fs[n] = gdbFrame{pc: pc, function: m[3]}
	}
	return fs
}

// checkZephyrReport checks a report of a real Zephyr dump: the reason in
// words, the call chain from the app's source, and gdb's frames where gdb
// is right.
func checkZephyrReport(t *testing.T, what, out, name, reason string, frames []string, gdbTrusted int) {
	t.Helper()
	var rep report.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%s: not one JSON report: %v\n%s", what, err, out)
	}
	if !strings.Contains(rep.Fault.Summary, "Zephyr fatal error "+reason) {
		t.Errorf("%s: summary %q does not name %s", what, rep.Fault.Summary, reason)
	}
	var got []string
	for _, f := range rep.Frames {
		got = append(got, f.Function)
	}
	if !slices.Equal(got, frames) {
		t.Errorf("%s: frames %q, want %q", what, got, frames)
	}
	// The threads from _kernel.threads in the dumped RAM (the faultdecode
	// test checks each one; here: they come through every path).
	var names []string
	for _, task := range rep.Tasks {
		names = append(names, task.Name)
	}
	if len(rep.Tasks) == 0 || !rep.Tasks[0].Current || !slices.Equal(names, []string{"crunch", "sensor", "net", "idle 00"}) {
		t.Errorf("%s: tasks %q, want crunch (running), sensor, net, idle 00", what, names)
	}
	for n, g := range gdbFramesWithPC(t, filepath.Join(zephyrTestdata, "gdb-bt-"+name+".txt")) {
		if n >= gdbTrusted {
			continue
		}
		if n >= len(rep.Frames) {
			t.Errorf("%s: no frame %d; gdb has %s at %#x", what, n, g.function, g.pc)
			continue
		}
		f := rep.Frames[n]
		pc, _ := strconv.ParseUint(strings.TrimPrefix(string(f.PC), "0x"), 16, 32)
		if pc != g.pc || f.Function != g.function {
			t.Errorf("%s: frame %d is %s at %s; gdb says %s at %#x", what, n, f.Function, f.PC, g.function, g.pc)
		}
	}
}

// TestAnalyzeZephyrCoreDump: `faultline analyze` on the console log a real
// Zephyr printed and on the binary dump made of it (what Zephyr's
// coredump_serial_log_parser.py writes) explains both the same way: the
// fatal error's reason in words and the whole call chain, where gdb on
// Zephyr's own gdbserver stops after run_job.
func TestAnalyzeZephyrCoreDump(t *testing.T) {
	t.Parallel()
	for _, z := range zephyrDumps {
		t.Run(z.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			elf := filepath.Join(dir, "zephyr.elf")
			elfsymtest.Gunzip(t, filepath.Join(zephyrTestdata, "zephyr-"+z.name+".elf.gz"), elf)
			log, err := filepath.Abs(filepath.Join(zephyrTestdata, "console-"+z.name+".log"))
			if err != nil {
				t.Fatal(err)
			}
			text, err := os.ReadFile(log)
			if err != nil {
				t.Fatal(err)
			}
			bin, complete, err := zephyrdump.FromLog(string(text))
			if err != nil || !complete {
				t.Fatalf("FromLog: complete %v, %v", complete, err)
			}
			dump := filepath.Join(dir, "coredump.bin")
			if err := os.WriteFile(dump, bin, 0o644); err != nil {
				t.Fatal(err)
			}
			for _, in := range []string{log, dump} {
				checkZephyrReport(t, "analyze "+filepath.Base(in), analyzeJSON(t, context.Background(), dir, in, elf), z.name, z.reason, z.frames, z.gdbTrusted)
			}
		})
	}
}

// TestCaptureSerialOnlyZephyrCoreDump: the real Zephyr app crashes in QEMU
// and prints its core dump as "#CD:" lines; faultline, with --serial and
// no --gdb, turns the block into a full report: the reason and the call
// chain, not just the panic line.
func TestCaptureSerialOnlyZephyrCoreDump(t *testing.T) {
	t.Parallel()
	z := zephyrDumps[0]
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := t.TempDir()
	elf := filepath.Join(dir, "zephyr.elf")
	elfsymtest.Gunzip(t, filepath.Join(zephyrTestdata, "zephyr-"+z.name+".elf.gz"), elf)
	stdout, errText := captureSerialOnce(t, ctx, "lm3s6965evb", elf, dir)
	checkZephyrReport(t, "capture --serial", stdout, z.name, z.reason, z.frames, z.gdbTrusted)

	// The saved capture explains the same, threads included.
	m := regexp.MustCompile(`capture saved to (\S+)`).FindStringSubmatch(errText)
	if m == nil {
		t.Fatalf("no capture path on stderr:\n%s", errText)
	}
	checkZephyrReport(t, "analyze the saved capture", analyzeJSON(t, ctx, dir, m[1], elf), z.name, z.reason, z.frames, z.gdbTrusted)
}

// TestAnalyzeZephyrFoundInsideItsFaultHandler: a capture of the live
// nullcall app taken while Zephyr's UsageFault handler was printing the
// core dump (26 frames into the logging code, CFSR already cleared), as
// when a debugger attaches to a board busy in its fault handler. gdb's bt
// there ends at z_arm_usage_fault; faultline unwinds the handler back to
// the fault's exception frame, whose T bit is clear (BLX to 0), and
// explains the null call: the same frames as the dump.
func TestAnalyzeZephyrFoundInsideItsFaultHandler(t *testing.T) {
	t.Parallel()
	z := zephyrDumps[0]
	dir := t.TempDir()
	elf := filepath.Join(dir, "zephyr.elf")
	elfsymtest.Gunzip(t, filepath.Join(zephyrTestdata, "zephyr-"+z.name+".elf.gz"), elf)
	core := filepath.Join(dir, "capture.core")
	elfsymtest.Gunzip(t, filepath.Join(zephyrTestdata, "capture-nullcall-in-handler.core.gz"), core)
	var rep report.Report
	out := analyzeJSON(t, context.Background(), dir, core, elf)
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("not one JSON report: %v\n%s", err, out)
	}
	var got []string
	for _, f := range rep.Frames {
		got = append(got, f.Function)
	}
	if !slices.Equal(got, z.frames) {
		t.Errorf("frames %q, want %q", got, z.frames)
	}
	if len(rep.Frames) > 0 && rep.Frames[0].Confidence != "certain" {
		t.Errorf("the fault's own frame is %q, want certain", rep.Frames[0].Confidence)
	}
	if !strings.Contains(rep.Fault.Summary, "run_job()") || !strings.Contains(rep.Fault.Summary, "crunch") {
		t.Errorf("summary %q does not name the null call in run_job in thread crunch", rep.Fault.Summary)
	}
}

// TestAnalyzeZephyrCorruptTimeoutCallback: the sensor thread's timeout
// callback, a function pointer in its k_thread (a global), was set to
// 0xdeadbeef; the SysTick ISR called it. The report names the pointer as
// gdb would (the thread object's field, not a path through _kernel), and
// does not call a value loaded from a struct a stack overwrite.
func TestAnalyzeZephyrCorruptTimeoutCallback(t *testing.T) {
	t.Parallel()
	rep := analyzeZephyrCapture(t, "capture-timeout-fn.core.gz")
	var got []string
	for _, f := range rep.Frames {
		got = append(got, f.Function)
	}
	want := []string{"??", "sys_clock_announce", "sys_clock_isr", "arch_cpu_idle", "k_cpu_idle", "idle", "z_thread_entry"}
	if !slices.Equal(got, want) {
		t.Errorf("frames %q, want %q", got, want)
	}
	const field = "_k_thread_obj_sensor_tid.base.timeout.fn"
	if !strings.Contains(rep.Fault.Summary, field) {
		t.Errorf("summary %q does not name %s", rep.Fault.Summary, field)
	}
	named := false
	for _, f := range rep.Findings {
		if f.Kind == report.FindStackCorruption {
			t.Errorf("finding %q: the bad PC came from a function pointer, not the stack", f.Summary)
		}
		named = named || (f.Kind == report.FindPointerSource && f.Symbol == field)
	}
	if !named {
		t.Errorf("no pointer-source finding names %s: %+v", field, rep.Findings)
	}
}

// TestAnalyzeZephyrSmashedReturnIsNotACodePointer: z_tick_sleep's saved
// return address in the sensor thread was overwritten with the address of
// a thread object, a value many kernel fields also hold. The fault came
// from the return, so those fields did not make a call: the summary says
// corrupt return address, not "Corrupt code pointer ... loaded from".
func TestAnalyzeZephyrSmashedReturnIsNotACodePointer(t *testing.T) {
	t.Parallel()
	rep := analyzeZephyrCapture(t, "capture-smashed-return.core.gz")
	s := rep.Fault.Summary
	if strings.Contains(s, "Corrupt code pointer") || !strings.Contains(s, "corrupt return address") || !strings.Contains(s, "task 'sensor'") {
		t.Errorf("summary %q: want a corrupt return address in task 'sensor', not a code pointer", s)
	}
	if n := len(rep.Frames); n < 4 || rep.Frames[0].PC != "0x20000158" || rep.Frames[n-1].Function != "z_thread_entry" || rep.Frames[n-2].Function != "sensor_entry" {
		t.Errorf("frames %+v: want the bad PC first and sensor_entry <- z_thread_entry last", rep.Frames)
	}
}

// analyzeZephyrCapture runs `faultline analyze --json` on a gzipped capture
// in zephyrTestdata against the null-call Zephyr ELF it was taken of.
func analyzeZephyrCapture(t *testing.T, coreGz string) report.Report {
	t.Helper()
	dir := t.TempDir()
	elf := filepath.Join(dir, "zephyr.elf")
	elfsymtest.Gunzip(t, filepath.Join(zephyrTestdata, "zephyr-nullcall.elf.gz"), elf)
	core := filepath.Join(dir, "capture.core")
	elfsymtest.Gunzip(t, filepath.Join(zephyrTestdata, coreGz), core)
	var rep report.Report
	out := analyzeJSON(t, context.Background(), dir, core, elf)
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("not one JSON report: %v\n%s", err, out)
	}
	return rep
}
