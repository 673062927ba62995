package faultdecode

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/faultline-dev/faultline/faultdecode/report"
	"github.com/faultline-dev/faultline/firmware/freertos"
)

// assertFinding is the report's one assert finding.
func assertFinding(t *testing.T, rep *report.Report) report.Finding {
	t.Helper()
	var got []report.Finding
	for _, f := range rep.Findings {
		if f.Kind == report.FindAssert {
			got = append(got, f)
		}
	}
	if len(got) != 1 {
		t.Fatalf("assert findings %+v, want one\nsummary %s", got, rep.Fault.Summary)
	}
	return got[0]
}

// The gateway's configASSERT(pxQueue) in xQueueGenericSend fails
// (firmware/freertos, bug "assert"): vAssertCalled(file, line) has reused
// r0 and r1 by the time it traps, so the file and line come from the
// constants xQueueGenericSend loaded before its call, and the expression
// from that source line; pxQueue's value at the call comes from its DWARF
// location there (the frame at -O0, r4 at -Os and -O2), NULL as gdb
// prints it. At every optimisation level.
func TestConfigAssertNamesTheExpressionAndTheLine(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	for _, variant := range []string{"assert-O0", "assert-Os", "assert-O2"} {
		t.Run(variant, func(t *testing.T) {
			t.Parallel()
			elf, err := freertos.ELF(ctx, variant)
			if err != nil {
				t.Fatal(err)
			}
			snap, img := captureELF(t, freertos.Machine, elf)
			// Without sources the finding still has the file and line the
			// call passed, never an invented expression.
			bare := assertFinding(t, Analyze(snap, img))
			if !strings.Contains(bare.Summary, "queue.c:960") || strings.Contains(bare.Summary, "configASSERT(pxQueue)") {
				t.Errorf("without sources: %s", bare.Summary)
			}
			rep := AnalyzeWith(snap, img, Options{Source: os.ReadFile})
			f := assertFinding(t, rep)
			t.Logf("summary: %s\nfinding: %s", rep.Fault.Summary, f.Summary)
			for _, want := range []string{"configASSERT(pxQueue)", "xQueueGenericSend() at queue.c:960", "queue.c:960", "pxQueue = 0x0 (0) (a local of xQueueGenericSend", "task 'crunch'"} {
				if !strings.Contains(f.Summary, want) {
					t.Errorf("finding does not say %q: %s", want, f.Summary)
				}
			}
			if !strings.Contains(f.Summary, `The call passed file "../third_party/FreeRTOS-Kernel/queue.c", line 960`) {
				t.Errorf("finding does not give the file and line read from the call: %s", f.Summary)
			}
			if !strings.HasPrefix(rep.Fault.Summary, "Assertion failed: configASSERT(pxQueue) in xQueueGenericSend() at queue.c:960") {
				t.Errorf("summary %q does not lead with the failed check", rep.Fault.Summary)
			}
		})
	}
}

// The crash lab's assert (newlib's __assert_func(file, line, func, expr))
// and devpanic (Device OS's SPARK_ASSERT -> panic_(AssertionFailure,
// "AssertionFailure <expr>", delay)) on both boards: the expression text,
// the call's file and line or the panic code in words, and the global the
// expression reads, with its value from the captured RAM.
func TestAssertAndPanicNameTheCheckAndTheCode(t *testing.T) {
	want := expectedFindings(t)
	tests := []struct {
		program string
		says    []string
	}{
		{"assert", []string{"assert(sensor_count > 0)", "average_reading() at assert.c:26", `file "programs/assert.c", line 26`, "function average_reading", "Expression (from its argument): sensor_count > 0", "sensor_count = 0"}},
		{"devpanic", []string{"SPARK_ASSERT(free_sockets > 0)", "Device OS panic AssertionFailure, code 10", "socket_open() at devpanic.c:52", "Expression (from the panic message): free_sockets > 0", "free_sockets = 0"}},
	}
	for _, tt := range tests {
		for _, board := range []string{"netduino2", "mps2-an385"} {
			t.Run(tt.program+"/"+board, func(t *testing.T) {
				t.Parallel()
				snap, img := captureCrashlab(t, board, tt.program)
				rep := Analyze(snap, img)
				f := assertFinding(t, rep)
				t.Logf("summary: %s\nfinding: %s", rep.Fault.Summary, f.Summary)
				for _, s := range tt.says {
					if !strings.Contains(f.Summary, s) {
						t.Errorf("finding does not say %q: %s", s, f.Summary)
					}
				}
				for _, w := range want[tt.program][board] {
					if !hasFinding(rep, w.Kind, w.Contains) {
						t.Errorf("no %s finding containing %q (expected.json)", w.Kind, w.Contains)
					}
				}
				if !strings.HasPrefix(rep.Fault.Summary, "Assertion failed: ") {
					t.Errorf("summary %q does not lead with the failed check", rep.Fault.Summary)
				}
			})
		}
	}
}
