package elfsym_test

import (
	"context"
	"path/filepath"
	"reflect"
	"sync"
	"testing"

	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/elfsym/elfsymtest"
)

// memCache is an IndexCache in memory whose saved bytes a test can damage.
type memCache struct {
	mu     sync.Mutex
	data   map[elfsym.IndexKey][]byte
	stores int
}

func (c *memCache) Load(k elfsym.IndexKey) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.data[k], nil
}

func (c *memCache) Store(k elfsym.IndexKey, b []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.data[k] = append([]byte(nil), b...)
	c.stores++
	return nil
}

// A saved index is checked as it is decoded: whatever a cache hands back
// (cut anywhere, bytes changed), Open neither panics nor uses a damaged
// index, and answers as if there were no cache.
func TestDamagedSavedIndexIsRebuilt(t *testing.T) {
	elf, err := elfsymtest.Sample(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	c := &memCache{data: map[elfsym.IndexKey][]byte{}}
	plain, err := elfsym.Open(elf)
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	want := framesText(plain)
	im, err := elfsym.OpenWith(elf, elfsym.Options{Cache: c})
	if err != nil {
		t.Fatal(err)
	}
	im.Close()
	if len(c.data) != 1 {
		t.Fatalf("%d indexes stored, want 1", len(c.data))
	}
	var k elfsym.IndexKey
	var good []byte
	for k, good = range c.data {
	}
	if k != plain.IndexKey() || k.BuildID != plain.BuildID() || k.Version != elfsym.IndexVersion {
		t.Fatalf("stored under %+v", k)
	}
	check := func(t *testing.T, bad []byte, mustReject bool) {
		t.Helper()
		c.Store(k, bad)
		im, err := elfsym.OpenWith(elf, elfsym.Options{Cache: c})
		if err != nil {
			t.Fatal(err)
		}
		defer im.Close()
		if mustReject && im.FromCache() {
			t.Fatalf("a damaged index (%d of %d bytes) was used", len(bad), len(good))
		}
		if !im.FromCache() && framesText(im) != want {
			t.Fatal("answers after rebuilding differ")
		}
		// A loaded index decodes symbols and strings as lookups reach
		// them: damage there must not panic either.
		for _, s := range im.Symbols() {
			im.SymbolAt(s.Addr + s.Size/2)
			im.LookupSymbol(s.Name)
		}
	}
	for n := 0; n < len(good); n += 1 + len(good)/97 {
		check(t, good[:n], true)
	}
	// A changed byte may still decode (a changed line number is a valid
	// index); the on-disk cache's checksum catches that. Here it must only
	// never panic or hang.
	for i := 0; i < len(good); i += 1 + len(good)/61 {
		bad := append([]byte(nil), good...)
		bad[i] ^= 0xff
		check(t, bad, false)
	}
	c.Store(k, good)
	im, err = elfsym.OpenWith(elf, elfsym.Options{Cache: c})
	if err != nil {
		t.Fatal(err)
	}
	defer im.Close()
	if !im.FromCache() || framesText(im) != want {
		t.Fatal("the intact index was not used, or answers differently")
	}
}

// framesText is the frames at every halfword of code, for comparing images.
func framesText(im *elfsym.Image) string {
	var b []byte
	for _, a := range testAddrs(im) {
		for _, f := range im.Frames(a) {
			b = append(b, f.Function...)
			b = append(b, f.File...)
			b = append(b, byte(f.Line), byte(f.Line>>8), byte(f.Entry))
		}
		b = append(b, '\n')
	}
	return string(b)
}

// The parts built on first use (data index, call sites) are saved when
// built and loaded by the next open, with the same answers: the same
// variables with the same type graphs, the same call sites.
func TestSavedPartsAnswerAsBuilt(t *testing.T) {
	ctx := context.Background()
	images := map[string]func(context.Context) (string, error){
		"data": elfsymtest.Data,
		"lab-gcc-O2": func(ctx context.Context) (string, error) {
			return elfsymtest.Lab(ctx, elfsymtest.LabConfig{})
		},
	}
	for name, build := range images {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			elf, err := build(ctx)
			if err != nil {
				t.Fatal(err)
			}
			c := &memCache{data: map[elfsym.IndexKey][]byte{}}
			open := func() *elfsym.Image {
				im, err := elfsym.OpenWith(elf, elfsym.Options{Cache: c})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { im.Close() })
				return im
			}
			built := open()
			vars, sites := built.Variables(), callSites(built)
			parts := map[string]bool{}
			for k := range c.data {
				parts[k.Part] = true
			}
			if !parts["data"] || !parts["calls"] {
				t.Fatalf("parts saved: %v, want data and calls", parts)
			}
			// A part that failed to load would be built and stored again.
			before := c.stores
			loaded := open()
			if !loaded.FromCache() {
				t.Fatal("main index not loaded")
			}
			if got := loaded.Variables(); !reflect.DeepEqual(got, vars) {
				t.Fatalf("variables differ after loading: %d vs %d", len(got), len(vars))
			}
			if got := callSites(loaded); !reflect.DeepEqual(got, sites) {
				t.Fatalf("call sites differ after loading:\n got %v\nwant %v", got, sites)
			}
			if len(sites) == 0 || len(vars) == 0 {
				t.Fatalf("%d call sites, %d variables: the image should have both", len(sites), len(vars))
			}
			for _, v := range vars {
				if v.Type == nil || v.Type.Name == "" {
					continue
				}
				want, ok1 := built.LookupType(v.Type.Name)
				got, ok2 := loaded.LookupType(v.Type.Name)
				if ok1 != ok2 || !reflect.DeepEqual(got, want) {
					t.Errorf("LookupType(%q) differs after loading", v.Type.Name)
				}
			}
			if built.DataWarning() != loaded.DataWarning() || built.CallSiteWarning() != loaded.CallSiteWarning() {
				t.Error("warnings differ after loading")
			}
			if c.stores != before {
				t.Errorf("the second open stored %d entries: a saved part was not used", c.stores-before)
			}
		})
	}
}

