package deadendlab

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/emu"
	"github.com/faultline-dev/faultline/faultdecode/report"
	"github.com/faultline-dev/faultline/firmware/freertos"
	"github.com/faultline-dev/faultline/firmware/internal/gdbcompare"
)

func TestMain(m *testing.M) {
	code := m.Run()
	gdbcompare.Cleanup()
	os.Exit(code)
}

// findingOf is the report's finding of kind, or fails.
func findingOf(t *testing.T, rep *report.Report, kind string) report.Finding {
	t.Helper()
	for _, f := range rep.Findings {
		if f.Kind == kind {
			return f
		}
	}
	t.Fatalf("no %s finding: %+v\nsummary: %s", kind, rep.Findings, rep.Fault.Summary)
	return report.Finding{}
}

// TestCaptureStopsAtTheDeadEndsEntry: firmware that stops itself without
// faulting (newlib's assert, CubeMX's Error_Handler, FreeRTOS's looping
// hooks) is caught live by `faultline capture --once --json` at the dead
// end's entry: trigger dead-end, no exception, the frames from the dead
// end down as the source has them and as stock gdb's bt has them at a
// breakpoint on the same function, and the stop finding read from the
// arguments still in r0-r3.
func TestCaptureStopsAtTheDeadEndsEntry(t *testing.T) {
	gdbcompare.NeedTools(t, "make", "arm-none-eabi-gcc")
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	t.Cleanup(cancel)
	type want struct {
		kind string // finding kind
		says []string
	}
	tests := []struct {
		name     string
		elf      func() (string, error)
		machine  string
		board    string
		deadEnd  string
		frames   []string // innermost first, the dead end first; Reset_Handler may follow main
		finding  want
		noAssert bool // no assert finding may be made (the hook is a stack overflow)
		// gdbRight is how many frames after the dead end gdb's bt has as
		// the source does (FreeRTOS's PendSV: gdb repeats
		// vTaskSwitchContext and stops at the naked handler).
		gdbRight int
		lead     string // how the summary must begin
	}{
		{"nl_assert gcc-O0", func() (string, error) { return ELF(ctx, "nl_assert", "gcc-O0") }, Machine, Board,
			"__assert_func", []string{"__assert_func", "sensor_scale", "sample_channels", "main"},
			want{report.FindAssert, []string{"assert(g_cal.loaded && g_cal.gain[channel] != 0) in sensor_scale()", `line 20`, "g_cal.loaded = 0"}}, false, 3, "Assertion failed: assert(g_cal.loaded && g_cal.gain[channel] != 0) in sensor_scale() at nl_assert.c:20"},
		{"nl_assert gcc-O2", func() (string, error) { return ELF(ctx, "nl_assert", "gcc-O2") }, Machine, Board,
			"__assert_func", []string{"__assert_func", "sensor_scale", "sample_channels", "main"},
			want{report.FindAssert, []string{"assert(g_cal.loaded && g_cal.gain[channel] != 0) in sensor_scale()", "function sensor_scale", "g_cal.loaded = 0"}}, false, 3, "Assertion failed: assert("},
		{"nl_abort gcc-O2", func() (string, error) { return ELF(ctx, "nl_abort", "gcc-O2") }, Machine, Board,
			"abort", []string{"abort", "event_post", "sensor_poll", "main"},
			want{report.FindAssert, []string{"abort() was called from event_post() at nl_abort.c:21"}}, false, 3, "abort() was called from event_post() at nl_abort.c:21"},
		{"cube_error gcc-O0", func() (string, error) { return ELF(ctx, "cube_error", "gcc-O0") }, Machine, Board,
			"Error_Handler", []string{"Error_Handler", "MX_USART2_UART_Init", "main"},
			want{report.FindAssert, []string{"Error_Handler() was called from MX_USART2_UART_Init()"}}, false, 2, "Error_Handler() was called from MX_USART2_UART_Init() at cube_error.c:"},
		{"freertos overflow-Os-loop", func() (string, error) { return freertos.ELF(ctx, "overflow-Os-loop") }, freertos.Machine, "mps2-an385",
			"vApplicationStackOverflowHook", []string{"vApplicationStackOverflowHook", "vTaskSwitchContext", "xPortPendSVHandler", "vTaskDelay", "nic_receive", "net_task"},
			want{report.FindStackOverflow, []string{"task 'net' overflowed its 1024-byte stack", "caught it when the task was switched out"}}, true, 1, "Stack overflow: task 'net' overflowed its 1024-byte stack"},
		{"freertos assert-Os-loop", func() (string, error) { return freertos.ELF(ctx, "assert-Os-loop") }, freertos.Machine, "mps2-an385",
			"vAssertCalled", []string{"vAssertCalled", "xQueueGenericSend", "alert_raise", "window_done", "crunch_task"},
			want{report.FindAssert, []string{"configASSERT(pxQueue) in xQueueGenericSend()", "line 960", "task 'crunch'"}}, false, 4, "Assertion failed: configASSERT(pxQueue) in xQueueGenericSend() at queue.c:960"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			elf, err := tc.elf()
			if err != nil {
				t.Fatal(err)
			}
			p := gdbcompare.Program{Machine: tc.machine, ELF: elf, Board: tc.board, StopAt: []string{tc.deadEnd}}
			g, rep := gdbAndFaultline(ctx, t, p)
			got := gdbcompare.Names(rep)
			t.Logf("faultline: %v\ngdb at %s: %v\nsummary: %s", got, g.Handler, g.Frames, rep.Fault.Summary)
			if rep.Trigger.Kind != "dead-end" || !strings.HasPrefix(rep.Trigger.Detail, tc.deadEnd+"() entered at 0x") {
				t.Errorf("trigger %+v, want dead-end at %s", rep.Trigger, tc.deadEnd)
			}
			if rep.Fault.Exception != "None" {
				t.Errorf("exception %s, want None", rep.Fault.Exception)
			}
			extra := len(got) - len(tc.frames)
			if extra < 0 || extra > 1 || strings.Join(got[:len(tc.frames)], " ") != strings.Join(tc.frames, " ") ||
				(extra == 1 && got[len(got)-1] != "Reset_Handler") {
				t.Errorf("frames %v, want %v", got, tc.frames)
			}
			// gdb stopped at the same entry, naming an inlined callee
			// whose code starts there (taskDISABLE_INTERRUPTS'
			// vPortRaiseBASEPRI) first; after the dead end its bt must
			// have the source's frames as far as gdb gets them right.
			chain := append([]string{g.Handler}, g.Frames...)
			for len(chain) > 0 && chain[0] != tc.deadEnd {
				chain = chain[1:]
			}
			if len(chain) < 1+tc.gdbRight {
				t.Fatalf("gdb's bt %v (stopped in %s) has not %s and %d frames after it", g.Frames, g.Handler, tc.deadEnd, tc.gdbRight)
			}
			if fmt.Sprint(chain[1:1+tc.gdbRight]) != fmt.Sprint(tc.frames[1:1+tc.gdbRight]) {
				t.Errorf("gdb's frames after %s are %v, the source's %v", tc.deadEnd, chain[1:1+tc.gdbRight], tc.frames[1:1+tc.gdbRight])
			}
			f := findingOf(t, rep, tc.finding.kind)
			for _, s := range tc.finding.says {
				if !strings.Contains(f.Summary, s) {
					t.Errorf("%s finding does not say %q: %s", f.Kind, s, f.Summary)
				}
			}
			if tc.lead != "" && !strings.HasPrefix(rep.Fault.Summary, tc.lead) {
				t.Errorf("summary does not lead with %q: %s", tc.lead, rep.Fault.Summary)
			}
			if tc.noAssert {
				for _, f := range rep.Findings {
					if f.Kind == report.FindAssert {
						t.Errorf("an assert finding for a stack overflow: %s", f.Summary)
					}
				}
			}
		})
	}
}

