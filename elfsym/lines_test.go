package elfsym

import (
	"debug/dwarf"
	"debug/elf"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/faultline-dev/faultline/elfsym/elfsymtest"
)

// rowsFor keeps few rows, the ones a scan of the rows per address keeps
// (rowsForScanRef, what it did before its rowPicker), and a lookup at each
// of its addresses finds in them what it finds in the whole sorted table:
// on line programs with overlapping sequences, rows at one address and
// sequences ending where others start.
func TestRowsForAnswersAsTheWholeTable(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for iter := range 300 {
		var rows []lineRow
		for range 1 + rng.IntN(5) { // sequences
			a := uint64(rng.IntN(200))
			for range 1 + rng.IntN(12) {
				rows = append(rows, lineRow{addr: a, file: uint32(rng.IntN(3)), line: uint32(rng.IntN(100))})
				a += uint64(rng.IntN(4)) // 0: several rows at one address
			}
			rows = append(rows, lineRow{addr: a + uint64(rng.IntN(3)), end: true})
		}
		files := []string{"a.c", "b.c", "c.c"}
		whole := lineTable{rows: append([]lineRow(nil), rows...), files: files}
		whole.sortRows()
		addrs := map[uint64]bool{}
		for range 1 + rng.IntN(30) {
			addrs[uint64(rng.IntN(220))] = true
		}
		sorted := rowsFor(rows, addrs)
		if ref := rowsForScanRef(rows, addrs); !reflect.DeepEqual(sorted, ref) {
			t.Fatalf("case %d: the picker kept %+v, a scan per address %+v", iter, sorted, ref)
		}
		if len(sorted) > 2*len(addrs) {
			t.Fatalf("case %d: %d rows kept for %d addresses", iter, len(sorted), len(addrs))
		}
		part := lineTable{rows: sorted, files: files}
		for a := range addrs {
			wf, wl, wok := whole.at(a)
			gf, gl, gok := part.at(a)
			if wf != gf || wl != gl || wok != gok {
				t.Fatalf("case %d: at %d the kept rows say %q:%d %v, the whole table %q:%d %v\nrows %+v\nkept %+v", iter, a, gf, gl, gok, wf, wl, wok, rows, sorted)
			}
		}
	}
}

// rowsForScanRef is what rowsFor did for a few addresses before it took
// them all in one pass: a scan of the rows per address for the last row
// at or below it, and another for the row after that one.
func rowsForScanRef(rows []lineRow, addrs map[uint64]bool) []lineRow {
	before := func(i, j int) bool {
		if c := cmpRows(rows[i], rows[j]); c != 0 {
			return c < 0
		}
		return i < j
	}
	var keep []int
	for a := range addrs {
		c := -1
		for i, r := range rows {
			if r.addr <= a && (c < 0 || before(c, i)) {
				c = i
			}
		}
		if c < 0 {
			continue
		}
		next := -1
		for i := range rows {
			if before(c, i) && (next < 0 || before(i, next)) {
				next = i
			}
		}
		keep = append(keep, c)
		if next >= 0 {
			keep = append(keep, next)
		}
	}
	slices.SortFunc(keep, func(i, j int) int {
		switch {
		case i == j:
			return 0
		case before(i, j):
			return -1
		}
		return 1
	})
	keep = slices.Compact(keep)
	out := make([]lineRow, len(keep))
	for k, i := range keep {
		out[k] = rows[i]
	}
	return out
}

