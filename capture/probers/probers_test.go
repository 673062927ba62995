package probers_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/faultline-dev/faultline/capture/internal/importtest"
	"github.com/faultline-dev/faultline/capture/probers"
)

func readDump(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "probe-rs", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeReadsRegistersAndMemory(t *testing.T) {
	snap, err := probers.Decode(readDump(t, "nRF52833_xxAA_hardfault_from_busfault.coredump"))
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]uint32{"msp": 536887064, "psp": 0, "xpsr": 16777219, "control": 0, "primask": 0} {
		if got, ok := snap.Registers[name]; !ok || got != want {
			t.Errorf("%s = %#x (present %v), want %#x", name, got, ok, want)
		}
	}
	for _, n := range []string{"pc", "sp", "lr", "r0", "r12", "fpscr", "s31"} {
		if _, ok := snap.Register(n); !ok {
			t.Errorf("no %s", n)
		}
	}
	// The dump holds the System Control Space 0xE000E000-0xE000EFFF: the
	// fault registers are there.
	var cfsr [4]byte
	if n, err := snap.ReadMemory(cfsr[:], 0xE000ED28); n != 4 || err != nil {
		t.Fatalf("CFSR not readable: %v", err)
	}
	if r, ok := snap.Region("ram"); !ok || r.Addr != 0x20000000 {
		t.Errorf("ram region %+v", r)
	}
	if err := snap.Validate(); err != nil {
		t.Errorf("snapshot invalid: %v", err)
	}
	if strings.Contains(strings.Join(snap.Meta.Missing, ";"), "fault registers") {
		t.Errorf("says fault registers are missing though the SCB is in the dump: %v", snap.Meta.Missing)
	}
}

func TestDecodeSaysWhatADumpLacks(t *testing.T) {
	// RP2040_svcall has no System Control Block memory.
	snap, err := probers.Decode(readDump(t, "RP2040_svcall.coredump"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(snap.Meta.Missing, ";"), "fault registers") {
		t.Errorf("Missing %v does not say the fault registers are not in the dump", snap.Meta.Missing)
	}
}

func TestDecodeRefusesWhatIsNotACortexMDump(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"RISC-V dump from probe-rs", readDump(t, "esp32c3_full_unwind.coredump"), "RV32"},
		{"empty", nil, "MessagePack"},
		{"text", []byte("hello, world\n"), "MessagePack"},
		{"ELF", []byte("\x7fELF\x01\x01\x01"), "MessagePack"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			snap, err := probers.Decode(tc.data)
			importtest.WantRefused[*probers.FormatError](t, snap, err, tc.want)
		})
	}
}

func TestDecodeTruncatedDumpKeepsWhatCame(t *testing.T) {
	full := readDump(t, "nRF52833_xxAA_hardfault_from_busfault.coredump")
	whole, err := probers.Decode(full)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		cut       int
		wantRegs  bool
		wantSaid  string
		minRegion int
	}{
		{"in the registers", 200, false, "register", 0},
		{"in the memory ranges", len(full) / 2, true, "memory range", 1},
		{"last byte gone", len(full) - 1, true, "probe-rs core dump damaged", 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			snap, err := probers.Decode(full[:tc.cut])
			importtest.WantDamaged[*probers.DamagedError](t, snap, err, tc.wantSaid)
			if _, ok := snap.Registers["pc"]; ok != tc.wantRegs {
				t.Errorf("pc present %v, want %v", ok, tc.wantRegs)
			}
			if len(snap.Memory) < tc.minRegion || len(snap.Memory) > len(whole.Memory) {
				t.Errorf("%d regions (whole dump %d), want at least %d", len(snap.Memory), len(whole.Memory), tc.minRegion)
			}
		})
	}
}

func FuzzDecode(f *testing.F) {
	for _, n := range []string{"RP2040_svcall.coredump", "nRF52833_xxAA_hardfault_from_busfault.coredump", "stm32u585_psp_exception.coredump", "esp32c3_full_unwind.coredump"} {
		f.Add(readDump(f, n))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		snap, err := probers.Decode(data)
		importtest.CheckDecoded(t, snap, err)
	})
}
