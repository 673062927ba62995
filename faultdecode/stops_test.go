package faultdecode

import (
	"encoding/binary"
	"fmt"
	"strings"
	"testing"

	"github.com/faultline-dev/faultline/capture"
	"github.com/faultline-dev/faultline/faultdecode/internal/fdtest"
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
		{"stack protector", []report.Frame{frame("__stack_chk_fail", "", 0), frame("handle_packet", "net.c", 41), frame("net_rx", "net.c", 60)},
			"Stack smashing detected in handle_packet() at net.c:41: the stack protector", "handle_packet", false},
		{"C++ pure virtual call", []report.Frame{frame("abort", "", 0), frame("__cxa_pure_virtual", "", 0), frame("Sensor::poll()", "s.cpp", 12)},
			"A pure virtual function was called from Sensor::poll() at s.cpp:12", "Sensor::poll", false},
		{"newlib's assert ends in abort", []report.Frame{frame("abort", "", 0), frame("__assert_func", "", 0), frame("parse(char const*)", "p.cpp", 7)},
			"Assertion failed: assert() in parse(char const*) at p.cpp:7.", "parse", false},
		{"newlib's stack protector ends in abort", []report.Frame{frame("abort", "", 0), frame("__stack_chk_fail", "", 0), frame("handle_packet", "net.c", 41)},
			"Stack smashing detected in handle_packet() at net.c:41", "handle_packet", false},
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
				if f.Kind == report.FindAssert || f.Kind == report.FindStackCorruption {
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

// codedProg is the fake image with the given halfwords at fixed addresses
// (the code before a call to a stop function).
type codedProg struct {
	*fdtest.Prog
	code map[uint32]uint16
}

func (p codedProg) ReadMemory(buf []byte, addr uint64) (int, error) {
	n, err := p.Prog.ReadMemory(buf, addr)
	for i := 0; i+1 < n; i += 2 {
		if hw, ok := p.code[uint32(addr)+uint32(i)]; ok {
			binary.LittleEndian.PutUint16(buf[i:], hw)
		}
	}
	return n, err
}

// A Device OS panic_ called with a code read back from the caller's
// "movs r0, #code" is named by the code's name; an AssertionFailure whose
// message could not be read is still called one; a code Device OS does
// not define says so.
func TestDevicePanicNamesTheCode(t *testing.T) {
	tests := []struct {
		code uint16
		want string
	}{
		{8, "Device OS panic OutOfHeap (code 8) in a() at a.c:12."},
		{13, "Device OS panic StackOverflow (code 13) in a() at a.c:12."},
		{10, "Device OS panic AssertionFailure (code 10) in a() at a.c:12."},
		{99, "Device OS panic with an unknown code (code 99) in a() at a.c:12."},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.code), func(t *testing.T) {
			// a: movs r0, #code; movs r1, #0; bl panic_ (returns to a+8)
			hw1, hw2 := fdtest.EncodeBL(fdtest.A+4, fdtest.B)
			prog := codedProg{fdtest.NewProg(), map[uint32]uint16{fdtest.A: 0x2000 | tt.code, fdtest.A + 2: 0x2100, fdtest.A + 4: hw1, fdtest.A + 6: hw2}}
			frames := []report.Frame{
				{PC: "0x08000100", Function: "panic_", File: "panic.c", Line: 80},
				{PC: fmt.Sprintf("0x%08x", fdtest.A+8), Function: "a", File: "a.c", Line: 12},
			}
			a := &analysis{img: prog, snap: &capture.Snapshot{}, rep: &report.Report{Frames: frames, Fault: report.Fault{Summary: "UsageFault: udf #255."}}}
			a.deliberateStops()
			if !strings.HasPrefix(a.rep.Fault.Summary, tt.want) {
				t.Errorf("summary %q, want it to start with %q", a.rep.Fault.Summary, tt.want)
			}
		})
	}
}
