package elfsym

import (
	"math"
	"testing"
)

// FuzzParseCFI feeds arbitrary bytes to the CFI parser and the row
// interpreter, as .debug_frame and as .eh_frame: errors are fine, panics
// and endless loops are not.
func FuzzParseCFI(f *testing.F) {
	// A clang-style v4 CIE (address and segment sizes) and one FDE.
	v4 := []byte{
		0x10, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 4, 0, 4, 0, 1, 0x7c, 14, 0x0c, 13, 0, 0, 0,
		0x18, 0, 0, 0, 0, 0, 0, 0, 0x32, 0, 0, 0, 0x1a, 0, 0, 0,
		0x42, 0x0e, 8, 0x8e, 1, 0x87, 2, 0x42, 0x0d, 7, 0, 0,
	}
	f.Add(v4, false)
	// A gas-style .eh_frame: "zR" CIE, pc-relative FDE, terminator.
	eh := []byte{
		0x10, 0, 0, 0, 0, 0, 0, 0, 1, 'z', 'R', 0, 2, 0x7c, 14, 1, 0x1b, 0x0c, 13, 0,
		0x14, 0, 0, 0, 0x18, 0, 0, 0, 0xe8, 0xff, 0xff, 0xff, 0x0c, 0, 0, 0, 0, 0x41, 0x0e, 12, 0, 0,
		0, 0, 0, 0,
	}
	f.Add(eh, true)
	f.Fuzz(func(t *testing.T, data []byte, isEH bool) {
		fdes, _, _, _ := parseCFI(data, isEH, 0x1000)
		for i := range fdes {
			fd := &fdes[i]
			for _, pc := range []uint64{fd.begin, fd.begin + 2, fd.end - 1, math.MaxUint64} {
				fd.rowAt(pc)
			}
		}
	})
}

// TestParseCFIVersion4CIE: the v4 CIE's two extra bytes are skipped, so
// the factors, return register and rows come out as written.
func TestParseCFIVersion4CIE(t *testing.T) {
	data := []byte{
		// CIE v4: aug "", address_size 4, segment_selector_size 0,
		// code 1, data -4, RA 14, def_cfa r13+0, padding.
		0x10, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 4, 0, 4, 0, 1, 0x7c, 14, 0x0c, 13, 0, 0, 0,
		// FDE 0x32..0x4c: advance 2, def_cfa_offset 8, lr at cfa-4,
		// r7 at cfa-8, advance 2, def_cfa_register r7.
		0x18, 0, 0, 0, 0, 0, 0, 0, 0x32, 0, 0, 0, 0x1a, 0, 0, 0,
		0x42, 0x0e, 8, 0x8e, 1, 0x87, 2, 0x42, 0x0d, 7, 0, 0,
	}
	fdes, skipped, first, fatal := parseCFI(data, false, 0)
	if len(fdes) != 1 || skipped != 0 || first != nil || fatal != nil {
		t.Fatalf("parseCFI = %d FDEs, %d skipped (%v), %v", len(fdes), skipped, first, fatal)
	}
	c := fdes[0].cie
	if c.version != 4 || c.codeAlign != 1 || c.dataAlign != -4 || c.raReg != 14 {
		t.Errorf("CIE = %+v, want v4 code 1 data -4 RA 14", c)
	}
	for _, tc := range []struct {
		pc     uint64
		cfaReg uint64
		cfaOff int64
		lr     int64
	}{{0x32, 13, 0, 0}, {0x34, 13, 8, -4}, {0x36, 7, 8, -4}, {0x4a, 7, 8, -4}} {
		fc, err := fdes[0].rowAt(tc.pc)
		if err != nil {
			t.Fatal(err)
		}
		if fc.CFA.Reg != tc.cfaReg || fc.CFA.Offset != tc.cfaOff || fc.Regs[14].Offset != tc.lr {
			t.Errorf("row at %#x: CFA r%d%+d LR %+v; want r%d%+d LR c%+d", tc.pc, fc.CFA.Reg, fc.CFA.Offset, fc.Regs[14], tc.cfaReg, tc.cfaOff, tc.lr)
		}
	}
}
