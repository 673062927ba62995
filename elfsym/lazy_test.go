package elfsym

import (
	"context"
	"debug/dwarf"
	"maps"
	"math/rand/v2"
	"os"
	"reflect"
	"slices"
	"testing"

	"github.com/faultline-dev/faultline/elfsym/elfsymtest"
)

// A lazy image builds only the units a lookup needs, and the same answer
// comes from it as from the whole index.
func TestLazyImageBuildsOnlyTheUnitsAskedFor(t *testing.T) {
	elf, err := elfsymtest.Sample(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	lazy, err := OpenWith(elf, Options{Lazy: true})
	if err != nil {
		t.Fatal(err)
	}
	defer lazy.Close()
	whole, err := Open(elf)
	if err != nil {
		t.Fatal(err)
	}
	defer whole.Close()
	if lazy.lazy == nil {
		t.Fatal("Options.Lazy gave a whole index")
	}
	if n := len(lazy.lazy.units); n < 2 {
		t.Fatalf("sample has %d units, want several", n)
	}
	s, ok := whole.LookupSymbol("checksum")
	if !ok {
		t.Fatal("no checksum")
	}
	if built := builtUnits(lazy.lazy); built != 0 {
		t.Fatalf("%d units built before any lookup", built)
	}
	for a := s.Addr; a < s.Addr+s.Size; a += 2 {
		if got, want := lazy.Frames(a), whole.Frames(a); !equalFrames(got, want) {
			t.Fatalf("%#x: lazy %+v, whole %+v", a, got, want)
		}
	}
	if built := builtUnits(lazy.lazy); built != 1 {
		t.Fatalf("%d units built for one function, want 1 (%s)", built, lazy.lazy)
	}
	var all []uint64
	for _, sym := range whole.Symbols() {
		all = append(all, sym.Addr)
		if !sym.Func {
			continue
		}
		// The CFI is parsed on first use in a lazy image: same rows.
		got, gerr := lazy.FrameContext(sym.Addr + 2)
		want, werr := whole.FrameContext(sym.Addr + 2)
		if (gerr == nil) != (werr == nil) || (gerr == nil && !reflect.DeepEqual(got, want)) {
			t.Errorf("%s: FrameContext differs: lazy %+v %v, whole %+v %v", sym.Name, got, gerr, want, werr)
		}
	}
	if !reflect.DeepEqual(lazy.Warnings(), whole.Warnings()) {
		t.Errorf("warnings differ: lazy %q, whole %q", lazy.Warnings(), whole.Warnings())
	}
	lazy.Prepare(all)
	if built := builtUnits(lazy.lazy); built < 2 {
		t.Fatalf("Prepare over every symbol built %d units", built)
	}
}

func builtUnits(lz *lazyDWARF) int {
	n := 0
	for _, h := range lz.merged.Load().have {
		if h {
			n++
		}
	}
	return n
}

func equalFrames(a, b []Frame) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// .debug_aranges and the unit DIEs agree on every unit's addresses, so a
// unit .debug_aranges leaves out (or a file without it) is found the same.
func TestArangesMatchUnitRanges(t *testing.T) {
	ctx := context.Background()
	images := map[string]elfsymtest.Builder{
		"sample":     elfsymtest.Sample,
		"gcsections": elfsymtest.GCSections,
		"clang":      elfsymtest.Clang,
	}
	for name, build := range images {
		t.Run(name, func(t *testing.T) {
			elf, err := build(ctx)
			if err != nil {
				t.Fatal(err)
			}
			_, lz := openLazy(t, elf)
			aranged, skimmed := 0, 0
			for i := range lz.units {
				u := &lz.units[i]
				fromDIE, err := lz.unitDIERanges(u)
				if err != nil {
					t.Fatalf("unit %#x: %v", u.off, err)
				}
				// A unit without .debug_aranges takes its ranges from
				// the skimmed unit DIE when it can: as debug/dwarf reads
				// them.
				if rs, ok := lz.skimUnitRanges(u); ok {
					skimmed++
					if !reflect.DeepEqual(rs, fromDIE) {
						t.Errorf("unit %#x: skimmed unit DIE %#x, debug/dwarf %#x", u.off, rs, fromDIE)
					}
				}
				if !u.aranged {
					continue
				}
				aranged++
				if !sameRanges(u.ranges, fromDIE) {
					t.Errorf("unit %#x: .debug_aranges %#x, unit DIE %#x", u.off, u.ranges, fromDIE)
				}
			}
			if aranged == 0 {
				t.Errorf("no unit had .debug_aranges")
			}
			t.Logf("%d units, %d with .debug_aranges, %d skimmed", len(lz.units), aranged, skimmed)
			if skimmed == 0 {
				t.Errorf("no unit DIE's ranges could be skimmed")
			}
		})
	}
}

// sameRanges compares range lists as sets, ignoring empty ranges.
func sameRanges(a, b [][2]uint64) bool {
	norm := func(rs [][2]uint64) map[[2]uint64]bool {
		m := map[[2]uint64]bool{}
		for _, r := range rs {
			if r[0] < r[1] {
				m[r] = true
			}
		}
		return m
	}
	return reflect.DeepEqual(norm(a), norm(b))
}

// Prepared for one address, a lazy image indexes only the function
// covering it, and answers there as the whole index does.
func TestPrepareIndexesOnlyTheFunctionsAskedFor(t *testing.T) {
	elf, err := elfsymtest.Sample(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	whole, err := Open(elf)
	if err != nil {
		t.Fatal(err)
	}
	defer whole.Close()
	lazy, err := OpenWith(elf, Options{Lazy: true})
	if err != nil {
		t.Fatal(err)
	}
	defer lazy.Close()
	s, ok := whole.LookupSymbol("checksum")
	if !ok {
		t.Fatal("no checksum")
	}
	var addr uint64
	for a := s.Addr; a < s.Addr+s.Size; a += 2 {
		if len(whole.Frames(a)) >= 3 {
			addr = a
			break
		}
	}
	lazy.Prepare([]uint64{addr})
	m := lazy.lazy.merged.Load()
	units := lazy.lazy.unitsAt(addr, nil)
	if len(units) != 1 || m.only[units[0]] == nil {
		t.Fatalf("units %v, only %v: want one unit built for the address alone", units, m.only)
	}
	wholeUnit := lazy.lazy.buildUnit(&lazy.lazy.units[units[0]], nil)
	if len(m.funcs.scopes) >= len(wholeUnit.scopes) {
		t.Fatalf("prepared index has %d scopes, the whole unit %d: nothing skipped", len(m.funcs.scopes), len(wholeUnit.scopes))
	}
	if got, want := lazy.Frames(addr), whole.Frames(addr); !reflect.DeepEqual(got, want) {
		t.Fatalf("%#x: prepared %+v, whole %+v", addr, got, want)
	}
	// Elsewhere in the unit the unit is built whole first.
	other := whole.Symbols()
	for _, o := range other {
		if o.Func && o.Addr != s.Addr && whole.HasDWARFFunction(o.Addr) && slices.Equal(lazy.lazy.unitsAt(o.Addr, nil), units) {
			if got, want := lazy.Frames(o.Addr+2), whole.Frames(o.Addr+2); !reflect.DeepEqual(got, want) {
				t.Fatalf("%s: lazy %+v, whole %+v", o.Name, got, want)
			}
			if lazy.lazy.merged.Load().only[units[0]] != nil {
				t.Fatal("unit still partial after a lookup outside its prepared addresses")
			}
			return
		}
	}
	t.Fatal("no other function in the unit")
}

// A unit, built for a few addresses or whole, is walked by skimUnit, which
// reads the raw DIEs: it records exactly what walking every DIE with
// debug/dwarf records, and gives up on none of these compilers' units.
func TestSkimRecordsWhatTheDIEWalkRecords(t *testing.T) {
	images := map[string]elfsymtest.Builder{
		"gcc":        elfsymtest.Sample,
		"gcsections": elfsymtest.GCSections,
		"dwarf4":     elfsymtest.DWARF4,
		"clang":      elfsymtest.Clang,
		"qualified":  elfsymtest.Qualified, // qualifiers found by skimming, as by the DIE walk
	}
	elfsymtest.OnEach(t, images, func(t *testing.T, elf string) {
		im, lz := openLazy(t, elf)
		// Per unit: each function's address alone, then all of them.
		sets := map[int][]map[uint64]bool{}
		for _, s := range im.Symbols() {
			if !s.Func {
				continue
			}
			for _, u := range lz.unitsAt(s.Addr+2, nil) {
				sets[u] = append(sets[u], map[uint64]bool{s.Addr + 2: true})
			}
		}
		walked := 0
		for u, ss := range sets {
			all := map[uint64]bool{}
			for _, s := range ss {
				for a := range s {
					all[a] = true
				}
			}
			for _, only := range append(ss, all, nil) { // nil: the whole unit
				unit := &lz.units[u]
				d, err := lz.unitData(unit)
				if err != nil {
					t.Fatal(err)
				}
				b := newFuncBuilder(d, &fileInterner{idx: map[string]uint32{}}, lz.zeroOK)
				b.budget = unit.size + 1
				if only != nil {
					b.want = coversAny(only)
				}
				cu, err := d.Reader().Next()
				if err != nil {
					t.Fatal(err)
				}
				b.enterUnit(cu)
				b.skimmer = func() (*unitSkimmer, error) {
					return newUnitSkimmer(unit.bytes, unit.hdr, lz.secs.abbrev, unit.abbrevs)
				}
				lr, err := d.LineReader(cu)
				if err != nil || lr == nil {
					t.Fatalf("unit %d: no line program (%v)", u, err)
				}
				if !lz.skim(unit, b, lr.Files()) {
					t.Fatalf("unit %d: the skim gave up", u)
				}
				lz.noSkim = true
				want := lz.buildUnit(unit, only)
				lz.noSkim = false
				b.nameScopes()
				if !reflect.DeepEqual(b.scopes, want.scopes) || !reflect.DeepEqual(b.events, want.events) {
					t.Fatalf("unit %d, addresses %v: skim gave %d scopes %+v, the DIE walk %d %+v", u, only, len(b.scopes), b.scopes, len(want.scopes), want.scopes)
				}
				if len(want.scopes) > 0 {
					walked++
				}
			}
		}
		if walked == 0 {
			t.Fatal("no function found by either walk: nothing compared")
		}
	})
}

// A unit read lazily gets its own line program alone (unitLines), and
// its rows and files are those the whole .debug_line gives it.
func TestUnitLineProgramAloneReadsTheSameRows(t *testing.T) {
	images := map[string]elfsymtest.Builder{
		"gcc":    elfsymtest.Sample,
		"dwarf4": elfsymtest.DWARF4,
		"clang":  elfsymtest.Clang,
	}
	elfsymtest.OnEach(t, images, func(t *testing.T, p string) {
		im, lz := openLazy(t, p)
		whole, err := sectionBytes(lz.line, im.size)
		if err != nil {
			t.Fatal(err)
		}
		rowsOf := func(d *dwarf.Data) ([]lineRow, []string) {
			cu, err := d.Reader().Next()
			if err != nil || cu == nil {
				t.Fatalf("no unit DIE: %v", err)
			}
			lr, err := d.LineReader(cu)
			if err != nil || lr == nil {
				t.Fatalf("no line program: %v", err)
			}
			fi := &fileInterner{idx: map[string]uint32{}}
			rows, err := readLines(lr, fi, lz.zeroOK, nil)
			if err != nil {
				t.Fatal(err)
			}
			return rows, fi.files
		}
		alone := 0
		for i := range lz.units {
			u := &lz.units[i]
			d, err := lz.unitData(u)
			if err != nil {
				t.Fatal(err)
			}
			fresh := make([]byte, u.size)
			if _, err := lz.info.ReadAt(fresh, int64(u.off)); err != nil {
				t.Fatal(err)
			}
			ref, err := lz.secs.dataWithLine(fresh, whole)
			if err != nil {
				t.Fatal(err)
			}
			gotRows, gotFiles := rowsOf(d)
			wantRows, wantFiles := rowsOf(ref)
			if !reflect.DeepEqual(gotRows, wantRows) || !reflect.DeepEqual(gotFiles, wantFiles) {
				t.Fatalf("unit %d: %d rows %v from its own program, %d rows %v from the section", i, len(gotRows), gotFiles, len(wantRows), wantFiles)
			}
			if u.lineLen < uint64(len(whole)) {
				alone++
			}
		}
		if alone == 0 || lz.wholeLine.b != nil {
			t.Fatalf("%d units read their program alone, whole section read %v", alone, lz.wholeLine.b != nil)
		}
	})
}

// A damaged unit costs its answers, never a hang or a crash: bytes
// flipped anywhere in a unit, the skim ends (by giving up or reading
// garbage) and the unit builds, reported damaged when reading it failed.
func TestSkimEndsOnDamagedUnits(t *testing.T) {
	p, err := elfsymtest.Sample(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	im, lz := openLazy(t, p)
	for i := range lz.units {
		if lz.buildUnit(&lz.units[i], nil).damaged {
			t.Fatalf("unit %d of an undamaged file reported damaged", i)
		}
	}
	rng := rand.New(rand.NewPCG(7, 8))
	damaged := 0
	for iter := range 300 {
		orig := &lz.units[iter%len(lz.units)]
		if _, err := lz.unitData(orig); err != nil {
			t.Fatal(err)
		}
		b := slices.Clone(orig.bytes)
		for range 1 + rng.IntN(8) {
			b[int(orig.hdr)+rng.IntN(len(b)-int(orig.hdr))] = byte(rng.Uint32())
		}
		u := &lazyUnit{off: orig.off, hdr: orig.hdr, size: orig.size, bytes: b, lineLen: orig.lineLen}
		u.dataOnce.Do(func() { u.data, u.dataErr = lz.secs.dataWithLine(b, nil) })
		only := map[uint64]bool{}
		for _, s := range im.Symbols() {
			only[s.Addr+2] = true
		}
		if lz.buildUnit(u, nil).damaged { // returns: a panic inside is recovered there
			damaged++
		}
		lz.buildUnit(u, only)
		s, err := newUnitSkimmer(b, u.hdr, lz.secs.abbrev, nil)
		if err != nil {
			continue
		}
		if cu, err := s.next(); err == nil && cu.abbrev != nil && u.data != nil {
			fb := newFuncBuilder(u.data, &fileInterner{idx: map[string]uint32{}}, false)
			fb.budget = u.size + 1
			fb.want = func([][2]uint64) bool { return false } // the skim alone
			_ = fb.skimUnit(s, u.data.Reader(), nil)
		}
	}
	// A damaged unit is said so: the whole index saved on close is then
	// built by buildDWARF, which warns where.
	if damaged == 0 {
		t.Fatal("no damaged unit reported damaged")
	}
}

// An ELF cut short while a lazy image has it open (a rebuild writing in
// place) costs the answers of units not yet read, never a crash, however
// the units are read (mapped, they fault).
func TestLazyImageSurvivesItsFileCutShort(t *testing.T) {
	p, _ := elfsymtest.SampleCopy(t)
	im, err := OpenWith(p, Options{Lazy: true})
	if err != nil {
		t.Fatal(err)
	}
	defer im.Close()
	if im.lazy == nil {
		t.Fatal("not lazy")
	}
	if err := os.Truncate(p, int64(im.lazy.info.Offset)); err != nil {
		t.Fatal(err)
	}
	for _, s := range im.Symbols() {
		im.Frames(s.Addr + 2) // must return
	}
	if n, _ := im.LazyUnits(); n == 0 {
		t.Fatal("no unit built: nothing read from the cut file")
	}
}

// openLazy opens elf lazily for the test, closed when it ends.
func openLazy(t *testing.T, elf string) (*Image, *lazyDWARF) {
	t.Helper()
	im, err := OpenWith(elf, Options{Lazy: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { im.Close() })
	if im.lazy == nil {
		t.Fatal("not lazy")
	}
	return im, im.lazy
}

// coversAny answers as its definition does: some address of the set lies
// in some range, a range's start taken without its Thumb bit; on random
// sets and ranges, empty ones, ranges ending at an address (not held) and
// starting at one (held), with and without the Thumb bit.
func TestCoversAnyAsItsDefinition(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for iter := range 2000 {
		only := map[uint64]bool{}
		for range rng.IntN(12) {
			only[uint64(rng.IntN(100))] = true
		}
		var rs [][2]uint64
		for range rng.IntN(4) {
			lo := uint64(rng.IntN(100))
			rs = append(rs, [2]uint64{lo, lo + uint64(rng.IntN(10))})
		}
		want := false
		for a := range only {
			for _, rg := range rs {
				if a >= rg[0]&^1 && a < rg[1] {
					want = true
				}
			}
		}
		if got := coversAny(only)(rs); got != want {
			t.Fatalf("case %d: coversAny(%v)(%v) = %v, want %v", iter, slices.Sorted(maps.Keys(only)), rs, got, want)
		}
	}
}

// An image whose DWARF refers across units (LTO: DW_FORM_ref_addr) is
// indexed whole even when opened lazily, as a unit read alone cannot follow
// such a reference (crossUnitRefs finds them); one without is lazy.
func TestLazyOpenOfCrossUnitDWARFIsWhole(t *testing.T) {
	for name, tc := range map[string]struct {
		build func(context.Context) (string, error)
		lazy  bool
	}{
		"lto":    {elfsymtest.LTO, false},
		"sample": {elfsymtest.Sample, true},
		"dwarf4": {elfsymtest.DWARF4, true},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			path, err := tc.build(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			im, err := OpenWith(path, Options{Lazy: true})
			if err != nil {
				t.Fatal(err)
			}
			defer im.Close()
			if got := im.lazy != nil; got != tc.lazy {
				t.Fatalf("lazy open: lazy %v, want %v", got, tc.lazy)
			}
		})
	}
}
