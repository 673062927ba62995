package elfsym

import (
	"debug/elf"
	"errors"
	"fmt"
	"math"
	"sort"
	"sync"

	"github.com/go-delve/delve/pkg/dwarf/frame"
)

// ErrNoCFI is returned (wrapped) by FrameContext when no FDE covers pc.
var ErrNoCFI = errors.New("no CFI covers pc")

// maxCoverWalk bounds the backward walk over FDEs that start below pc: only
// overlapping FDEs (discarded functions, damage) make it go past one.
const maxCoverWalk = 64

// A cfiIndex is the FDEs of one section, sorted by start address.
type cfiIndex struct {
	section  string
	fdes     []fde
	anchored []bool // per fde: a function symbol starts at its begin
}

// cfiOnce holds the CFI index. Open parses it, except when the symbol
// index came from a cache: then the first FrameContext does (its warnings
// were saved with the index).
type cfiOnce struct {
	once sync.Once
	idx  []cfiIndex // .debug_frame, then .eh_frame
}

func (im *Image) loadCFI(f *elf.File) {
	im.cfi.once.Do(func() { im.cfi.idx = im.parseCFI(f, im.warnf) })
}

// cfiPresence gives the warnings parseCFI gives for missing sections,
// for an image whose CFI is parsed on first use.
func (im *Image) cfiPresence(f *elf.File) {
	has := func(name string) bool {
		s := debugSection(f, name)
		return s != nil && s.Type != elf.SHT_NOBITS
	}
	cfiMissing(has(".debug_frame"), has(".eh_frame"), im.warnf)
}

// cfiMissing says what missing CFI sections mean.
func cfiMissing(dbg, eh bool, warn func(string, ...any)) {
	switch {
	case !dbg && !eh:
		warn("no .debug_frame: no CFI, unwinding must fall back to heuristics")
	case !dbg:
		warn("no .debug_frame: CFI from .eh_frame only")
	}
}

// cfiIndexes returns the CFI index, parsing it on first use.
func (im *Image) cfiIndexes() []cfiIndex {
	im.cfi.once.Do(func() {
		if im.dw.f != nil {
			im.cfi.idx = im.parseCFI(im.dw.f, func(string, ...any) {}) // already said at Open
		}
	})
	return im.cfi.idx
}

// parseCFI parses .debug_frame and .eh_frame, telling warn what is missing
// or damaged.
func (im *Image) parseCFI(f *elf.File, warn func(string, ...any)) []cfiIndex {
	var idx []cfiIndex
	dbg := im.loadCFISection(f, ".debug_frame", false, &idx, warn)
	eh := im.loadCFISection(f, ".eh_frame", true, &idx, warn)
	cfiMissing(dbg, eh, warn)
	return idx
}

// loadCFISection parses one CFI section into idx and reports whether
// the section exists.
func (im *Image) loadCFISection(f *elf.File, name string, eh bool, idx *[]cfiIndex, warn func(string, ...any)) bool {
	sec := debugSection(f, name)
	if sec == nil || sec.Type == elf.SHT_NOBITS {
		return false
	}
	data, err := debugSectionData(sec)
	if err != nil {
		warn("section %s unreadable (%v): no CFI from it", name, err)
		return true
	}
	fdes, skipped, first, fatal := parseCFI(data, eh, sec.Addr)
	if fatal != nil {
		warn("section %s damaged (%v): CFI after that offset ignored, %d FDEs kept", name, fatal, len(fdes))
	}
	if skipped > 0 {
		warn("section %s: %d damaged CIE/FDE records skipped (first: %v)", name, skipped, first)
	}
	*idx = append(*idx, im.indexFDEs(name, fdes))
	return true
}

