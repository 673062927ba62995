package elfsym

import (
	"cmp"
	"debug/elf"
	"fmt"
	"math/rand/v2"
	"os"
	"reflect"
	"slices"
	"testing"

	"github.com/faultline-dev/faultline/elfsym/elfsymtest"
)

// eachSymbol reads what debug/elf's Symbols reads, symbol for symbol.
func TestSymbolTableMatchesDebugELF(t *testing.T) {
	images := map[string]elfsymtest.Builder{
		"gcc":   elfsymtest.Sample,
		"lto":   elfsymtest.LTO,
		"clang": elfsymtest.Clang,
	}
	elfsymtest.OnEach(t, images, func(t *testing.T, p string) {
		f, err := elf.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		want, err := f.Symbols()
		if err != nil {
			t.Fatal(err)
		}
		var got []elf.Symbol
		err = eachSymbol(f, st.Size(), func(name string, value, size uint64, info byte, shndx elf.SectionIndex) {
			// Other (visibility) is not read: loadSymbols does not use it.
			got = append(got, elf.Symbol{Name: name, Value: value, Size: size, Info: info, Section: shndx})
		})
		if err != nil {
			t.Fatal(err)
		}
		for i := range want {
			want[i].Other = 0
		}
		if len(want) < 10 || !reflect.DeepEqual(got, want) {
			t.Fatalf("%d symbols, debug/elf %d; equal %v", len(got), len(want), reflect.DeepEqual(got, want))
		}
	})
}

// Packed keys sort symbols as loadSymbols' comparison does, ties and all.
func TestPackedSymbolKeysSortAsTheComparison(t *testing.T) {
	type sym struct {
		addr      uint64
		sized, fn bool
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for iter := range 200 {
		syms := make([]sym, 1+rng.IntN(200))
		for i := range syms {
			syms[i] = sym{uint64(rng.IntN(40)) * 0x1000_0000 / 16, rng.IntN(2) == 0, rng.IntN(2) == 0}
		}
		want := make([]int, len(syms))
		for i := range want {
			want[i] = i
		}
		slices.SortFunc(want, func(a, b int) int {
			x, y := syms[a], syms[b]
			switch {
			case x.addr != y.addr:
				return cmp.Compare(x.addr, y.addr)
			case x.sized != y.sized:
				if !x.sized {
					return -1
				}
				return 1
			case x.fn != y.fn:
				if !x.fn {
					return -1
				}
				return 1
			}
			return cmp.Compare(b, a)
		})
		keys, ok := packedSymbolKeys(len(syms), func(i int) (uint64, bool, bool) { return syms[i].addr, syms[i].sized, syms[i].fn })
		if !ok {
			t.Fatal("32-bit addresses not packed")
		}
		slices.Sort(keys)
		got := make([]int, len(keys))
		for i, k := range keys {
			got[i] = int(symKeyIndex - k&symKeyIndex)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("case %d: packed order %v, comparison %v", iter, got, want)
		}
	}
	if _, ok := packedSymbolKeys(1, func(int) (uint64, bool, bool) { return 1 << 32, true, true }); ok {
		t.Fatal("a 64-bit address was packed")
	}
}

// permute puts every element where the permutation says, whatever its
// cycles.
func TestPermuteFollowsThePermutation(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for n := range 50 {
		idx := make([]int32, n)
		for i := range idx {
			idx[i] = int32(i)
		}
		rng.Shuffle(n, func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
		s := make([]string, n)
		want := make([]string, n)
		for i := range s {
			s[i] = fmt.Sprint("v", i)
		}
		for i := range want {
			want[i] = s[idx[i]]
		}
		permute(s, idx)
		if !slices.Equal(s, want) {
			t.Fatalf("n=%d idx %v: got %v, want %v", n, idx, s, want)
		}
	}
}
