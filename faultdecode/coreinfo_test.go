package faultdecode

import (
	"strings"
	"testing"

	"github.com/faultline-dev/faultline/faultdecode/fault"
	"github.com/faultline-dev/faultline/faultdecode/internal/fdtest"
)

func TestReportNamesACoreThatIsNotTheBoards(t *testing.T) {
	s := fdtest.NewStack()
	s.Put(0x20001000, 0, 1, 2, 3, 12, fdtest.B+0x21, fdtest.C+0x10, 0x01000000)
	snap := s.Snapshot(handlerRegs(3, 0xFFFFFFF9, 0x20001000, nil), fdtest.SCBRegion(map[uint64]uint32{fault.AddrCPUID: 0x410cc200}))
	r := analyze(snap, fdtest.NewProg()) // board netduino2 (ARMv7-M), CPUID a Cortex-M0
	notes := strings.Join(r.Notes, "\n")
	if !strings.Contains(notes, `core: Cortex-M0 (ARMv6-M, from CPUID 0x410cc200), not the ARMv7-M that "netduino2" has`) {
		t.Errorf("notes do not name the core:\n%s", notes)
	}
	if _, ok := r.Fault.Registers["cfsr"]; ok {
		t.Errorf("a Cortex-M0 report shows CFSR: %v", r.Fault.Registers)
	}
}
