package elfsym_test

import (
	"context"
	"debug/elf"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/elfsym/elfsymtest"
)

// A firmware built with -gz (or linked with --compress-debug-sections)
// has every .debug_* section SHF_COMPRESSED. The lazy path decompresses
// them once and still builds only the units a question needs: it used to
// refuse them and build the whole index, five times addr2line's time on
// the 25 MB generated firmware (0.6-0.9 s and 278 MB against 0.13 s).
func TestCompressedDebugSectionsStayLazy(t *testing.T) {
	plainPath, gzPath := compressedSample(t, "zlib")
	plain, err := elfsym.Open(plainPath)
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	gz, err := elfsym.OpenWith(gzPath, elfsym.Options{Lazy: true})
	if err != nil {
		t.Fatal(err)
	}
	defer gz.Close()
	if !gz.IsLazy() {
		t.Fatal("a lazy open of compressed DWARF built the whole index")
	}
	addrs := testAddrs(plain)
	if fs := gz.Frames(addrs[len(addrs)/2]); len(fs) == 0 {
		t.Fatalf("no frames at %#x", addrs[len(addrs)/2])
	}
	if built, total := gz.LazyUnits(); built >= total {
		t.Errorf("one lookup built %d of %d units", built, total)
	}
	for _, a := range addrs {
		if got, want := gz.Frames(a), plain.Frames(a); !reflect.DeepEqual(got, want) {
			t.Fatalf("%#x: compressed %+v, uncompressed %+v", a, got, want)
		}
	}
}

