package faultdecode

import (
	"strings"
	"testing"

	"github.com/faultline-dev/faultline/faultdecode/fault"
	"github.com/faultline-dev/faultline/faultdecode/internal/fdtest"
	"github.com/faultline-dev/faultline/faultdecode/report"
)

func TestReportExplainsSTKOFWithTheLimitRegisters(t *testing.T) {
	s := fdtest.NewStack()
	regs := handlerRegs(3, 0xFFFFFFFD, 0x20003000, map[string]uint32{"psp": 0x20000800, "psplim": 0x20000800, "msplim": 0x20002000})
	snap := s.Snapshot(regs, fdtest.SCBRegion(map[uint64]uint32{fault.AddrCPUID: 0x410fd213, fault.AddrCFSR: 1 << 20, fault.AddrHFSR: 1 << 30}))
	r := analyze(snap, fdtest.NewProg())
	if r.Registers["psplim"] != "0x20000800" || r.Registers["msplim"] != "0x20002000" {
		t.Errorf("limit registers not in the report: %v", r.Registers)
	}
	if strings.Join(r.Fault.Causes, " ") != "FORCED STKOF" {
		t.Errorf("causes %v", r.Fault.Causes)
	}
	want := "STKOF: PSP 0x20000800 reached PSPLIM 0x20000800: the stack of the thread (PSP) overflowed"
	if !strings.Contains(strings.Join(r.Fault.Explanations, "\n"), want) {
		t.Errorf("explanations %q\nwant %q", r.Fault.Explanations, want)
	}
	wantFindings(t, r, "stack-overflow")
	if len(r.Frames) != 0 {
		t.Errorf("frames from an exception frame that was never stacked: %v", frameList(r))
	}
	var text strings.Builder
	if err := r.WriteText(&text, report.Sources{}); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"psplim 0x20000800", "Cortex-M33 (ARMv8-M Mainline, from CPUID 0x410fd213)", "stacking failed ([STKOF])"} {
		if !strings.Contains(text.String(), w) {
			t.Errorf("text report lacks %q:\n%s", w, text.String())
		}
	}
}
