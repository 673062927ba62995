package crashcatcher_test

import (
	"os"
	"strings"
	"testing"

	"github.com/faultline-dev/faultline/capture/crashcatcher"
	"github.com/faultline-dev/faultline/capture/internal/importtest"
)

// realText is what CrashCatcher's HexDump printed in QEMU (testdata/README.md).
func realText(t testing.TB) string {
	t.Helper()
	b, err := os.ReadFile("testdata/crashlab-mps2-an385.txt")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func realDump(t testing.TB) []byte {
	t.Helper()
	dump, complete, err := crashcatcher.FromHex(realText(t))
	if err != nil || !complete {
		t.Fatalf("FromHex: complete %v, %v", complete, err)
	}
	return dump
}

func TestDecodeHexReadsWhatCrashCatcherPrinted(t *testing.T) {
	snap, err := crashcatcher.DecodeHex(realText(t))
	if err != nil {
		t.Fatal(err)
	}
	// The program divides g_samples[2].total by its count, 0, in average()
	// called with r0 = &g_samples[2] (0x20000000 + 2*8 = 0x20000010).
	for name, want := range map[string]uint32{"r0": 0x20000010, "r1": 0, "sp": 0x2001ffe0, "msp": 0x2001ffc0, "psp": 0} {
		if got, ok := snap.Registers[name]; !ok || got != want {
			t.Errorf("%s = %#x (present %v), want %#x", name, got, ok, want)
		}
	}
	// pc in average(), lr the return into report_channel: code in flash,
	// lr with the Thumb bit (the ELF-based check is the root package's).
	if pc, lr := snap.Registers["pc"], snap.Registers["lr"]; pc >= 0x20000000 || lr >= 0x20000000 || lr&1 == 0 || lr <= pc {
		t.Errorf("pc %#x lr %#x: want a Thumb return address after the faulting pc", pc, lr)
	}
	if ipsr := snap.Registers["xpsr"] & 0x1ff; ipsr != 0 {
		t.Errorf("faulting context xPSR has IPSR %d, want thread mode", ipsr)
	}
	if got := snap.Meta.Extra["exception_psr"]; !strings.HasSuffix(got, "03") {
		t.Errorf("exception_psr %q, want IPSR 3 (HardFault)", got)
	}
	var cfsr [4]byte
	if n, err := snap.ReadMemory(cfsr[:], 0xE000ED28); n != 4 || err != nil || cfsr[3] != 0x02 {
		t.Errorf("CFSR bytes %x (%v): want DIVBYZERO (bit 25)", cfsr, err)
	}
	// The stack dump covers the faulting SP and the exception frame.
	var frame [32]byte
	if _, err := snap.ReadMemory(frame[:], uint64(snap.Registers["msp"])); err != nil {
		t.Errorf("exception frame not in the dump: %v", err)
	}
	if err := snap.Validate(); err != nil {
		t.Error(err)
	}
}

func TestDecodeBinaryEqualsHex(t *testing.T) {
	fromText, err := crashcatcher.DecodeHex(realText(t))
	if err != nil {
		t.Fatal(err)
	}
	fromBin, err := crashcatcher.Decode(realDump(t))
	if err != nil {
		t.Fatal(err)
	}
	importtest.WantSameRead(t, fromBin, fromText)
}

func TestDecodeDamagedDumpKeepsWhatCame(t *testing.T) {
	dump := realDump(t)
	tests := []struct {
		name     string
		data     []byte
		wantRegs bool
		wantSaid string
	}{
		{"cut in the registers", dump[:40], false, "ends before register"},
		{"cut in a memory region", dump[:len(dump)/2], true, "bytes"},
		{"cut in a region header", dump[:4+4+20*4+4], true, "header"},
		{"region end before start", corruptRegionEnd(dump), true, "not a range"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			snap, err := crashcatcher.Decode(tc.data)
			importtest.WantDamaged[*crashcatcher.DamagedError](t, snap, err, tc.wantSaid)
			if _, ok := snap.Registers["pc"]; ok != tc.wantRegs {
				t.Errorf("pc present %v, want %v", ok, tc.wantRegs)
			}
		})
	}
}

// corruptRegionEnd makes the first memory region's end lie before its start.
func corruptRegionEnd(dump []byte) []byte {
	b := append([]byte(nil), dump...)
	off := 4 + 4 + 20*4 + 4 // signature, flags, 20 registers incl. exception PSR, region start
	b[off], b[off+1], b[off+2], b[off+3] = 0, 0, 0, 0
	return b
}

func TestDecodeHexWithoutEndSaysItWasCut(t *testing.T) {
	text := realText(t)
	cut := text[:strings.Index(text, "End of dump")]
	cut = cut[:len(cut)*2/3]
	cut = cut[:strings.LastIndex(cut, "\n")]
	snap, err := crashcatcher.DecodeHex(cut)
	if snap == nil || err == nil {
		t.Fatalf("got %v, %v; want a partial snapshot and an error", snap, err)
	}
	if !strings.Contains(strings.Join(snap.Meta.Missing, ";"), "cut short") {
		t.Errorf("Missing %v does not say the dump was cut", snap.Meta.Missing)
	}
}

func TestDecodeRefusesWhatIsNotADump(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "signature"},
		{"other version", []byte("cC\x02\x00\x00\x00\x00\x00"), "version 2.0"},
		{"ELF", []byte("\x7fELF\x01\x01"), "signature"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			snap, err := crashcatcher.Decode(tc.data)
			importtest.WantRefused[*crashcatcher.FormatError](t, snap, err, tc.want)
		})
	}
	if _, err := crashcatcher.DecodeHex("boot\nall fine\n"); err == nil || !strings.Contains(err.Error(), "no hex dump") {
		t.Errorf("text without a dump: %v", err)
	}
}

func FuzzDecode(f *testing.F) {
	dump := realDump(f)
	f.Add(dump)
	f.Add(dump[:len(dump)/3])
	f.Fuzz(func(t *testing.T, data []byte) {
		snap, err := crashcatcher.Decode(data)
		importtest.CheckDecoded(t, snap, err)
	})
}

func FuzzDecodeHex(f *testing.F) {
	text := realText(f)
	f.Add(text)
	f.Add(text[:len(text)/2])
	f.Fuzz(func(t *testing.T, text string) {
		snap, err := crashcatcher.DecodeHex(text)
		importtest.CheckDecoded(t, snap, err)
	})
}
