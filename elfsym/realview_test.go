package elfsym

import (
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"testing"
	"time"

	"github.com/faultline-dev/faultline/elfsym/elfsymtest"
	"github.com/go-delve/delve/pkg/dwarf/frame"
)

// armccFrame assembles a .debug_frame as ARM Compiler writes one: a CIE
// of version v and augmentation aug (code alignment 2, data alignment -4,
// return address in r14, CFA = r13), and one FDE for [0x1000, 0x1020)
// whose program says, from 0x1002 on, DW_CFA_def_cfa_offset 8 and LR
// saved at CFA-4.
func armccFrame(v uint8, aug string) []byte {
	var cie []byte
	cie = binary.LittleEndian.AppendUint32(cie, 0xffffffff)
	cie = append(cie, v)
	cie = append(cie, aug...)
	cie = append(cie, 0)
	if v == 4 {
		cie = append(cie, 4, 0) // address size, segment selector size
	}
	cie = append(cie, 2, 0x7c, 14) // code align 2, data align -4, ra r14
	cie = append(cie, 0x0c, 13, 0) // DW_CFA_def_cfa r13 0
	for len(cie)%4 != 0 {
		cie = append(cie, 0) // DW_CFA_nop
	}
	var sec []byte
	sec = binary.LittleEndian.AppendUint32(sec, uint32(len(cie)))
	sec = append(sec, cie...)
	fde := binary.LittleEndian.AppendUint32(nil, 0) // CIE at offset 0
	fde = binary.LittleEndian.AppendUint32(fde, 0x1000)
	fde = binary.LittleEndian.AppendUint32(fde, 0x20)
	fde = append(fde, 0x41, 0x0e, 8, 0x8e, 1) // advance 1 (2 bytes); def_cfa_offset 8; r14 at cfa-4
	for len(fde)%4 != 0 {
		fde = append(fde, 0)
	}
	sec = binary.LittleEndian.AppendUint32(sec, uint32(len(fde)))
	return append(sec, fde...)
}

// TestARMCompilerCFIIsRead: the "armcc" augmentations of ARM Compiler 5
// and 6 add no fields and are read (they were refused, leaving armcc
// firmware without CFI); the RealView quirks are applied as gdb's
// dwarf2_frame_find_quirks applies them, and only for code a RealView
// compiler produced. Expected rows worked by hand from the program above:
// def_cfa_offset 8, factored by -4 is -32, reversed +32.
func TestARMCompilerCFIIsRead(t *testing.T) {
	tests := []struct {
		v        uint8
		aug      string
		realview bool
		cfaOff   int64
	}{
		{3, "armcc+", false, 8},
		{3, "armcc+", true, 8},  // "+": the reversed offset is fixed
		{3, "armcc", true, -8},  // reversed, not factored
		{3, "", true, -8},       // no armcc augmentation: reversed
		{1, "", true, 32},       // version 1: factored and reversed
		{1, "", false, 8},       // another producer: as written
		{4, "armcc+", true, 8},  // version 4 has no quirks
		{1, "armcc+", false, 8}, // augmentation alone changes nothing
	}
	for _, tc := range tests {
		fdes, skipped, first, fatal := parseCFI(armccFrame(tc.v, tc.aug), false, 0)
		if skipped != 0 || fatal != nil || len(fdes) != 1 {
			t.Fatalf("v%d %q: %d FDEs, %d skipped (%v), %v; want the one FDE", tc.v, tc.aug, len(fdes), skipped, first, fatal)
		}
		f := &fdes[0]
		var q cfaQuirks
		if tc.realview && f.cie.mayHaveQuirks() {
			q = cfaQuirks{factored: f.cie.version == 1, reversed: true}
		}
		fc, err := f.rowAtWith(0x1004, q)
		if err != nil {
			t.Fatalf("v%d %q realview=%v: %v", tc.v, tc.aug, tc.realview, err)
		}
		if fc.CFA.Rule != frame.RuleCFA || fc.CFA.Reg != 13 || fc.CFA.Offset != tc.cfaOff {
			t.Errorf("v%d %q realview=%v: CFA r%d%+d, want r13%+d", tc.v, tc.aug, tc.realview, fc.CFA.Reg, fc.CFA.Offset, tc.cfaOff)
		}
		if lr := fc.Regs[14]; lr.Rule != frame.RuleOffset || lr.Offset != -4 {
			t.Errorf("v%d %q: LR rule %+v, want CFA-4", tc.v, tc.aug, lr)
		}
		if fc, err := f.rowAtWith(0x1000, q); err != nil || fc.CFA.Offset != 0 {
			t.Errorf("v%d %q: entry row %+v, %v; want r13+0", tc.v, tc.aug, fc, err)
		}
	}
}

// TestRealViewQuirksFollowTheProducer: a gcc build (CIE version 1) whose
// DW_AT_producer is rewritten to RVCT's gets gdb's RealView reading of
// the same bytes; with gcc's producer it keeps the plain one. top+2 is
// after "push {r3, lr}": DW_CFA_def_cfa_offset 8 (r13+8, checked against
// objdump in TestFrameContextRowsCheckedByHand), which for RVCT means
// 8 * -4 = -32, reversed: r13+32.
func TestRealViewQuirksFollowTheProducer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	path, err := elfsymtest.Lab(ctx, elfsymtest.LabConfig{Compiler: "gcc", Opt: "-O2", GCSections: true})
	if err != nil {
		t.Fatal(err)
	}
	orig, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rvct := bytes.Clone(orig)
	i := bytes.Index(rvct, []byte("GNU C"))
	if i < 0 {
		t.Fatal("no GNU producer in the lab ELF")
	}
	end := i + bytes.IndexByte(rvct[i:], 0)
	name := "ARM/Thumb C/C++ Compiler, RVCT4.0 [Build 400]"
	if end-i < len(name) {
		t.Fatalf("producer %q shorter than %q", rvct[i:end], name)
	}
	copy(rvct[i:end], name)
	clear(rvct[i+len(name) : end])
	for _, tc := range []struct {
		name   string
		data   []byte
		cfaOff int64
	}{{"gcc", orig, 8}, {"rvct", rvct, 32}} {
		im, err := NewImage(bytes.NewReader(tc.data), int64(len(tc.data)), tc.name)
		if err != nil {
			t.Fatal(err)
		}
		top, ok := im.LookupSymbol("top")
		if !ok {
			t.Fatal("no top")
		}
		fc, err := im.FrameContext(top.Addr + 2)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if fc.CFA.Reg != 13 || fc.CFA.Offset != tc.cfaOff {
			t.Errorf("%s: top+2 CFA r%d%+d, want r13%+d", tc.name, fc.CFA.Reg, fc.CFA.Offset, tc.cfaOff)
		}
		// main is in the same unit: the quirk is the unit's.
		if !im.realviewAt(top.Addr) != (tc.name == "gcc") {
			t.Errorf("%s: realviewAt(top) = %v", tc.name, im.realviewAt(top.Addr))
		}
	}
}
