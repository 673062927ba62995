package elfsym_test

import (
	"testing"

	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/elfsym/elfsymtest"
)

// An inlined frame's Entry is where its function starts: its out-of-line
// copy's entry, or, without one, the inlined copy's own first address. So
// the function is a frame at its Entry (the unwinder reads its first line
// there), never 0 and never in dropped code (an address where it is not).
// On every path: whole, lazy, saved.
func TestInlinedFramesEntryIsWhereTheirFunctionIs(t *testing.T) {
	images := map[string]elfsymtest.Builder{
		"gcc":        elfsymtest.Sample,
		"gcsections": elfsymtest.GCSections,
		"clang":      elfsymtest.Clang,
		"qualified":  elfsymtest.Qualified,
	}
	elfsymtest.OnEach(t, images, func(t *testing.T, elf string) {
		for how, opener := range openModes(elf) {
			im := opener(t)
			inlined := 0
			for _, s := range im.Symbols() {
				if !s.Func {
					continue
				}
				for a := s.Addr &^ 1; a < s.Addr&^1+s.Size; a += 2 {
					for _, f := range im.Frames(a) {
						if !f.Inlined {
							continue
						}
						inlined++
						if !hasFrame(im.Frames(f.Entry), f.Function) {
							t.Fatalf("%s: %#x: %s inlined, Entry %#x, where the frames are %+v", how, a, f.Function, f.Entry, im.Frames(f.Entry))
						}
					}
				}
			}
			if inlined == 0 {
				t.Fatalf("%s: no inlined frame: nothing tested", how)
			}
		}
	})
}

func hasFrame(fr []elfsym.Frame, fn string) bool {
	for _, f := range fr {
		if f.Function == fn {
			return true
		}
	}
	return false
}
