package elfsym_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/elfsym/elfsymtest"
)

// Absolute symbols are numbers, not addresses: SymbolAt never names an
// address after one (a jump to 0 is into _vector_table, not
// CONFIG_MAIN_THREAD_PRIORITY), while LookupSymbol still finds them by
// name, as linker-script symbols like _estack need. Also through a saved
// index.
func TestAbsoluteSymbolsNameNoAddress(t *testing.T) {
	// Zephyr's Kconfig options are absolute symbols (CONFIG_ARM = 1,
	// CONFIG_MAIN_THREAD_PRIORITY = 0, ...).
	elf := elfsymtest.Gunzip(t, filepath.Join("..", "capture", "zephyrdump", "testdata", "zephyr-nullcall.elf.gz"), filepath.Join(t.TempDir(), "zephyr.elf"))
	c := &memCache{data: map[elfsym.IndexKey][]byte{}}
	for _, how := range []string{"built", "saved", "loaded"} {
		t.Run(how, func(t *testing.T) {
			opts := elfsym.Options{}
			if how != "built" {
				opts.Cache = c
			}
			im, err := elfsym.OpenWith(elf, opts)
			if err != nil {
				t.Fatal(err)
			}
			defer im.Close()
			if how == "loaded" && !im.FromCache() {
				t.Fatal("the index was not loaded from the cache")
			}
			s, ok := im.LookupSymbol("CONFIG_MAIN_THREAD_PRIORITY")
			if !ok || !s.Abs || s.Addr != 0 {
				t.Fatalf("LookupSymbol(CONFIG_MAIN_THREAD_PRIORITY) = %+v %v, want the absolute symbol, value 0", s, ok)
			}
			if s, ok := im.LookupSymbol("_vector_table"); !ok || s.Abs {
				t.Fatalf("_vector_table = %+v %v: a symbol in a section is not absolute", s, ok)
			}
			if s, _, ok := im.SymbolAt(0); !ok || s.Name != "_vector_table" {
				t.Errorf("SymbolAt(0) = %q %v, want _vector_table", s.Name, ok)
			}
			abs := 0
			for _, s := range im.Symbols() {
				if !s.Abs {
					continue
				}
				abs++
				if got, _, ok := im.SymbolAt(s.Addr); ok && got.Abs {
					t.Errorf("SymbolAt(%#x) = absolute %s", s.Addr, got.Name)
				}
				if got, _, ok := im.SymbolAt(s.Addr); ok && strings.HasPrefix(got.Name, "CONFIG_") {
					t.Errorf("SymbolAt(%#x) = %s", s.Addr, got.Name)
				}
			}
			if abs < 100 {
				t.Errorf("%d absolute symbols, want Zephyr's Kconfig values among them", abs)
			}
		})
	}
}
