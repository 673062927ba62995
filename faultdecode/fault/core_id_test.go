package fault

import (
	"encoding/binary"
	"testing"
)

func TestDecodeCPUIDNamesEveryCortexM(t *testing.T) {
	tests := []struct {
		cpuid   uint32
		elfArch string
		part    string
		arch    string
		ok      bool
	}{
		{0x410cc200, "", "Cortex-M0", "ARMv6-M", true}, // QEMU microbit
		{0x410cc601, "", "Cortex-M0+", "ARMv6-M", true},
		{0x410cc210, "", "Cortex-M1", "ARMv6-M", true},
		{0x410fc231, "", "Cortex-M3", "ARMv7-M", true}, // QEMU netduino2, mps2-an385
		{0x410fc241, "", "Cortex-M4", "ARMv7E-M", true},
		{0x411fc272, "", "Cortex-M7", "ARMv7E-M", true}, // QEMU mps2-an500
		{0x410cd200, "", "Cortex-M23", "ARMv8-M Baseline", true},
		{0x410fd213, "", "Cortex-M33", "ARMv8-M Mainline", true}, // QEMU mps2-an505
		{0x410fd310, "", "Cortex-M35P", "ARMv8-M Mainline", true},
		{0x410fd220, "", "Cortex-M55", "ARMv8.1-M Mainline", true},
		{0x410fd230, "", "Cortex-M85", "ARMv8.1-M Mainline", true},
		// A PARTNO not in the table: the ARCHITECTURE field, refined by the ELF.
		{0x410c0990, "", "", "ARMv6-M", true},
		{0x410c0990, "v8-M.base", "", "ARMv8-M Baseline", true},
		{0x410f0990, "", "", "ARMv7-M", true},
		{0x410f0990, "v8-M.main", "", "ARMv8-M Mainline", true},
		{0x410f0990, "v6-M", "", "ARMv7-M", true}, // the ELF contradicts the Main Extension
		{0x630fd213, "", "", "ARMv7-M", true},     // another implementer: its PARTNOs are its own
		{0, "", "", "", false},                    // QEMU models that read CPUID as 0
		{0xFFFFFFFF, "", "", "", false},           // a failed bus read
		{0x41070000, "", "", "", false},           // ARCHITECTURE 0x7 is no Cortex-M
	}
	for _, tt := range tests {
		id, ok := DecodeCPUID(tt.cpuid, tt.elfArch)
		if ok != tt.ok {
			t.Errorf("DecodeCPUID(0x%08x, %q) ok = %v, want %v", tt.cpuid, tt.elfArch, ok, tt.ok)
			continue
		}
		if !ok {
			continue
		}
		if id.Part != tt.part || id.Core.Name() != tt.arch || id.Source != CoreFromCPUID || id.CPUID != tt.cpuid {
			t.Errorf("DecodeCPUID(0x%08x, %q) = %q %s from %s, want %q %s", tt.cpuid, tt.elfArch, id.Part, id.Core.Name(), id.Source, tt.part, tt.arch)
		}
	}
}

// cpuidMem is captured memory holding only CPUID.
func cpuidMem(v uint32) Memory {
	b := make([]byte, 4)
	binary.LittleEndian.PutUint32(b, v)
	return sliceMem{base: AddrCPUID, data: b}
}

func TestIdentifyCoreTakesCPUIDThenELFThenBoard(t *testing.T) {
	tests := []struct {
		name    string
		mem     Memory
		elfArch string
		hint    string
		arch    string
		source  string
		text    string
	}{
		{"CPUID beats ELF and board", cpuidMem(0x410fd213), "v7-M", "netduino2", "ARMv8-M Mainline", CoreFromCPUID, "Cortex-M33 (ARMv8-M Mainline, from CPUID 0x410fd213)"},
		{"CPUID of 0 falls through to the ELF", cpuidMem(0), "v6-M", "mps2-an385", "ARMv6-M", CoreFromELF, "ARMv6-M (from the ELF's architecture v6-M)"},
		{"no SCB: the ELF", nil, "v8-M.main", "", "ARMv8-M Mainline", CoreFromELF, ""},
		{"v7E-M from the ELF", nil, "v7E-M", "", "ARMv7E-M", CoreFromELF, ""},
		{"v8.1-M from the ELF", nil, "v8.1-M.main", "", "ARMv8.1-M Mainline", CoreFromELF, ""},
		{"nothing but the board", nil, "", "microbit", "ARMv6-M", CoreFromHint, `ARMv6-M (from the capture's core/board "microbit")`},
		{"a core name as hint", nil, "", "cortex-m23", "ARMv8-M Baseline", CoreFromHint, ""},
		{"an unknown board", nil, "", "my-board", "ARMv7-M", CoreFromDefault, "ARMv7-M (assumed: no CPUID was captured and the ELF does not name its architecture)"},
		{"nothing at all", nil, "", "", "ARMv7-M", CoreFromDefault, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := IdentifyCore(tt.mem, tt.elfArch, tt.hint)
			if id.Core.Name() != tt.arch || id.Source != tt.source {
				t.Errorf("got %s from %s, want %s from %s", id.Core.Name(), id.Source, tt.arch, tt.source)
			}
			if tt.text != "" && id.String() != tt.text {
				t.Errorf("String() = %q, want %q", id.String(), tt.text)
			}
		})
	}
}

func TestCoreFamiliesAsData(t *testing.T) {
	tests := []struct {
		name                 string
		cfsr, stackLimit, fp bool
		lockupPC             uint32
	}{
		{"m0", false, false, false, 0xFFFFFFFE},
		{"m3", true, false, true, 0xFFFFFFFE},
		{"armv7e-m", true, false, true, 0xFFFFFFFE},
		{"m23", false, false, false, 0xEFFFFFFE},
		{"cortex-m33", true, true, true, 0xEFFFFFFE},
		{"m55", true, true, true, 0xEFFFFFFE},
	}
	for _, tt := range tests {
		c := ForCore(tt.name)
		if c.HasCFSR() != tt.cfsr || c.HasStackLimit() != tt.stackLimit || c.HasFP() != tt.fp || c.LockupPC() != tt.lockupPC {
			t.Errorf("%s (%s): CFSR %v stack limit %v FP %v lockup PC 0x%08x", tt.name, c.Name(), c.HasCFSR(), c.HasStackLimit(), c.HasFP(), c.LockupPC())
		}
	}
}
