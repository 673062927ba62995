package elfsym

import (
	"slices"
	"testing"
)

// Line sequences as IAR and ARM Compiler 6 write them, taken from real
// builds (readelf --debug-dump=decodedline), with the answers gdb's
// 'info line' gives there.
var (
	// IAR EWARM 8.22, system_stm32f10x.c: the sequence of the function
	// before TIM2_IRQHandler ends at 0x8001bf0, 16 bytes into it.
	iarSys = []lineRow{
		{addr: 0x8001ba8, file: 0, line: 1069},
		{addr: 0x8001bb4, file: 0, line: 1072},
		{addr: 0x8001bc0, file: 0, line: 1080},
		{addr: 0x8001bf0, file: 0, end: true},
	}
	// main.c, TIM2_IRQHandler [0x8001be0, 0x8001bfc).
	iarMain = []lineRow{
		{addr: 0x8001be0, file: 1, line: 4},
		{addr: 0x8001be0, file: 1, line: 5},
		{addr: 0x8001bee, file: 1, line: 6},
		{addr: 0x8001bfa, file: 1, line: 7},
		{addr: 0x8001bfc, file: 1, end: true},
	}
	// ARM Compiler 6.13, one unit: HAL_IncTick's sequence, then
	// HAL_GetTick's, which runs 4 bytes into HAL_IncTick with a line 0.
	acIncTick = []lineRow{
		{addr: 0x80021d4, line: 313},
		{addr: 0x80021d4, line: 314},
		{addr: 0x80021d6, line: 314},
		{addr: 0x80021e4, line: 315},
		{addr: 0x80021ec, end: true},
	}
	acGetTick = []lineRow{
		{addr: 0x80021cc, line: 324},
		{addr: 0x80021cc, line: 325},
		{addr: 0x80021d0, line: 325},
		{addr: 0x80021d4, line: 0},
		{addr: 0x80021d8, end: true},
	}
	// A sequence nested in a longer one stays as it is.
	outer = []lineRow{{addr: 0x100, line: 10}, {addr: 0x200, end: true}}
	inner = []lineRow{{addr: 0x150, line: 20}, {addr: 0x160, end: true}}
)

type lineCheck struct {
	addr uint64
	file uint32
	line int
	ok   bool
}

var overrunChecks = []struct {
	name  string
	units [][]lineRow // one unit's rows each, in program order
	want  []lineCheck
}{
	{"IAR, two units", [][]lineRow{iarSys, iarMain}, []lineCheck{
		{0x8001bc4, 0, 1080, true},
		{0x8001be4, 1, 5, true},
		{0x8001bf0, 1, 6, true}, // gdb: line 6 of main.c; was no line
		{0x8001bf2, 1, 6, true},
		{0x8001bfa, 1, 7, true},
		{0x8001bfc, 0, 0, false},
	}},
	{"IAR, units the other way round", [][]lineRow{iarMain, iarSys}, []lineCheck{
		{0x8001bf2, 1, 6, true},
		{0x8001be0, 1, 5, true},
	}},
	{"ARM Compiler 6, one unit", [][]lineRow{append(slices.Clone(acIncTick), acGetTick...)}, []lineCheck{
		{0x80021d0, 0, 325, true},
		{0x80021d4, 0, 314, true}, // gdb: line 314; was line 0
		{0x80021d8, 0, 314, true}, // was no line
		{0x80021e6, 0, 315, true},
	}},
	{"nested", [][]lineRow{outer, inner}, []lineCheck{
		{0x140, 0, 10, true},
		{0x150, 0, 20, true},
		{0x170, 0, 0, false}, // as before: the inner end row stands
	}},
}

// TestOverrunningSequencesAreCut: the whole index (every unit's rows in
// program order, cut, then sorted) and a lazy one (each unit cut and
// sorted on its own, then merged) give the rows of the function a
// sequence overruns, as gdb does.
func TestOverrunningSequencesAreCut(t *testing.T) {
	for _, tc := range overrunChecks {
		t.Run(tc.name, func(t *testing.T) {
			var all []lineRow
			for _, u := range tc.units {
				all = append(all, u...)
			}
			whole := lineTable{rows: clipSequences(slices.Clone(all), overrunCuts(sequencesOf(all))), files: []string{"a", "b"}}
			whole.sortRows()

			var runs [][]lineRow
			var seqs [][2]uint64
			var unitSeqs [][][2]uint64
			for _, u := range tc.units {
				s := sequencesOf(u)
				rows := clipSequences(slices.Clone(u), overrunCuts(s))
				lt := lineTable{rows: rows}
				lt.sortRows()
				slices.SortFunc(s, func(a, b [2]uint64) int { return cmpUint(a[0], b[0]) })
				runs, unitSeqs, seqs = append(runs, lt.rows), append(unitSeqs, s), append(seqs, s...)
			}
			cuts := overrunCuts(seqs)
			for i := range runs {
				runs[i] = clipRun(runs[i], unitSeqs[i], cuts)
			}
			lazy := lineTable{rows: mergeRows(runs), files: []string{"a", "b"}}

			for _, w := range tc.want {
				for name, lt := range map[string]*lineTable{"whole": &whole, "lazy": &lazy} {
					file, line, ok := lt.at(w.addr)
					wantFile := ""
					if w.ok {
						wantFile = lt.files[w.file]
					}
					if ok != w.ok || line != w.line || file != wantFile {
						t.Errorf("%s at(%#x) = %q:%d %v, want %q:%d %v", name, w.addr, file, line, ok, wantFile, w.line, w.ok)
					}
				}
			}
		})
	}
}
