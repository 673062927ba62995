package fault

import (
	"fmt"
	"strings"
	"sync"
)

// Where a core identification came from, strongest first.
const (
	CoreFromCPUID   = "CPUID"   // the CPUID register in the captured SCB
	CoreFromELF     = "ELF"     // the ELF's Tag_CPU_arch attribute
	CoreFromHint    = "board"   // the capture's core or board name
	CoreFromDefault = "default" // nothing said: ARMv7-M assumed
)

// A CoreID says which core a capture came from and how that is known.
type CoreID struct {
	Part   string // "Cortex-M33"; "" when only the architecture is known
	Core   Core
	Source string // CoreFromCPUID, CoreFromELF, CoreFromHint or CoreFromDefault
	CPUID  uint32 // the register's value when Source is CoreFromCPUID
	Detail string // the ELF architecture or the hint, as given
}

// String is for the report, e.g. "Cortex-M33 (ARMv8-M Mainline, from
// CPUID 0x410fd213)".
func (id CoreID) String() string {
	from := "assumed: no CPUID was captured and the ELF does not name its architecture"
	switch id.Source {
	case CoreFromCPUID:
		from = fmt.Sprintf("from CPUID 0x%08x", id.CPUID)
	case CoreFromELF:
		from = fmt.Sprintf("from the ELF's architecture %s", id.Detail)
	case CoreFromHint:
		from = fmt.Sprintf("from the capture's core/board %q", id.Detail)
	}
	if id.Part == "" {
		return fmt.Sprintf("%s (%s)", id.Core.Name(), from)
	}
	return fmt.Sprintf("%s (%s, %s)", id.Part, id.Core.Name(), from)
}

// cpuidPart is one known PARTNO of an ARM-implemented (0x41) Cortex-M.
type cpuidPart struct {
	name string
	arch string // a coreByName name
}

// cpuidParts maps CPUID.PARTNO to the core, as ARM's TRMs and OpenOCD's
// cortex_m.c list them (made on first use: package inits are part of
// every command's start).
var cpuidParts = sync.OnceValue(func() map[uint32]cpuidPart {
	return map[uint32]cpuidPart{
		0xC20: {"Cortex-M0", "v6-m"},
		0xC60: {"Cortex-M0+", "v6-m"},
		0xC21: {"Cortex-M1", "v6-m"},
		0xC23: {"Cortex-M3", "v7-m"},
		0xC24: {"Cortex-M4", "v7e-m"},
		0xC27: {"Cortex-M7", "v7e-m"},
		0xD20: {"Cortex-M23", "v8-m.base"},
		0xD21: {"Cortex-M33", "v8-m.main"},
		0xD31: {"Cortex-M35P", "v8-m.main"},
		0xD22: {"Cortex-M55", "v8.1-m.main"},
		0xD23: {"Cortex-M85", "v8.1-m.main"},
		0xD24: {"Cortex-M52", "v8.1-m.main"},
	}
})

// CPUID fields (ARMv7-M ARM B3.2.3, ARMv8-M ARM D1.2.31).
const (
	cpuidImplARM     = 0x41
	cpuidArchNoMain  = 0xC // ARMv6-M, or ARMv8-M without the Main Extension
	cpuidArchMainExt = 0xF // ARMv7-M, or ARMv8-M with the Main Extension
)

// DecodeCPUID names the core a CPUID value belongs to. A PARTNO it does
// not know still gives the family from the ARCHITECTURE field, refined by
// elfArch (the ELF's "v8-M.base", ...) when that agrees; ok is false for
// a value that is no CPUID (0, all ones, an unknown ARCHITECTURE).
func DecodeCPUID(v uint32, elfArch string) (id CoreID, ok bool) {
	if v == 0 || v == 0xFFFFFFFF {
		return CoreID{}, false
	}
	id = CoreID{Source: CoreFromCPUID, CPUID: v}
	impl, arch, part := v>>24, (v>>16)&0xF, (v>>4)&0xFFF
	if p, known := cpuidParts()[part]; known && impl == cpuidImplARM {
		id.Part = p.name
		id.Core, _ = coreByName(p.arch)
		return id, true
	}
	elf, elfOK := coreByName(elfArch)
	switch arch {
	case cpuidArchNoMain:
		id.Core = v6M{}
		if elfOK && !elf.HasCFSR() {
			id.Core = elf // ARMv8-M Baseline also reads 0xC
		}
	case cpuidArchMainExt:
		id.Core = v7M{}
		if elfOK && elf.HasCFSR() {
			id.Core = elf
		}
	default:
		return CoreID{}, false
	}
	return id, true
}

// IdentifyCore decides which core a capture came from, from (in order) the
// CPUID register in mem, the ELF's architecture (elfArch, "" if unknown),
// then the capture's core or board name (hint); ARMv7-M when nothing says.
func IdentifyCore(mem Memory, elfArch, hint string) CoreID {
	if mem != nil {
		if v, err := Read32(mem, AddrCPUID); err == nil {
			if id, ok := DecodeCPUID(v, elfArch); ok {
				return id
			}
		}
	}
	if c, ok := coreByName(elfArch); ok && elfArch != "" {
		return CoreID{Core: c, Source: CoreFromELF, Detail: elfArch}
	}
	name := hint
	if b, ok := boardCores()[strings.ToLower(hint)]; ok {
		name = b
	}
	if c, ok := coreByName(name); ok && hint != "" {
		return CoreID{Core: c, Source: CoreFromHint, Detail: hint}
	}
	return CoreID{Core: v7M{}, Source: CoreFromDefault, Detail: hint}
}

// boardCores are the cores of the boards faultline knows by name (probe's
// profiles and QEMU's machines).
var boardCores = sync.OnceValue(func() map[string]string {
	return map[string]string{
		"photon": "m3", "netduino2": "m3", "mps2-an385": "m3", "mps2-an386": "m4",
		"mps2-an500": "m7", "mps2-an505": "m33", "mps2-an521": "m33", "microbit": "m0",
	}
})