// runningCapture boots elf free-running in QEMU (no -S), lets it reach
// where it hangs, and runs `faultline capture ARGS --json` against it.
func runningCapture(t *testing.T, ctx context.Context, elf string, args ...string) (*report.Report, string, int) {
	t.Helper()
	bin, err := gdbcompare.Binary(ctx)
	if err != nil {
		t.Fatal(err)
	}
	q, err := emu.StartQEMU(ctx, emu.QEMUConfig{Machine: Machine, Kernel: elf, Serials: []string{"null"}})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = q.Stop() }()
	time.Sleep(200 * time.Millisecond) // the programs hang within microseconds of reset
	dir := t.TempDir()
	cctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	cmd := exec.CommandContext(cctx, bin, append([]string{"capture", "--gdb", q.GDBAddr, "--elf", elf, "--board", Board,
		"--json", "--dir", dir, "--no-cache"}, args...)...)
	cmd.Dir = dir
	cmd.WaitDelay = 2 * time.Second
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	code := 0
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			t.Fatalf("faultline capture: %v", err)
		}
		code = ee.ExitCode()
	}
	if code != 0 {
		return nil, se.String(), code
	}
	rep := new(report.Report)
	if err := json.Unmarshal(so.Bytes(), rep); err != nil {
		t.Fatalf("stdout is not one report: %v\n%s\n%s", err, so.String(), se.String())
	}
	return rep, se.String(), code
}