// callSites lists every call site at every halfword of code and every
// function's tail calls.
func callSites(im *elfsym.Image) []elfsym.CallSite {
	var out []elfsym.CallSite
	for _, a := range testAddrs(im) {
		if c, ok := im.CallSiteAt(a); ok {
			out = append(out, c)
		}
	}
	for _, s := range im.Symbols() {
		if s.Func {
			out = append(out, im.TailCalls(s.Addr)...)
		}
	}
	return out
}

// A loaded index is searched where it lies, its records decoded as lookups
// reach them: every lookup answers as the index built from the ELF does,
// at and around every symbol's first and last byte (where a search by
// address turns), for every name, and in the whole table.
func TestLoadedIndexAnswersAsBuilt(t *testing.T) {
	ctx := context.Background()
	images := map[string]func(context.Context) (string, error){
		"sample":     elfsymtest.Sample,     // C++: demangled names saved beside raw ones
		"gcsections": elfsymtest.GCSections, // discarded code's debug info at 0
		"zephyr": func(context.Context) (string, error) { // absolute and unsized symbols
			return elfsymtest.Gunzip(t, filepath.Join("..", "capture", "zephyrdump", "testdata", "zephyr-nullcall.elf.gz"), filepath.Join(t.TempDir(), "zephyr.elf")), nil
		},
	}
	for name, build := range images {
		t.Run(name, func(t *testing.T) {
			elf, err := build(ctx)
			if err != nil {
				t.Fatal(err)
			}
			built, err := elfsym.Open(elf)
			if err != nil {
				t.Fatal(err)
			}
			defer built.Close()
			c := &memCache{data: map[elfsym.IndexKey][]byte{}}
			for range 2 { // the first open saves, the second loads
				loaded, err := elfsym.OpenWith(elf, elfsym.Options{Cache: c})
				if err != nil {
					t.Fatal(err)
				}
				defer loaded.Close()
				if !loaded.FromCache() {
					continue
				}
				syms := built.Symbols()
				if got := loaded.Symbols(); !reflect.DeepEqual(got, syms) {
					t.Fatalf("Symbols differ: %d loaded, %d built", len(got), len(syms))
				}
				mangled := 0
				for _, s := range syms {
					if s.RawName != s.Name {
						mangled++
					}
					for _, a := range []uint64{s.Addr - 1, s.Addr, s.Addr + 1, s.Addr + s.Size - 1, s.Addr + s.Size, s.Addr | 1} {
						gs, goff, gok := loaded.SymbolAt(a)
						ws, woff, wok := built.SymbolAt(a)
						if gs != ws || goff != woff || gok != wok {
							t.Errorf("SymbolAt(%#x) = %+v+%#x %v loaded, %+v+%#x %v built", a, gs, goff, gok, ws, woff, wok)
						}
						if g, w := loaded.Frames(a), built.Frames(a); !reflect.DeepEqual(g, w) {
							t.Errorf("Frames(%#x) = %+v loaded, %+v built", a, g, w)
						}
					}
					for _, n := range []string{s.Name, s.RawName} {
						g, gok := loaded.LookupSymbol(n)
						w, wok := built.LookupSymbol(n)
						if g != w || gok != wok {
							t.Errorf("LookupSymbol(%q) = %+v %v loaded, %+v %v built", n, g, gok, w, wok)
						}
					}
				}
				if name == "sample" && mangled == 0 {
					t.Error("no C++ symbol: the demangled names are not tested")
				}
				if framesText(loaded) != framesText(built) {
					t.Error("Frames at some halfword of code differ")
				}
				return
			}
			t.Fatal("the saved index was not loaded")
		})
	}
}
