package faultdecode

import (
	"strings"
	"testing"

	"github.com/faultline-dev/faultline/capture"
)

func TestConsoleOnlyReportNamesTheFault(t *testing.T) {
	tests := []struct {
		name, line, exception string
	}{
		{"device os panic", "0000000006 [hal] PANIC: HardFault", "HardFault"},
		{"zephyr", "***** BUS FAULT *****", "BusFault"},
		{"generic usage fault", "UsageFault at 0x08000123", "UsageFault"},
		{"user marker names nothing", "watchdog bit", "None"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			snap := &capture.Snapshot{Meta: capture.Meta{
				Trigger: capture.Trigger{Kind: "serial-panic", Detail: tc.line},
				Serial:  []capture.SerialLine{{Text: "booting"}, {Text: tc.line}},
			}}
			rep := Analyze(snap, nil)
			if rep.Fault.Exception != tc.exception {
				t.Errorf("exception %q, want %q", rep.Fault.Exception, tc.exception)
			}
			if !strings.Contains(rep.Fault.Summary, tc.line) || !strings.Contains(rep.Fault.Summary, "--gdb") {
				t.Errorf("summary %q does not quote the console and say what to do", rep.Fault.Summary)
			}
			if len(rep.Frames) != 0 {
				t.Errorf("frames %v from no registers", rep.Frames)
			}
		})
	}
}
