package elfsym

import (
	"debug/dwarf"
	"debug/elf"
	"errors"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/faultline-dev/faultline/elfsym/elfsymtest"
)

// linePrograms calls f with every compile unit's line program of the image
// at path: where it is in .debug_line, its bytes (from its unit_length to
// the end of the section) and a LineReader of it.
func linePrograms(t *testing.T, path string, f func(name string, off int64, prog []byte, lr *dwarf.LineReader)) {
	t.Helper()
	ef, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ef.Close()
	d, err := ef.DWARF()
	if err != nil {
		t.Fatal(err)
	}
	sec, err := ef.Section(".debug_line").Data()
	if err != nil {
		t.Fatal(err)
	}
	r := d.Reader()
	for {
		cu, err := r.Next()
		if err != nil {
			t.Fatal(err)
		}
		if cu == nil {
			return
		}
		r.SkipChildren()
		off, ok := cu.Val(dwarf.AttrStmtList).(int64)
		if cu.Tag != dwarf.TagCompileUnit || !ok {
			continue
		}
		lr, err := d.LineReader(cu)
		if err != nil || lr == nil {
			continue
		}
		name, _ := cu.Val(dwarf.AttrName).(string)
		f(name, off, sec[off:], lr)
	}
}

// The line program decoded in place gives the rows, files and sequences
// LineReader gives, for every unit of real images: gcc's DWARF 5 and 4,
// sequences at address 0 (gc-sections), LTO and clang's programs.
func TestFastLinesReadAsLineReader(t *testing.T) {
	images := map[string]elfsymtest.Builder{
		"sample": elfsymtest.Sample, "gc-sections": elfsymtest.GCSections, "dwarf4": elfsymtest.DWARF4,
		"lto": elfsymtest.LTO, "clang": elfsymtest.Clang,
	}
	elfsymtest.OnEach(t, images, func(t *testing.T, path string) {
		units := 0
		linePrograms(t, path, func(name string, off int64, prog []byte, lr *dwarf.LineReader) {
			for _, zeroOK := range []bool{false, true} {
				lr.Reset()
				wfi := &fileInterner{idx: map[string]uint32{}}
				want, werr := readLines(lr, wfi, zeroOK, nil)
				fr := newFastLineReader(prog, 4, lr.Files())
				if fr == nil {
					t.Fatalf("unit %s: its line program is left to LineReader", name)
				}
				gfi := &fileInterner{idx: map[string]uint32{}}
				got, gerr := readLines(fr, gfi, zeroOK, nil)
				if gerr != nil || werr != nil {
					t.Fatalf("unit %s: decoded in place: %v; LineReader: %v", name, gerr, werr)
				}
				if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(gfi.files, wfi.files) {
					t.Fatalf("unit %s, zeroOK %v: %d rows %q in place, %d rows %q by LineReader", name, zeroOK, len(got), gfi.files, len(want), wfi.files)
				}
			}
			units++
		})
		if units < 2 {
			t.Fatalf("%d units read", units)
		}
	})
}

// A damaged line program decoded in place either gives what LineReader
// gives or is left to it (errFastLines); it never panics or loops.
func TestFastLinesOnDamageAnswerAsLineReaderOrStop(t *testing.T) {
	path, err := elfsymtest.Sample(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(11, 12))
	dl := newDamagedLines(t, path)
	damaged := 0
	defer func() {
		if damaged < 2 {
			t.Errorf("%d units' programs damaged", damaged)
		}
	}()
	linePrograms(t, path, func(name string, off int64, prog []byte, lr *dwarf.LineReader) {
		n := int(uint32(prog[0]) | uint32(prog[1])<<8 | uint32(prog[2])<<16 | uint32(prog[3])<<24)
		whole := newFastLineReader(prog, 4, lr.Files())
		if whole == nil {
			t.Fatalf("unit %s: its line program is left to LineReader", name)
		}
		if len(whole.prog) == 0 {
			return // no code (a unit of data): nothing to damage
		}
		damaged++
		start := 4 + n - len(whole.prog) // the opcodes, after the header
		for iter := range 150 {
			bad := append([]byte(nil), prog[:4+n]...)
			for range 1 + rng.IntN(3) {
				// Damage the opcodes, not the header the files come from.
				bad[start+rng.IntN(len(bad)-start)] = byte(rng.IntN(256))
			}
			fr := newFastLineReader(bad, 4, lr.Files())
			if fr == nil {
				continue
			}
			got, gerr := readLines(fr, &fileInterner{idx: map[string]uint32{}}, false, nil)
			if errors.Is(gerr, errFastLines) {
				continue
			}
			// What LineReader makes of the same bytes.
			want, werr := dl.read(t, off, bad)
			if (gerr != nil) != (werr != nil) || !reflect.DeepEqual(got, want) {
				t.Fatalf("unit %s, case %d: in place %d rows, %v; LineReader %d rows, %v", name, iter, len(got), gerr, len(want), werr)
			}
		}
	})
}

// damagedLines reads a unit's line program as LineReader does with other
// bytes in its place: the image's DWARF sections, read once.
type damagedLines struct {
	secs *dwarfSections
	cus  map[int64]dwarf.Offset // unit DIE by its DW_AT_stmt_list
}

func newDamagedLines(t *testing.T, path string) *damagedLines {
	t.Helper()
	ef, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ef.Close()
	secs, ok, err := readDWARFSections(ef, 1<<40, true, true)
	if err != nil || !ok {
		t.Fatalf("sections: %v %v", ok, err)
	}
	d, err := secs.data(secs.info)
	if err != nil {
		t.Fatal(err)
	}
	dl := &damagedLines{secs: secs, cus: map[int64]dwarf.Offset{}}
	for r := d.Reader(); ; {
		cu, err := r.Next()
		if err != nil {
			t.Fatal(err)
		}
		if cu == nil {
			return dl
		}
		r.SkipChildren()
		if off, ok := cu.Val(dwarf.AttrStmtList).(int64); ok && cu.Tag == dwarf.TagCompileUnit {
			dl.cus[off] = cu.Offset
		}
	}
}

// read returns LineReader's rows of the unit whose program is at off with
// prog in its place.
func (dl *damagedLines) read(t *testing.T, off int64, prog []byte) ([]lineRow, error) {
	t.Helper()
	line := append([]byte(nil), dl.secs.line...)
	copy(line[off:], prog)
	d, err := dl.secs.dataWithLine(dl.secs.info, line)
	if err != nil {
		t.Fatal(err)
	}
	r := d.Reader()
	r.Seek(dl.cus[off])
	cu, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	lr, err := d.LineReader(cu)
	if err != nil || lr == nil {
		return nil, err
	}
	return readLines(lr, &fileInterner{idx: map[string]uint32{}}, false, nil)
}