// TestCaptureTakesATargetFoundHaltedInADeadEnd: a board already hung in a
// dead end when capture attaches is captured as it is, never resumed: in
// Error_Handler (-O0), or, where gcc inlined Error_Handler (-O2) and no
// breakpoint could be set, on its "b ." with PRIMASK set.
func TestCaptureTakesATargetFoundHaltedInADeadEnd(t *testing.T) {
	gdbcompare.NeedTools(t, "make", "arm-none-eabi-gcc")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	tests := []struct {
		variant string
		detail  string
	}{
		{"gcc-O0", "in Error_Handler()"},
		{"gcc-O2", "branch to itself with interrupts masked (PRIMASK=1)"},
	}
	for _, tc := range tests {
		t.Run(tc.variant, func(t *testing.T) {
			t.Parallel()
			elf, err := ELF(ctx, "cube_error", tc.variant)
			if err != nil {
				t.Fatal(err)
			}
			rep, stderr, code := runningCapture(t, ctx, elf, "--once", "--timeout", "20s")
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if rep.Trigger.Kind != "dead-end" || !strings.Contains(rep.Trigger.Detail, "found halted") || !strings.Contains(rep.Trigger.Detail, tc.detail) {
				t.Errorf("trigger %+v, want dead-end found halted %s", rep.Trigger, tc.detail)
			}
			got := gdbcompare.Names(rep)
			if len(got) < 3 || got[0] != "Error_Handler" || got[1] != "MX_USART2_UART_Init" || got[2] != "main" {
				t.Errorf("frames %v, want Error_Handler, MX_USART2_UART_Init, main", got)
			}
			f := findingOf(t, rep, report.FindAssert)
			if !strings.Contains(f.Summary, "Error_Handler() was called from MX_USART2_UART_Init()") {
				t.Errorf("finding: %s", f.Summary)
			}
			if strings.Contains(stderr, "waiting for a crash") {
				t.Errorf("the target was resumed:\n%s", stderr)
			}
		})
	}
}

// TestCaptureHaltTakesAHungTargetAsItIs: a board spinning with
// interrupts on, in no dead end, is what --halt is for: it is captured at
// once, trigger manual, exit 0, where it spins.
func TestCaptureHaltTakesAHungTargetAsItIs(t *testing.T) {
	gdbcompare.NeedTools(t, "make", "arm-none-eabi-gcc")
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	elf, err := ELF(ctx, "hang", "gcc-O2")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	rep, stderr, code := runningCapture(t, ctx, elf, "--halt")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if took := time.Since(start); took > 30*time.Second {
		t.Errorf("--halt took %v", took)
	}
	if rep.Trigger.Kind != "manual" {
		t.Errorf("trigger %+v, want manual", rep.Trigger)
	}
	if rep.Fault.Exception != "None" {
		t.Errorf("exception %s", rep.Fault.Exception)
	}
	got := gdbcompare.Names(rep)
	want := []string{"uart_flush", "log_line", "main"}
	if len(got) < 3 || fmt.Sprint(got[:3]) != fmt.Sprint(want) {
		t.Errorf("frames %v, want %v first", got, want)
	}
}

// TestHaltIsAUsageErrorWithoutAGDBServerOrWithResume: --halt needs --gdb
// and does not go with --resume (exit 2, saying why).
func TestHaltIsAUsageErrorWithoutAGDBServerOrWithResume(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	bin, err := gdbcompare.Binary(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"capture", "--serial", "/dev/null", "--halt"},
		{"capture", "--gdb", "127.0.0.1:1", "--halt", "--resume"},
	} {
		cmd := exec.CommandContext(ctx, bin, args...)
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 2 || !strings.Contains(string(out), "--halt") {
			t.Errorf("%v: %v\n%s", args, err, out)
		}
	}
}

