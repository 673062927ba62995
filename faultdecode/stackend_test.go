package faultdecode

import (
	"strings"
	"testing"

	"github.com/faultline-dev/faultline/capture"
)

// TestSPAtTheEndOfCapturedRAMIsNotCorrupt: a core that holds memory up to
// SP but not the stack above it (gdb's gcore of a stack it could not
// unwind) says the stack is missing, not that SP is corrupt; an SP
// outside every captured range still is.
func TestSPAtTheEndOfCapturedRAMIsNotCorrupt(t *testing.T) {
	tests := []struct {
		name        string
		sp          uint32
		wantFinding bool
		wantNote    bool
	}{
		{"SP at the end of a captured range", 0x1000ffd8, false, true},
		{"SP far from any captured range", 0x30001000, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			snap := &capture.Snapshot{
				Registers: map[string]uint32{"sp": tc.sp, "lr": 0xfffffff9, "pc": 0x100, "xpsr": 0x01000003},
				Memory:    []capture.Region{{Addr: 0x10000800, Data: make([]byte, 0xf7d8)}},
			}
			r := analyze(snap, nil)
			found := false
			for _, f := range r.Findings {
				found = found || (f.Kind == "stack-corruption" && strings.Contains(f.Summary, "is outside RAM"))
			}
			noted := strings.Contains(strings.Join(r.Notes, "\n"), "the stack above SP")
			if found != tc.wantFinding || noted != tc.wantNote {
				t.Errorf("SP 0x%08x: outside-RAM finding %v (want %v), missing-stack note %v (want %v)\nfindings %+v\nnotes %q",
					tc.sp, found, tc.wantFinding, noted, tc.wantNote, r.Findings, r.Notes)
			}
		})
	}
}
