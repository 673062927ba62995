package zephyrdump_test

import (
	"encoding/binary"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/faultline-dev/faultline/capture/internal/importtest"
	"github.com/faultline-dev/faultline/capture/zephyrdump"
)

// realLog is what Zephyr 2.6 printed in QEMU (testdata/README.md).
func realLog(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/console-" + name + ".log")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func realDump(t testing.TB, name string) []byte {
	t.Helper()
	dump, complete, err := zephyrdump.FromLog(realLog(t, name))
	if err != nil || !complete {
		t.Fatalf("FromLog: complete %v, %v", complete, err)
	}
	return dump
}

// printedRegs reads the exception frame Zephyr's fatal error handler
// printed on the same console before the dump (esf_dump in fatal.c): an
// account of the registers that does not go through the dump's bytes.
func printedRegs(t *testing.T, log string) map[string]uint32 {
	t.Helper()
	re := regexp.MustCompile(`(r0/a1|r1/a2|r2/a3|r3/a4|r12/ip|r14/lr|xpsr|\(r15/pc\)):\s+0x([0-9a-f]{8})`)
	names := map[string]string{"r0/a1": "r0", "r1/a2": "r1", "r2/a3": "r2", "r3/a4": "r3", "r12/ip": "r12", "r14/lr": "lr", "xpsr": "xpsr", "(r15/pc)": "pc"}
	regs := map[string]uint32{}
	for _, m := range re.FindAllStringSubmatch(log, -1) {
		v, _ := strconv.ParseUint(m[2], 16, 32)
		regs[names[m[1]]] = uint32(v)
	}
	if len(regs) != 8 {
		t.Fatalf("the console shows %d of the 8 frame registers: %v", len(regs), regs)
	}
	return regs
}