// TestCaptureStopsAtAnInlinedDeadEndsLoop: dead ends compiled inline
// leave no function to break on: CubeMX's Error_Handler, which gcc -O2
// inlines into MX_USART2_UART_Init, dropping its own copy, and FreeRTOS's
// configASSERT written as the demos write it, a macro that masks
// interrupts and loops at every check. capture breaks on the loop, and
// the report is the one a breakpoint on a handler function would give:
// the frames as gdb's bt has them at a breakpoint on the same loop, and
// the stop finding with the check that failed.
func TestCaptureStopsAtAnInlinedDeadEndsLoop(t *testing.T) {
	gdbcompare.NeedTools(t, "make", "arm-none-eabi-gcc")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	tests := []struct {
		name     string
		elf      func() (string, error)
		machine  string
		fn       string // the function holding the loop
		line     int    // the loop's source line in fn, as DWARF has it
		gone     string // a function the build must not have a copy of
		trigger  string // after "a loop with interrupts masked reached at 0x%08x in "
		frames   []string
		gdbRight int // frames after the first that gdb gets right
		says     []string
	}{
		{"cube_error gcc-O2", func() (string, error) { return ELF(ctx, "cube_error", "gcc-O2") }, Machine,
			"MX_USART2_UART_Init", 80, "Error_Handler", "MX_USART2_UART_Init() (Error_Handler() inlined)",
			[]string{"Error_Handler", "MX_USART2_UART_Init", "main"}, 2,
			[]string{"Error_Handler() was called from MX_USART2_UART_Init()"}},
		{"freertos assert-Os-macro", func() (string, error) { return freertos.ELF(ctx, freertos.MacroAssert) }, freertos.Machine,
			"xQueueGenericSend", 960, "vAssertCalled", "xQueueGenericSend()",
			[]string{"xQueueGenericSend", "alert_raise", "window_done", "crunch_task"}, 3,
			[]string{"Assertion failed: configASSERT(pxQueue) in xQueueGenericSend() at queue.c:960", "pxQueue = 0x0", "task 'crunch'"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			elf, err := tc.elf()
			if err != nil {
				t.Fatal(err)
			}
			loop := loopAt(t, elf, tc.fn, tc.line, tc.gone)
			p := gdbcompare.Program{Machine: tc.machine, ELF: elf, Board: Board, StopAt: []string{fmt.Sprintf("*%#x", loop)}}
			g, rep := gdbAndFaultline(ctx, t, p)
			got := gdbcompare.Names(rep)
			t.Logf("faultline: %v\ngdb at %s: %v\ntrigger: %s\nsummary: %s", got, g.Handler, g.Frames, rep.Trigger.Detail, rep.Fault.Summary)
			want := fmt.Sprintf("a loop with interrupts masked reached at 0x%08x in %s", loop, tc.trigger)
			if rep.Trigger.Kind != "dead-end" || rep.Trigger.Detail != want {
				t.Errorf("trigger %+v, want dead-end %q", rep.Trigger, want)
			}
			if rep.Fault.Exception != "None" {
				t.Errorf("exception %s, want None", rep.Fault.Exception)
			}
			if len(got) < len(tc.frames) || fmt.Sprint(got[:len(tc.frames)]) != fmt.Sprint(tc.frames) || len(got) > len(tc.frames)+1 {
				t.Errorf("frames %v, want %v (and Reset_Handler after main)", got, tc.frames)
			}
			chain := append([]string{g.Handler}, g.Frames...)
			if len(chain) < 1+tc.gdbRight || fmt.Sprint(chain[:1+tc.gdbRight]) != fmt.Sprint(tc.frames[:1+tc.gdbRight]) {
				t.Errorf("gdb stopped in %s with %v, want %v first", g.Handler, g.Frames, tc.frames[:1+tc.gdbRight])
			}
			f := findingOf(t, rep, report.FindAssert)
			for _, w := range tc.says {
				if !strings.Contains(f.Summary, w) {
					t.Errorf("finding does not say %q: %s", w, f.Summary)
				}
			}
		})
	}
}

// loopAt finds the "b ." of fn on its source line: the loop a dead end
// compiled inline spins in, read from the code and the line table, not
// from capture's own search. gone must have no copy of its own in the
// build, or the case tests nothing.
func loopAt(t *testing.T, elf, fn string, line int, gone string) uint64 {
	t.Helper()
	img, err := elfsym.Open(elf)
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	if _, ok := img.LookupSymbol(gone); ok {
		t.Fatalf("%s has a copy of its own in this build: nothing is inlined", gone)
	}
	s, ok := img.LookupSymbol(fn)
	if !ok {
		t.Fatalf("no %s", fn)
	}
	code := make([]byte, s.Size)
	img.ReadMemory(code, s.Addr)
	for i := 0; i+2 <= len(code); i += 2 {
		if code[i] != 0xfe || code[i+1] != 0xe7 {
			continue
		}
		if fs := img.Frames(s.Addr + uint64(i)); len(fs) > 0 && fs[0].Line == line {
			return s.Addr + uint64(i)
		}
	}
	t.Fatalf("no b . on line %d in %s", line, fn)
	return 0
}

// gdbAndFaultline stops p's firmware where p says under gdb (its bt) and
// under `faultline capture` (its report), each on a QEMU of its own.
func gdbAndFaultline(ctx context.Context, t *testing.T, p gdbcompare.Program) (*gdbcompare.GDBResult, *report.Report) {
	t.Helper()
	g, err := gdbcompare.RunGDB(ctx, p)
	if err != nil {
		raw := ""
		if g != nil {
			raw = g.Raw
		}
		t.Fatalf("gdb: %v\n%s", err, raw)
	}
	rep, stderr, err := gdbcompare.Faultline(ctx, p)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	return g, rep
}
