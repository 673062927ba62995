package faultdecode

import (
	"strings"
	"testing"

	"github.com/faultline-dev/faultline/faultdecode/report"
)

func TestDeliberateStopsNameTheFailedCheck(t *testing.T) {
	frame := func(fn, file string, line int) report.Frame {
		return report.Frame{PC: "0x00001000", Function: fn, File: file, Line: line}
	}
	tests := []struct {
		name    string
		frames  []report.Frame
		want    string // summary prefix; "" for no assert finding
		symbol  string
		unknown bool
	}{
		{"configASSERT", []report.Frame{frame("vAssertCalled", "main.c", 9), frame("xQueueGenericSend", "queue.c", 960), frame("crunch_task", "crunch.c", 120)},
			"Assertion failed: configASSERT in xQueueGenericSend() at queue.c:960.", "xQueueGenericSend", false},
		{"newlib assert, its inlined copy skipped", []report.Frame{frame("__assert_func", "", 0), frame("__assert_func", "", 0), frame("parse(char const*)", "p.cpp", 7)},
			"Assertion failed: assert() in parse(char const*) at p.cpp:7.", "parse", false},
		{"abort", []report.Frame{frame("raise", "", 0), frame("abort", "", 0), frame("fail", "f.c", 3)},
			"abort() was called from fail() at f.c:3.", "fail", false},
		{"STM32 assert_param", []report.Frame{frame("assert_failed", "main.c", 200), frame("HAL_GPIO_Init", "gpio.c", 170)},
			"Assertion failed: assert_param() in HAL_GPIO_Init() at gpio.c:170.", "HAL_GPIO_Init", false},
		{"Device OS panic", []report.Frame{frame("panic_", "panic.c", 80), frame("Spark_Idle", "system.cpp", 33)},
			"Assertion failed: a Device OS panic (SPARK_ASSERT or PANIC) in Spark_Idle() at system.cpp:33.", "Spark_Idle", false},
		{"the stop with no caller", []report.Frame{frame("vAssertCalled", "main.c", 9)},
			"Assertion failed: configASSERT in an unknown caller.", "", true},
		{"an ordinary fault", []report.Frame{frame("option_find", "net.c", 115), frame("net_task", "net.c", 290)}, "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &analysis{rep: &report.Report{Frames: tt.frames, Fault: report.Fault{Summary: "UsageFault: udf #255."}}}
			a.deliberateStops()
			var asserts []report.Finding
			for _, f := range a.rep.Findings {
				if f.Kind == report.FindAssert {
					asserts = append(asserts, f)
				}
			}
			if tt.want == "" {
				if len(asserts) > 0 || a.rep.Fault.Summary != "UsageFault: udf #255." {
					t.Fatalf("an ordinary fault became a deliberate stop: %+v, %q", asserts, a.rep.Fault.Summary)
				}
				return
			}
			if !strings.HasPrefix(a.rep.Fault.Summary, tt.want) || !strings.HasSuffix(a.rep.Fault.Summary, "UsageFault: udf #255.") {
				t.Errorf("summary %q, want it to start with %q and keep the fault", a.rep.Fault.Summary, tt.want)
			}
			if len(asserts) != 1 || asserts[0].Symbol != tt.symbol {
				t.Fatalf("assert findings %+v, want one naming %q", asserts, tt.symbol)
			}
		})
	}
}
