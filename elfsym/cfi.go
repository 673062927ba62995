package elfsym

import (
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"sort"

	"github.com/go-delve/delve/pkg/dwarf/frame"
)

// ErrNoCFI is returned (wrapped) by FrameContext when no FDE covers pc.
var ErrNoCFI = errors.New("no CFI covers pc")

func (im *Image) loadCFI(f *elf.File) {
	sec := f.Section(".debug_frame")
	if sec == nil {
		im.warnf("no .debug_frame: no CFI, unwinding must fall back to heuristics")
		return
	}
	data, err := sec.Data()
	if err != nil {
		im.warnf("section .debug_frame unreadable (%v): no CFI", err)
		return
	}
	fdes, err := parseFrames(data)
	if err != nil {
		im.warnf("section .debug_frame damaged (%v): no CFI", err)
		return
	}
	// gcc emits FDEs per compilation unit, not in address order, and
	// FDEForPC binary-searches (FACTS.md section 5).
	sort.SliceStable(fdes, func(a, b int) bool { return fdes[a].Begin() < fdes[b].Begin() })
	im.fdes = fdes
}

// parseFrames runs delve's parser, which panics on some malformed input
// rather than returning an error; the recover keeps that inside elfsym.
func parseFrames(data []byte) (fdes frame.FrameDescriptionEntries, err error) {
	defer func() {
		if p := recover(); p != nil {
			fdes, err = nil, fmt.Errorf("parser failed: %v", p)
		}
	}()
	return frame.Parse(data, binary.LittleEndian, 0, 4, 0)
}

// FrameContext runs the .debug_frame CFI for pc (Thumb bit ignored) and
// returns the row in effect there: CFA rule and register rules, with the
// return address in register 14 (LR). ErrNoCFI (errors.Is) when no FDE
// covers pc.
func (im *Image) FrameContext(pc uint64) (fc *frame.FrameContext, err error) {
	pc &^= 1
	fde, ferr := im.fdes.FDEForPC(pc)
	if ferr != nil {
		return nil, fmt.Errorf("elfsym: pc %#x: %w", pc, ErrNoCFI)
	}
	defer func() {
		if p := recover(); p != nil {
			fc, err = nil, fmt.Errorf("elfsym: pc %#x: CFI program of FDE at %#x damaged: %v", pc, fde.Begin(), p)
		}
	}()
	fc, err = fde.EstablishFrame(pc)
	if err != nil {
		return nil, fmt.Errorf("elfsym: pc %#x: CFI of FDE at %#x: %w", pc, fde.Begin(), err)
	}
	return fc, nil
}