// A damaged compressed .debug_info (a zlib stream cut or scrambled) gives
// an error or an image without that DWARF, never a panic or a hang.
func TestDamagedCompressedDebugInfoIsAnError(t *testing.T) {
	_, gzPath := compressedSample(t, "zlib")
	f, err := elf.Open(gzPath)
	if err != nil {
		t.Fatal(err)
	}
	info := f.Section(".debug_info")
	f.Close()
	if info == nil || info.Flags&elf.SHF_COMPRESSED == 0 {
		t.Fatal("objcopy left .debug_info uncompressed")
	}
	data, err := os.ReadFile(gzPath)
	if err != nil {
		t.Fatal(err)
	}
	// Scramble the zlib stream after its 12-byte Elf32_Chdr and 2-byte header.
	for i := info.Offset + 14; i < info.Offset+info.FileSize && i < info.Offset+200; i++ {
		data[i] ^= 0x5a
	}
	bad := filepath.Join(t.TempDir(), "bad-gz.elf")
	if err := os.WriteFile(bad, data, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, opts := range []elfsym.Options{{}, {Lazy: true}} {
		im, err := elfsym.OpenWith(bad, opts)
		if err != nil {
			continue // a clear error is fine
		}
		_ = im.Frames(0x100)
		im.Close()
	}
}

// gcc -gdwarf-4 -fdebug-types-section moves classes into type units
// (.debug_types), which the units name by signature (DW_FORM_ref_sig8 in
// DW_AT_type, DW_AT_signature, DW_AT_containing_type). Functions and lines
// need none of them: the lazy path keeps building unit by unit, where it
// refused them and built the whole index (10 times addr2line's time on a
// generated 3.3 MB firmware).
func TestTypeUnitsStayLazy(t *testing.T) {
	const src = `namespace dev {
struct Reg { unsigned v; unsigned get() const; };
struct Port { Reg r[4]; unsigned Reg::*field; unsigned sum() const; };
__attribute__((noinline)) unsigned Reg::get() const { return v * 3; }
static inline unsigned twice(const Reg &r) { return r.get() * 2; }
__attribute__((noinline)) unsigned Port::sum() const {
	unsigned s = 0;
	for (const Reg &x : r) s += twice(x) + x.*field;
	return s;
}
}
dev::Port port = {{{1}, {2}, {3}, {4}}, &dev::Reg::v};
extern "C" int main() { return (int)port.sum(); }
`
	path, err := elfsymtest.Build(context.Background(), elfsymtest.Program{
		Name:  "typeunits",
		CC:    "arm-none-eabi-g++",
		Srcs:  map[string][]byte{"port.cpp": []byte(src), "other.cpp": []byte("namespace dev { struct Reg { unsigned v; unsigned get() const; }; }\nunsigned peek(const dev::Reg &r) { return r.get(); }\n")},
		Flags: []string{"-gdwarf-4", "-fdebug-types-section", "-O2", "-mcpu=cortex-m3", "-mthumb", "-fno-exceptions", "-fno-rtti", "-specs=nosys.specs"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if f, err := elf.Open(path); err != nil {
		t.Fatal(err)
	} else if f.Section(".debug_types") == nil {
		f.Close()
		t.Fatal("the build has no .debug_types")
	} else {
		f.Close()
	}
	whole, err := elfsym.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer whole.Close()
	lazy, err := elfsym.OpenWith(path, elfsym.Options{Lazy: true})
	if err != nil {
		t.Fatal(err)
	}
	defer lazy.Close()
	if !lazy.IsLazy() {
		t.Fatal("a lazy open of DWARF with type units built the whole index")
	}
	sum, ok := whole.LookupSymbol("dev::Port::sum")
	if !ok {
		t.Fatal("no dev::Port::sum")
	}
	if fs := lazy.Frames(sum.Addr); len(fs) == 0 || !strings.HasPrefix(fs[len(fs)-1].Function, "dev::Port::sum") {
		t.Errorf("Frames(dev::Port::sum) = %+v", fs)
	}
	for _, a := range testAddrs(whole) {
		if got, want := lazy.Frames(a), whole.Frames(a); !reflect.DeepEqual(got, want) {
			t.Fatalf("%#x: lazy %+v, whole index %+v", a, got, want)
		}
	}
}

// GNU's older compressed DWARF (gcc -gz=zlib-gnu, binutils before 2.26)
// renames each section .zdebug_X. gdb reads it; elfsym looked for
// .debug_info and .debug_frame by name and found neither: "no DWARF", "no
// .debug_frame". Names, lines, CFI and variables must be those of the
// uncompressed file.
func TestGNUZdebugSectionsAreRead(t *testing.T) {
	plainPath, zPath := compressedSample(t, "zlib-gnu")
	if f, err := elf.Open(zPath); err != nil {
		t.Fatal(err)
	} else {
		missing := f.Section(".zdebug_info") == nil || f.Section(".zdebug_frame") == nil
		f.Close()
		if missing {
			t.Fatal("objcopy made no .zdebug_info and .zdebug_frame")
		}
	}
	plain, ways := openBothWays(t, plainPath, zPath)
	for _, way := range ways {
		z := way.im
		if w := z.Warnings(); len(w) != len(plain.Warnings()) {
			t.Errorf("lazy=%v: warnings %q, uncompressed %q", way.lazy, w, plain.Warnings())
		}
		cfi := 0
		for _, a := range testAddrs(plain) {
			if got, want := z.Frames(a), plain.Frames(a); !reflect.DeepEqual(got, want) {
				t.Fatalf("lazy=%v: %#x: %+v, uncompressed %+v", way.lazy, a, got, want)
			}
			got, gerr := z.FrameContext(a)
			want, werr := plain.FrameContext(a)
			if (gerr == nil) != (werr == nil) || (gerr == nil && !reflect.DeepEqual(got, want)) {
				t.Fatalf("lazy=%v: %#x: CFI %+v (%v), uncompressed %+v (%v)", way.lazy, a, got, gerr, want, werr)
			}
			if werr == nil {
				cfi++
			}
		}
		if cfi == 0 {
			t.Error("no address has CFI in the sample: the comparison shows nothing")
		}
		if got, want := len(z.Variables()), len(plain.Variables()); got != want || want == 0 {
			t.Errorf("lazy=%v: %d variables, uncompressed %d", way.lazy, got, want)
		}
	}
}

// gcc -gsplit-dwarf leaves a skeleton unit (DW_UT_skeleton) and the line
// program in the ELF and moves the functions to .dwo files, which are
// often not shipped with it (elfsymtest.Build leaves them in a directory it
// removes). gdb still has file:line from the skeleton's line program;
// elfsym skipped skeleton units and had none. Lines now come from it
// (functions are named by the symbol table), whole and lazy, and the open
// says which .dwo files are missing.
func TestSplitDWARFSkeletonGivesLines(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	src := map[string][]byte{"calc.c": []byte(`volatile int sink;
__attribute__((noinline)) int scale(int v) { return v * 3 + sink; }
__attribute__((noinline)) int total(const int *p, int n) {
	int s = 0;
	for (int i = 0; i < n; i++)
		s += scale(p[i]);
	return s;
}
int main(void) { static const int v[] = {1, 2, 3}; return total(v, 3); }
`)}
	build := func(name string, extra ...string) string {
		path, err := elfsymtest.Build(ctx, elfsymtest.Program{
			Name: name, CC: "arm-none-eabi-gcc", Srcs: src,
			Flags: append([]string{"-g", "-O1", "-mcpu=cortex-m3", "-mthumb", "-specs=nosys.specs"}, extra...),
		})
		if err != nil {
			t.Fatal(err)
		}
		return path
	}
	plainPath, splitPath := build("nosplit"), build("split", "-gsplit-dwarf")
	plain, ways := openBothWays(t, plainPath, splitPath)
	for _, way := range ways {
		split := way.im
		if w := strings.Join(split.Warnings(), "\n"); !strings.Contains(w, "split DWARF") || !strings.Contains(w, ".dwo files not found") {
			t.Errorf("lazy=%v: no word of the .dwo files missing: %q", way.lazy, w)
		}
		if w := strings.Join(plain.Warnings(), "\n"); strings.Contains(w, "split DWARF") {
			t.Errorf("the unsplit build warns of split DWARF: %q", w)
		}
		for _, name := range []string{"scale", "total", "main"} {
			ps, ok1 := plain.LookupSymbol(name)
			ss, ok2 := split.LookupSymbol(name)
			if !ok1 || !ok2 {
				t.Fatalf("no symbol %s", name)
			}
			for off := uint64(0); off < ss.Size && off < ps.Size; off += 2 {
				pf, sf := plain.Frames(ps.Addr+off), split.Frames(ss.Addr+off)
				if len(pf) == 0 || len(sf) == 0 {
					t.Fatalf("lazy=%v: %s+%d: frames %+v, unsplit %+v", way.lazy, name, off, sf, pf)
				}
				if path.Base(sf[0].File) != path.Base(pf[0].File) || sf[0].Line != pf[0].Line || sf[len(sf)-1].Function != name {
					t.Fatalf("lazy=%v: %s+%d: %+v, unsplit %+v", way.lazy, name, off, sf, pf)
				}
			}
		}
	}
}

// With its .dwo files where DW_AT_dwo_name says, a split-DWARF firmware
// gives what the unsplit build gives: DWARF names, inlined frames, lines
// and call sites (tail-call recovery), whole and lazy (gdb reads them;
// elfsym read only the skeletons).
func TestSplitDWARFReadsTheDwoFiles(t *testing.T) {
	gcc, err := exec.LookPath("arm-none-eabi-gcc")
	if err != nil {
		t.Skip("arm-none-eabi-gcc not found: run scripts/setup.sh")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dir := t.TempDir()
	src := `volatile int sink;
static inline int twice(int v) { return 2 * v + sink; }
__attribute__((noinline)) int scale(int v) { return twice(v) * 3; }
__attribute__((noinline)) int total(const int *p, int n) {
	int s = 0;
	for (int i = 0; i < n; i++)
		s += scale(p[i]) + twice(i);
	return s;
}
int main(void) { static const int v[] = {1, 2, 3}; return total(v, 3); }
`
	if err := os.WriteFile(filepath.Join(dir, "calc.c"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	build := func(out string, extra ...string) string {
		args := append([]string{"-g", "-O2", "-mcpu=cortex-m3", "-mthumb", "-specs=nosys.specs", "calc.c", "-o", out}, extra...)
		cmd := exec.CommandContext(ctx, gcc, args...)
		cmd.Dir = dir
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("gcc %v: %v\n%s", args, err, b)
		}
		return filepath.Join(dir, out)
	}
	plainPath, splitPath := build("plain.elf"), build("split.elf", "-gsplit-dwarf")
	if m, _ := filepath.Glob(filepath.Join(dir, "*.dwo")); len(m) == 0 {
		t.Fatal("gcc -gsplit-dwarf left no .dwo file")
	}
	plain, ways := openBothWays(t, plainPath, splitPath)
	for _, way := range ways {
		split := way.im
		if w := strings.Join(split.Warnings(), "\n"); strings.Contains(w, "split DWARF") {
			t.Errorf("lazy=%v: the .dwo files are there, but: %q", way.lazy, w)
		}
		inlined, sites := 0, 0
		for _, name := range []string{"scale", "total", "main"} {
			ps, ok1 := plain.LookupSymbol(name)
			ss, ok2 := split.LookupSymbol(name)
			if !ok1 || !ok2 || ps.Size != ss.Size {
				t.Fatalf("symbol %s: %+v, unsplit %+v", name, ss, ps)
			}
			for off := uint64(0); off < ss.Size; off += 2 {
				pf, sf := ours(plain.Frames(ps.Addr+off)), ours(split.Frames(ss.Addr+off))
				if !reflect.DeepEqual(sf, pf) {
					t.Fatalf("lazy=%v: %s+%d: %+v, unsplit %+v", way.lazy, name, off, sf, pf)
				}
				if len(sf) > 1 {
					inlined++
				}
				pc, pok := plain.CallSiteAt(ps.Addr + off)
				sc, sok := split.CallSiteAt(ss.Addr + off)
				if pok != sok || pc.Target != sc.Target || pc.Tail != sc.Tail || pc.TargetName != sc.TargetName {
					t.Fatalf("lazy=%v: %s+%d: call site %+v (%v), unsplit %+v (%v)", way.lazy, name, off, sc, sok, pc, pok)
				}
				if sok {
					sites++
				}
			}
		}
		if inlined == 0 || sites == 0 {
			t.Errorf("%d inlined frames, %d call sites: the test shows nothing", inlined, sites)
		}
	}
}

// compressedSample returns the sample firmware and a copy of it whose
// DWARF objcopy compressed with --compress-debug-sections=how ("zlib":
// SHF_COMPRESSED sections; "zlib-gnu": GNU's older .zdebug_X ones).
func compressedSample(t *testing.T, how string) (plain, compressed string) {
	t.Helper()
	objcopy, err := exec.LookPath("arm-none-eabi-objcopy")
	if err != nil {
		t.Skip("arm-none-eabi-objcopy not found: run scripts/setup.sh")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	plain, err = elfsymtest.Sample(ctx)
	if err != nil {
		t.Fatal(err)
	}
	compressed = filepath.Join(t.TempDir(), "sample-"+how+".elf")
	if out, err := exec.CommandContext(ctx, objcopy, "--compress-debug-sections="+how, plain, compressed).CombinedOutput(); err != nil {
		t.Fatalf("objcopy: %v\n%s", err, out)
	}
	return plain, compressed
}

// openedWay is an image opened one way: with the whole index, or lazily.
type openedWay struct {
	lazy bool
	im   *elfsym.Image
}

// openBothWays opens the plain build with the whole index and the build
// at path both ways, to compare each with the plain one; all are closed
// when the test ends.
func openBothWays(t *testing.T, plainPath, path string) (*elfsym.Image, []openedWay) {
	t.Helper()
	plain, err := elfsym.Open(plainPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { plain.Close() })
	var ways []openedWay
	for _, lazy := range []bool{false, true} {
		im, err := elfsym.OpenWith(path, elfsym.Options{Lazy: lazy})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { im.Close() })
		ways = append(ways, openedWay{lazy, im})
	}
	return plain, ways
}