// indexFDEs sorts the FDEs and drops those of discarded functions.
//
// With --gc-sections, COMDAT folding or an overridden weak function, the
// linker throws code away but leaves its FDE, relocated to address 0 with
// its original length. When flash starts at 0 (mps2-an385, micro:bit,
// many parts) those FDEs overlap real code and, sorted first, would win
// every lookup there. An FDE at 0 is dropped unless a function symbol
// starts at 0; others at small addresses are outranked at lookup time by
// an FDE that starts where a function symbol does.
func (im *Image) indexFDEs(name string, fdes []fde) cfiIndex {
	hasFuncs := false
	for i := range im.nsyms() {
		if im.symKey(i).fn {
			hasFuncs = true
			break
		}
	}
	zeroOK := im.zeroOK()
	kept := fdes[:0]
	for _, f := range fdes {
		if f.begin == 0 && hasFuncs && !zeroOK {
			continue
		}
		kept = append(kept, f)
	}
	// gcc emits FDEs per compilation unit, not in address order.
	sort.SliceStable(kept, func(a, b int) bool { return kept[a].begin < kept[b].begin })
	x := cfiIndex{section: name, fdes: kept, anchored: make([]bool, len(kept))}
	bad := 0
	var first error
	for i := range kept {
		f := &kept[i]
		x.anchored[i] = im.funcStartsAt(f.begin)
		// Run each program to its end once, so damage shows in Warnings
		// and not only when a crash lands in that function. A damaged FDE
		// stays in the index: its lookups fail rather than fall through
		// to some other FDE's rows.
		if _, err := f.rowAt(math.MaxUint64); err != nil {
			if bad++; first == nil {
				first = err
			}
		}
	}
	if bad > 0 {
		im.warnf("section %s: %d FDEs have damaged CFA programs (first: %v): no CFI for their code", name, bad, first)
	}
	return x
}

// funcStartsAt reports whether a function symbol starts at addr.
func (im *Image) funcStartsAt(addr uint64) bool {
	n := im.nsyms()
	i := sort.Search(n, func(i int) bool { return im.symAddr(i) >= addr })
	for ; i < n && im.symAddr(i) == addr; i++ {
		if im.symKey(i).fn {
			return true
		}
	}
	return false
}

// lookup picks the FDE that describes pc: among those covering pc, one that
// starts at a function symbol (the closest below pc) beats one that does
// not; otherwise the closest below pc, unless it starts before the
// function symbol holding pc (it then belongs to other, discarded code).
func (x *cfiIndex) lookup(im *Image, pc uint64) *fde {
	i := sort.Search(len(x.fdes), func(i int) bool { return x.fdes[i].begin > pc })
	best := -1
	for j, n := i-1, 0; j >= 0 && n < maxCoverWalk; j, n = j-1, n+1 {
		if pc >= x.fdes[j].end {
			continue
		}
		if x.anchored[j] {
			best = j
			break
		}
		if best < 0 {
			best = j
		}
	}
	if best < 0 {
		return nil
	}
	f := &x.fdes[best]
	if !x.anchored[best] {
		if sym, ok := im.funcSymbolAt(pc); ok && sym.Addr > f.begin {
			return nil
		}
	}
	return f
}

// FrameContext runs the CFI for pc (Thumb bit ignored) and returns the row
// in effect there: CFA rule and register rules, with the return address
// in register 14 (LR). .debug_frame is used first, .eh_frame when
// .debug_frame has no FDE for pc. ErrNoCFI (errors.Is) when no FDE covers
// pc; another error when the covering FDE's program is damaged.
func (im *Image) FrameContext(pc uint64) (fc *frame.FrameContext, err error) {
	pc &^= 1
	defer func() {
		// Everything here is bounds-checked; this is the last resort that
		// keeps a bug from crossing the package boundary.
		if p := recover(); p != nil {
			fc, err = nil, fmt.Errorf("elfsym: pc %#x: CFI damaged: %v", pc, p)
		}
	}()
	var firstErr error
	cfi := im.cfiIndexes()
	for i := range cfi {
		x := &cfi[i]
		f := x.lookup(im, pc)
		if f == nil {
			continue
		}
		fc, err := f.rowAtWith(pc, im.cfaQuirksAt(f, pc))
		if err == nil {
			return fc, nil
		}
		if firstErr == nil {
			firstErr = fmt.Errorf("elfsym: pc %#x: %s: %w", pc, x.section, err)
		}
	}
	if firstErr != nil {
		return nil, firstErr
	}
	return nil, fmt.Errorf("elfsym: pc %#x: %w", pc, ErrNoCFI)
}
