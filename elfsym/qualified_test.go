package elfsym_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/elfsym/elfsymtest"
)

// gcc gives template instances over function-local types no
// DW_AT_linkage_name: the DIE with code sits at unit level and leads, by
// DW_AT_abstract_origin and DW_AT_specification, to a declaration inside
// its namespaces and classes. Frames names them qualified by those, as
// gdb's bt does (the names below are gdb 13's, from gdb.block_for_pc),
// on every path: whole index, lazy units (whole and built for one
// address, the skimmer's path) and a saved index.
func TestFunctionsWithoutLinkageNameAreQualifiedAsGDBDoes(t *testing.T) {
	elf, err := elfsymtest.Qualified(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"net::Ring<qualified_main()::Cell>::pick<qualified_main()::Index>", // a member of a class template in a namespace
		"net::sum<qualified_main()::Cell, qualified_main()::Index>",        // a function template in a namespace
		"(anonymous namespace)::apply<qualified_main()::<lambda(int)> >",   // in an anonymous namespace
		"operator()", // a member of gcc's anonymous closure type: gdb leaves it bare
		"qualified_main",
	}
	for name, opener := range openModes(elf) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			im := opener(t)
			s, ok := im.LookupSymbol("qualified_main")
			if !ok {
				t.Fatal("no qualified_main")
			}
			seen := map[string]bool{}
			for a := s.Addr &^ 1; a < s.Addr&^1+s.Size; a += 2 {
				fr := im.Frames(a)
				if name == "lazy" {
					lz := open(t, elf, elfsym.Options{Lazy: true})
					lz.Prepare([]uint64{a})
					if got := lz.Frames(a); !slices.Equal(names(got), names(fr)) {
						t.Errorf("%#x: prepared %q, whole unit %q", a, names(got), names(fr))
					}
				}
				for _, f := range fr {
					seen[f.Function] = true
				}
			}
			for fn := range seen {
				if !slices.Contains(want, fn) {
					t.Errorf("frame named %q, not as gdb names it (gdb: %q)", fn, want)
				}
			}
			for _, fn := range want {
				if !seen[fn] {
					t.Errorf("no frame named %q; frames: %q", fn, strings.Join(keys(seen), ", "))
				}
			}
		})
	}
}

func names(fr []elfsym.Frame) []string {
	var out []string
	for _, f := range fr {
		out = append(out, f.Function)
	}
	return out
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// A static local is named after its function, qualified as that function
// is in frames (its namespaces, an anonymous one included, and classes,
// whose template arguments may hold "::", without parameters or a template
// instance's return type), also when clang writes the out-of-line copy
// holding the static before the abstract DIE naming the function. gdb's info symbol prints these with parameters
// (net::(anonymous namespace)::bump(int)::hits), from the symbol table.
func TestStaticLocalsAreNamedByTheirQualifiedFunction(t *testing.T) {
	builds := []struct {
		name  string
		build func(context.Context) (string, error)
		want  []string
	}{
		{"gcc", elfsymtest.Qualified, []string{"net::tally<net::Local>::total", "net::Ring<qualified_main()::Cell>::pick<qualified_main()::Index>::picks"}},
		{"clang", elfsymtest.QualifiedClang, []string{"net::tally<net::Local>::total", "net::(anonymous namespace)::bump::hits"}},
	}
	for _, b := range builds {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			elf, err := b.build(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			for mode, opener := range openModes(elf) {
				im := opener(t)
				var have []string
				for _, v := range im.Variables() {
					have = append(have, v.Name)
				}
				for _, name := range b.want {
					if _, ok := im.LookupVariable(name); !ok {
						t.Errorf("%s: no variable %q; have %q", mode, name, have)
					}
				}
			}
		})
	}
}
