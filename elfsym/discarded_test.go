package elfsym_test

import (
	"context"
	"testing"

	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/elfsym/elfsymtest"
)

// A function --gc-sections dropped keeps its DWARF, relocated to the
// dropped section's new address, 0: its own range starts at 0, but calls
// inlined into it have range lists relative to it, so they read as small
// addresses in real code (newlib's reent.o: cleanup_glue over msg_release).
// None of it names code: every halfword of each kept function is named
// after that function alone, by the whole index, a lazy one (whole units
// and units built for one address) and a saved one.
func TestDiscardedFunctionsInsidesNameNoCode(t *testing.T) {
	elf, err := elfsymtest.Discarded(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for name, opener := range openModes(elf) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			im := opener(t)
			checked := 0
			for _, s := range im.Symbols() {
				if !s.Func || s.Size == 0 {
					continue
				}
				for a := s.Addr &^ 1; a < s.Addr&^1+s.Size; a += 2 {
					if name == "lazy" {
						// A unit built for this address alone: the
						// skimmer's path.
						lz := open(t, elf, elfsym.Options{Lazy: true})
						lz.Prepare([]uint64{a})
						checkNamedAfter(t, lz, a, s.Name)
					}
					checkNamedAfter(t, im, a, s.Name)
					checked++
				}
			}
			if checked < 40 {
				t.Fatalf("only %d addresses in kept functions", checked)
			}
		})
	}
}

// checkNamedAfter fails unless every frame at addr is fn, or inlined
// into it and named otherwise than the dropped functions.
func checkNamedAfter(t *testing.T, im *elfsym.Image, addr uint64, fn string) {
	t.Helper()
	fr := im.Frames(addr)
	if len(fr) == 0 || fr[len(fr)-1].Function != fn {
		t.Errorf("%#x: frames %+v, want the outermost %s", addr, fr, fn)
	}
	for _, f := range fr {
		if f.Function == "scale" || f.Function == "dropped_outer" {
			t.Errorf("%#x: frames %+v name dropped code", addr, fr)
		}
	}
}

// openModes opens elf each way an index is had: built whole, built
// lazily, and loaded as saved.
func openModes(elf string) map[string]func(t *testing.T) *elfsym.Image {
	return map[string]func(t *testing.T) *elfsym.Image{
		"whole": func(t *testing.T) *elfsym.Image { return open(t, elf, elfsym.Options{}) },
		"lazy":  func(t *testing.T) *elfsym.Image { return open(t, elf, elfsym.Options{Lazy: true}) },
		"saved": func(t *testing.T) *elfsym.Image {
			c := &memCache{data: map[elfsym.IndexKey][]byte{}}
			open(t, elf, elfsym.Options{Cache: c}).Close()
			im := open(t, elf, elfsym.Options{Cache: c})
			if !im.FromCache() {
				t.Fatal("the saved index was not loaded")
			}
			return im
		},
	}
}

// open opens elf as opts say, closed when the test ends.
func open(t *testing.T, elf string, opts elfsym.Options) *elfsym.Image {
	t.Helper()
	im, err := elfsym.OpenWith(elf, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { im.Close() })
	return im
}
