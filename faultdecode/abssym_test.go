package faultdecode_test

import (
	"testing"

	"github.com/faultline-dev/faultline/faultdecode/report"
)

// The real Zephyr dump's jump to 0 is named after what is at 0, the
// vector table, not after a Kconfig value the linker was given as an
// absolute symbol of value 0 (CONFIG_MAIN_THREAD_PRIORITY).
func TestBadPCIsNotNamedAfterAnAbsoluteSymbol(t *testing.T) {
	rep := zephyrReport(t, "nullcall")
	var bad *report.Finding
	for i, f := range rep.Findings {
		if f.Kind == report.FindBadPC {
			bad = &rep.Findings[i]
		}
	}
	if bad == nil {
		t.Fatalf("no bad-pc finding: %+v", rep.Findings)
	}
	if bad.Symbol != "_vector_table" {
		t.Errorf("bad-pc finding names %q, want _vector_table (what is at 0x0)", bad.Symbol)
	}
}
