package elfsym

import (
	"debug/dwarf"
	"strings"
	"sync"
)

// ARM's RealView compilers (ADS, RVCT) wrote .debug_frame that other
// readers misread; gdb (dwarf2/frame.c, dwarf2_frame_find_quirks) undoes
// it for the compile units those compilers produced, and so does elfsym:
//
//   - CIE version 1: DW_CFA_def_cfa and DW_CFA_def_cfa_offset hold a
//     factored offset (times the data alignment factor), and the CFA is
//     the register minus the offset;
//   - CIE version 3: the CFA is the register minus the offset too, unless
//     the augmentation is "armcc" with the "+" option (the fix, which ARM
//     Compiler 5 and 6 write: "armcc+").

// cfaQuirks are the departures from DWARF of one FDE's program.
type cfaQuirks struct {
	factored bool // def_cfa and def_cfa_offset offsets are factored
	reversed bool // CFA = register - offset
}

// offset is a DW_CFA_def_cfa or DW_CFA_def_cfa_offset operand as an offset.
func (q cfaQuirks) offset(c *cie, v uint64) int64 {
	if q.factored {
		return int64(v) * c.dataAlign
	}
	return int64(v)
}

// realviewProducers are the DW_AT_producer prefixes gdb's
// producer_is_realview knows.
var realviewProducers = []string{
	"ARM C Compiler, ADS",
	"Thumb C Compiler, ADS",
	"ARM C++ Compiler, ADS",
	"Thumb C++ Compiler, ADS",
	"ARM/Thumb C/C++ Compiler, RVCT",
	"ARM C/C++ Compiler, RVCT",
}

func isRealview(producer string) bool {
	for _, p := range realviewProducers {
		if strings.HasPrefix(producer, p) {
			return true
		}
	}
	return false
}

// mayHaveQuirks says whether an FDE of CIE c has quirks when a RealView
// compiler produced its code; the producer is looked up only then.
func (c *cie) mayHaveQuirks() bool {
	switch c.version {
	case 1:
		return true
	case 3:
		return !strings.HasPrefix(c.aug, "armcc") || !strings.Contains(c.aug[5:], "+")
	}
	return false
}

// realviewOnce holds the address ranges of the compile units a RealView
// compiler produced, found on first need.
type realviewOnce struct {
	once   sync.Once
	ranges [][2]uint64
}

// cfaQuirksAt returns the quirks of f's program at pc: those of the
// compile unit holding pc, as gdb decides them.
func (im *Image) cfaQuirksAt(f *fde, pc uint64) cfaQuirks {
	c := f.cie
	if !c.mayHaveQuirks() || !im.realviewAt(pc) {
		return cfaQuirks{}
	}
	return cfaQuirks{factored: c.version == 1, reversed: true}
}

// realviewAt reports whether a RealView compiler produced the code at pc.
func (im *Image) realviewAt(pc uint64) bool {
	rv := &im.realview
	rv.once.Do(func() {
		d := im.dwarfData()
		if d == nil {
			return
		}
		// Each unit's first entry only, as CompDirs reads them.
		r := d.Reader()
		for {
			e, err := r.Next()
			if err != nil || e == nil {
				return
			}
			if e.Tag == dwarf.TagCompileUnit {
				if p, _ := e.Val(dwarf.AttrProducer).(string); isRealview(p) {
					rs, _ := d.Ranges(e)
					rv.ranges = append(rv.ranges, rs...)
				}
			}
			r.SkipChildren()
		}
	})
	for _, rg := range rv.ranges {
		if pc >= rg[0]&^1 && pc < rg[1] {
			return true
		}
	}
	return false
}