func TestDecodeLogReadsWhatZephyrPrinted(t *testing.T) {
	tests := []struct {
		name       string
		reason     string
		sp         uint32 // the faulting code's sp
		frameAt    string // where the exception frame is, "" when ambiguous
		candidates string
	}{
		// On the fault path Zephyr 2.6 records the frame's address as sp.
		{"nullcall", "K_ERR_CPU_EXCEPTION", 0x20000aa8, "0x20000a88", ""},
		// On the k_oops() path it records no sp; the registers are in RAM
		// twice: coredump.c's arch_blk (0x20000510) and the real frame.
		{"oops", "K_ERR_KERNEL_OOPS", 0, "", "0x20000510,0x20000a88"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			log := realLog(t, tc.name)
			snap, err := zephyrdump.DecodeLog(log)
			if err != nil {
				t.Fatal(err)
			}
			for n, want := range printedRegs(t, log) {
				if got, ok := snap.Registers[n]; !ok || got != want {
					t.Errorf("%s = %#x (present %v), the console printed %#x", n, got, ok, want)
				}
			}
			if got := snap.Registers["sp"]; got != tc.sp {
				t.Errorf("sp %#x, want %#x", got, tc.sp)
			}
			if _, ok := snap.Registers["r4"]; ok {
				t.Error("r4 present: a version 1 dump has no r4-r11")
			}
			if got := snap.Meta.Extra["exception_frame"]; got != tc.frameAt {
				t.Errorf("exception_frame %q, want %q", got, tc.frameAt)
			}
			if got := snap.Meta.Extra[zephyrdump.FrameCandidates]; got != tc.candidates {
				t.Errorf("frame candidates %q, want %q", got, tc.candidates)
			}
			if got := snap.Meta.Extra["zephyr_reason_name"]; got != tc.reason || !strings.Contains(snap.Meta.Trigger.Detail, tc.reason) {
				t.Errorf("reason %q, trigger %q; want %s", got, snap.Meta.Trigger.Detail, tc.reason)
			}
			// All of RAM (CONFIG_DEBUG_COREDUMP_MEMORY_DUMP_LINKER_RAM).
			if len(snap.Memory) != 1 || snap.Memory[0].Addr != 0x20000000 || snap.Memory[0].End() != 0x20001fd0 {
				t.Errorf("memory %d regions, first %#x-%#x; want 0x20000000-0x20001fd0", len(snap.Memory), snap.Memory[0].Addr, snap.Memory[0].End())
			}
			if !strings.Contains(strings.Join(snap.Meta.Missing, ";"), "r4-r11") {
				t.Errorf("Missing %q does not say r4-r11 are not recorded", snap.Meta.Missing)
			}
			if err := snap.Validate(); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestDecodeBinaryEqualsLog(t *testing.T) {
	fromLog, err := zephyrdump.DecodeLog(realLog(t, "nullcall"))
	if err != nil {
		t.Fatal(err)
	}
	dump := realDump(t, "nullcall")
	if !zephyrdump.Looks(dump) {
		t.Fatal("Looks refuses the binary dump")
	}
	fromBin, err := zephyrdump.Decode(dump)
	if err != nil {
		t.Fatal(err)
	}
	importtest.WantSameRead(t, fromBin, fromLog)
}

func TestReasonNames(t *testing.T) {
	tests := []struct {
		code uint32
		name string
		says string
	}{
		{0, "K_ERR_CPU_EXCEPTION", "CPU exception"},
		{1, "K_ERR_SPURIOUS_IRQ", "interrupt"},
		{2, "K_ERR_STACK_CHK_FAIL", "stack overflow"},
		{3, "K_ERR_KERNEL_OOPS", "oops"},
		{4, "K_ERR_KERNEL_PANIC", "panic"},
		{19, "reason 19", "architecture-specific"},
		{7, "reason 7", "unknown"},
	}
	for _, tc := range tests {
		name, words := zephyrdump.ReasonName(tc.code)
		if name != tc.name || !strings.Contains(words, tc.says) {
			t.Errorf("ReasonName(%d) = %q, %q; want %q and words saying %q", tc.code, name, words, tc.name, tc.says)
		}
	}
}

func TestDecodeDamagedDumpKeepsWhatCame(t *testing.T) {
	dump := realDump(t, "nullcall")
	const memHeader = 12 + 5 + 36 // file header, arch block header and body
	tests := []struct {
		name     string
		data     []byte
		wantRegs bool
		wantSaid string
	}{
		{"cut in the arch block", dump[:12+5+10], false, "ends in its A block"},
		{"cut in a memory block", dump[:len(dump)/2], true, "bytes"},
		{"cut in a memory block's header", dump[:memHeader+5], true, "header"},
		{"memory end before start", corrupt(dump, memHeader+7, 0), true, "not a range"},
		{"unknown block", corrupt(dump, memHeader, 'Q'), true, "unknown id"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			snap, err := zephyrdump.Decode(tc.data)
			importtest.WantDamaged[*zephyrdump.DamagedError](t, snap, err, tc.wantSaid)
			if _, ok := snap.Registers["pc"]; ok != tc.wantRegs {
				t.Errorf("pc present %v, want %v", ok, tc.wantRegs)
			}
		})
	}
}

// corrupt sets one byte of a copy of dump.
func corrupt(dump []byte, off int, v byte) []byte {
	b := append([]byte(nil), dump...)
	b[off] = v
	if v == 0 { // the memory block's start: make end lie before it
		binary.LittleEndian.PutUint32(b[off-4:], 0x20002000)
	}
	return b
}

func TestDecodeLogCutOrFailedSaysSo(t *testing.T) {
	log := realLog(t, "nullcall")
	end := strings.Index(log, "#CD:END#")
	cut := log[:strings.LastIndex(log[:end*2/3], "\n")+1]
	snap, err := zephyrdump.DecodeLog(cut)
	if snap == nil || err == nil || !strings.Contains(strings.Join(snap.Meta.Missing, ";"), "cut short") {
		t.Errorf("cut log: %v, %v; want a partial snapshot saying it was cut short", snap, err)
	}
	begin := strings.Index(log, "#CD:BEGIN#")
	failed := log[:begin] + "#CD:BEGIN#\n<err> coredump: #CD:ERROR CANNOT DUMP#\n"
	if _, err := zephyrdump.DecodeLog(failed); err == nil || !strings.Contains(err.Error(), "could not write the dump") {
		t.Errorf("failed dump: %v; want an error saying Zephyr could not write it", err)
	}
	if _, err := zephyrdump.DecodeLog("boot\nall fine\n"); err == nil || !strings.Contains(err.Error(), "#CD:BEGIN#") {
		t.Errorf("text without a dump: %v", err)
	}
}

func TestDecodeRefusesWhatIsNotADump(t *testing.T) {
	head := realDump(t, "nullcall")[:12]
	with := func(off int, v byte) []byte {
		b := append([]byte(nil), head...)
		b[off] = v
		return b
	}
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "signature"},
		{"short", head[:6], "shorter"},
		{"newer version", with(2, 9), "header version 9"},
		{"x86 target", with(4, 1), "target code 1"},
		{"64-bit pointers", with(6, 6), "pointer size"},
		{"CrashCatcher", []byte("cC\x03\x00\x00\x00\x00\x00\x00\x00\x00\x00"), "signature"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			snap, err := zephyrdump.Decode(tc.data)
			importtest.WantRefused[*zephyrdump.FormatError](t, snap, err, tc.want)
		})
	}
}

func FuzzDecode(f *testing.F) {
	for _, n := range []string{"nullcall", "oops"} {
		dump := realDump(f, n)
		f.Add(dump)
		f.Add(dump[:len(dump)/3])
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		snap, err := zephyrdump.Decode(data)
		importtest.CheckDecoded(t, snap, err)
	})
}

func FuzzDecodeLog(f *testing.F) {
	for _, n := range []string{"nullcall", "oops"} {
		text := realLog(f, n)
		f.Add(text)
		f.Add(text[:len(text)/2])
	}
	f.Fuzz(func(t *testing.T, text string) {
		snap, err := zephyrdump.DecodeLog(text)
		importtest.CheckDecoded(t, snap, err)
	})
}
