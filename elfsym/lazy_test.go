package elfsym

import (
	"context"
	"reflect"
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