// mergeRows gives what sortRows gives for the runs' concatenation, for
// runs in address order (joined as they are) and overlapping ones.
func TestMergeRowsSortsAsTheConcatenation(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for iter := range 300 {
		var runs [][]lineRow
		var all []lineRow
		base := uint64(0)
		for range rng.IntN(6) {
			var run []lineRow
			if iter%2 == 0 {
				base = uint64(rng.IntN(100)) // overlapping
			}
			for range rng.IntN(10) {
				run = append(run, lineRow{addr: base + uint64(rng.IntN(30)), line: uint32(rng.IntN(1000)), end: rng.IntN(4) == 0})
			}
			lt := lineTable{rows: run}
			lt.sortRows()
			if len(run) > 0 && iter%2 == 1 {
				base = run[len(run)-1].addr // the next run starts at or after this one's end
			}
			runs = append(runs, run)
			all = append(all, run...)
		}
		want := lineTable{rows: all}
		want.sortRows()
		if got := mergeRows(runs); len(got)+len(want.rows) > 0 && !reflect.DeepEqual(got, want.rows) {
			t.Fatalf("case %d: merged %+v, sorted %+v", iter, got, want.rows)
		}
	}
}

// BenchmarkRowsFor: ten addresses in one unit of 270,000 rows, as in a
// firmware built as one large translation unit (elfsymtest.Big(3000)).
func BenchmarkRowsFor(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 4))
	rows := make([]lineRow, 0, 270000)
	a := uint64(0x8000000)
	for len(rows) < cap(rows) {
		rows = append(rows, lineRow{addr: a, line: uint32(rng.IntN(1000))})
		a += uint64(rng.IntN(6))
	}
	addrs := map[uint64]bool{}
	for range 10 {
		addrs[0x8000000+uint64(rng.IntN(int(a-0x8000000)))] = true
	}
	for b.Loop() {
		rowsFor(rows, addrs)
	}
}

// A unit built for a few addresses picks its rows as its line program is
// read (readLinesPick): the rows kept are the ones rowsFor
// keeps of all the unit's rows read first, for every unit of real images
// (with sequences at address 0 that are dropped, with DWARF 4 and 5) and
// random addresses in, between and around their rows.
func TestPickedRowsAsRowsForOfTheWholeUnit(t *testing.T) {
	images := map[string]elfsymtest.Builder{"sample": elfsymtest.Sample, "gc-sections": elfsymtest.GCSections, "dwarf4": elfsymtest.DWARF4}
	elfsymtest.OnEach(t, images, func(t *testing.T, path string) {
		f, err := elf.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		d, err := f.DWARF()
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(7, 8))
		r := d.Reader()
		units := 0
		for {
			cu, err := r.Next()
			if err != nil {
				t.Fatal(err)
			}
			if cu == nil {
				break
			}
			r.SkipChildren()
			if cu.Tag != dwarf.TagCompileUnit {
				continue
			}
			for _, zeroOK := range []bool{false, true} {
				lr, err := d.LineReader(cu)
				if err != nil || lr == nil {
					continue
				}
				fiAll := &fileInterner{idx: map[string]uint32{}}
				all, errAll := readLines(lr, fiAll, zeroOK, nil)
				if len(all) == 0 {
					continue
				}
				units++
				for iter := range 20 {
					addrs := map[uint64]bool{}
					for range 1 + rng.IntN(12) {
						a := all[rng.IntN(len(all))].addr
						addrs[a+uint64(rng.IntN(9))-4] = true
					}
					addrs[uint64(rng.IntN(1<<28))] = true
					want := rowsFor(all, addrs)
					lr.Reset()
					fi := &fileInterner{idx: map[string]uint32{}}
					p := newRowPicker(addrs)
					ok, err := readLinesPick(lr, fi, zeroOK, p)
					if !ok || err != nil || errAll != nil {
						t.Fatalf("unit %v: picking ok %v, %v; reading whole: %v", cu.Val(dwarf.AttrName), ok, err, errAll)
					}
					if got := p.rows(); !reflect.DeepEqual(got, want) {
						t.Fatalf("unit %v, zeroOK %v, case %d: picked %+v, rowsFor of all %+v", cu.Val(dwarf.AttrName), zeroOK, iter, got, want)
					}
					if !reflect.DeepEqual(fi.files, fiAll.files) {
						t.Fatalf("unit %v: files %q, read whole %q", cu.Val(dwarf.AttrName), fi.files, fiAll.files)
					}
				}
			}
		}
		if units < 2 {
			t.Fatalf("%d units with line programs", units)
		}
	})
}
