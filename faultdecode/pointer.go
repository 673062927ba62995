package faultdecode

import (
	"encoding/binary"
	"fmt"

	"github.com/faultline-dev/faultline/faultdecode/fault"
	"github.com/faultline-dev/faultline/faultdecode/report"
)

// maxSources bounds how many places holding a bad value are reported.
const maxSources = 3

// stackSpan is the part of RAM the unwound frames used (stop SP up to the
// outermost frame's SP plus slack, and 1 KiB below the stop SP where the
// frames of functions that already returned linger): copies of a value
// there are spills, not where it came from.
func (a *analysis) stackSpan() (lo, hi uint32) {
	lo, hi = ^uint32(0), 0
	consider := func(v uint32) {
		lo, hi = min(lo, v), max(hi, v)
	}
	if sp, ok := a.stop.Get(fault.RegSP); ok {
		consider(sp)
	}
	for _, f := range a.frames {
		consider(f.SP)
	}
	if lo > hi {
		return 0, 0
	}
	return max(lo, 0x400) - 0x400, hi + 0x40
}

// pointerSources finds the words in captured RAM (outside the live stack)
// that hold v or v with the Thumb bit set: where a bad code pointer was most
// likely loaded from, named by the global covering it when there is one.
func (a *analysis) pointerSources(v uint32) []report.Finding {
	if v < 0x100 {
		// Small values (null) are everywhere in memory: every zero word
		// would be reported as "where it came from".
		return nil
	}
	lo, hi := a.stackSpan()
	var out []report.Finding
	for _, r := range a.snap.Memory {
		if !a.isRAMRegion(r.Addr) {
			continue
		}
		for i := 0; i+4 <= len(r.Data); i += 4 {
			w := binary.LittleEndian.Uint32(r.Data[i:])
			if w != v && w != v|1 {
				continue
			}
			addr := r.Addr + uint32(i)
			if addr >= lo && addr < hi {
				continue
			}
			sym := a.dataSymbol(addr)
			what := "memory"
			if sym == "" && a.img != nil {
				what = "no global covers it: heap or another task's stack"
			}
			out = append(out, report.Finding{
				Kind:    report.FindPointerSource,
				Summary: fmt.Sprintf("the bad pointer 0x%08x is stored at 0x%08x (%s): the code most likely loaded it from there; check who wrote it and whether that object is still alive", w, addr, orWhat(sym, what)),
				Address: report.Hex(addr),
				Symbol:  sym,
			})
			if len(out) == maxSources {
				return out
			}
		}
	}
	return out
}

func orWhat(sym, what string) string {
	if sym != "" {
		return sym
	}
	return what
}

// isRAMRegion reports whether a captured region at addr is RAM to search.
func (a *analysis) isRAMRegion(addr uint32) bool {
	for _, r := range a.ram {
		if r.Start == addr {
			return true
		}
	}
	return false
}
