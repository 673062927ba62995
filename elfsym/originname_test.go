package elfsym

import (
	"context"
	"debug/dwarf"
	"testing"

	"github.com/faultline-dev/faultline/elfsym/elfsymtest"
)

// The out-of-line copy of an inlined function names it through its
// abstract DIE: gcc's (at unit level, DW_AT_specification to the
// declaration in net's anonymous namespace) has no linkage name, so the
// name is qualified by dieQualifiers, as frames are; clang's has one,
// demangled without parameters or return type.
func TestOriginNameQualifiesTheAbstractFunction(t *testing.T) {
	tests := []struct {
		compiler string
		fn       string // DW_AT_low_pc of the concrete copy, from this symbol (raw)
		want     string
		build    func(context.Context) (string, error)
	}{
		{"gcc", "_ZN3net12_GLOBAL__N_14bumpEi", "net::(anonymous namespace)::bump", elfsymtest.Qualified},
		{"gcc", "_ZN3net5tallyINS_5LocalEEEiT_", "net::tally<net::Local>", elfsymtest.Qualified},
		{"clang", "_ZN3net12_GLOBAL__N_14bumpEi", "net::(anonymous namespace)::bump", elfsymtest.QualifiedClang},
		{"clang", "_ZN3net5tallyINS_5LocalEEEiT_", "net::tally<net::Local>", elfsymtest.QualifiedClang},
	}
	for _, tt := range tests {
		t.Run(tt.compiler+"/"+tt.fn, func(t *testing.T) {
			t.Parallel()
			elf, err := tt.build(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			im, err := Open(elf)
			if err != nil {
				t.Fatal(err)
			}
			defer im.Close()
			var s Symbol
			for _, c := range im.Symbols() {
				if c.RawName == tt.fn && c.Func {
					s = c
				}
			}
			if s.Addr == 0 {
				t.Fatalf("no function symbol %s", tt.fn)
			}
			var unit, origin dwarf.Offset
			var cxx bool
			r := im.dwarfData().Reader()
			for {
				e, err := r.Next()
				if err != nil || e == nil {
					break
				}
				if e.Tag == dwarf.TagCompileUnit {
					unit, cxx = e.Offset, isCxxUnit(e)
				}
				if lo, ok := e.Val(dwarf.AttrLowpc).(uint64); ok && e.Tag == dwarf.TagSubprogram && lo == s.Addr&^1 {
					origin, _ = e.Val(dwarf.AttrAbstractOrigin).(dwarf.Offset)
					break
				}
			}
			if origin == 0 || !cxx {
				t.Fatalf("no concrete C++ DIE with an abstract origin at %#x", s.Addr)
			}
			if got := im.originName(origin, unit, cxx); got != tt.want {
				t.Errorf("originName = %q, want %q", got, tt.want)
			}
		})
	}
}
