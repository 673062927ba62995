package elfsym_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/elfsym/elfsymtest"
	"github.com/faultline-dev/faultline/firmware/crashlab"
	"github.com/go-delve/delve/pkg/dwarf/frame"
)

func openSample(t testing.TB) (*elfsym.Image, string) {
	t.Helper()
	return elfsymtest.OpenBuilt(t, elfsymtest.Sample, elfsym.Open)
}

func mustSym(t *testing.T, im *elfsym.Image, name string) elfsym.Symbol {
	t.Helper()
	s, ok := im.LookupSymbol(name)
	if !ok {
		t.Fatalf("LookupSymbol(%q) not found", name)
	}
	return s
}

func TestOpenIdentifiesFile(t *testing.T) {
	im, path := openSample(t)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	if got, want := im.SHA256(), hex.EncodeToString(sum[:]); got != want {
		t.Errorf("SHA256 = %s, want %s", got, want)
	}
	if len(im.BuildID()) != 40 { // --build-id=sha1
		t.Errorf("BuildID = %q, want 40 hex digits", im.BuildID())
	}
	if w := im.Warnings(); len(w) != 0 {
		t.Errorf("Warnings = %q, want none for a full debug build", w)
	}
	if im.Path() != path {
		t.Errorf("Path = %q", im.Path())
	}
}

func TestLookupSymbolByRawAndDemangledNames(t *testing.T) {
	im, _ := openSample(t)
	raw := mustSym(t, im, "_ZN3net6Server12poll_clientsEv")
	for _, name := range []string{"net::Server::poll_clients()", "net::Server::poll_clients"} {
		if s := mustSym(t, im, name); s != raw {
			t.Errorf("LookupSymbol(%q) = %+v, want %+v", name, s, raw)
		}
	}
	if raw.Name != "net::Server::poll_clients()" || !raw.Func || raw.Addr&1 != 0 || raw.Size == 0 {
		t.Errorf("poll_clients symbol = %+v, want demangled sized function with Thumb bit cleared", raw)
	}
	for _, name := range []string{"util::scale(int)", "util::scale(int, int)", "util::scale(float)"} {
		mustSym(t, im, name) // overloads stay apart
	}
	syms := im.Symbols()
	for i := 1; i < len(syms); i++ {
		if syms[i].Addr < syms[i-1].Addr {
			t.Fatalf("Symbols not sorted at %d", i)
		}
	}
}

func TestSymbolAtCoversFunctionAndIgnoresThumbBit(t *testing.T) {
	im, _ := openSample(t)
	fn := mustSym(t, im, "divide")
	for _, tc := range []struct {
		addr    uint64
		wantOff uint64
	}{{fn.Addr, 0}, {fn.Addr + 2, 2}, {fn.Addr | 1, 0}, {fn.Addr + fn.Size - 2, fn.Size - 2}} {
		s, off, ok := im.SymbolAt(tc.addr)
		if !ok || s.RawName != "divide" || off != tc.wantOff {
			t.Errorf("SymbolAt(%#x) = %q+%#x %v, want divide+%#x", tc.addr, s.RawName, off, ok, tc.wantOff)
		}
	}
	g := mustSym(t, im, "g_server")
	if s, off, ok := im.SymbolAt(g.Addr + 4); !ok || s.RawName != "g_server" || off != 4 {
		t.Errorf("SymbolAt(g_server+4) = %q+%d %v", s.RawName, off, ok)
	}
	if _, _, ok := im.SymbolAt(0xfffffff0); ok {
		t.Errorf("SymbolAt(0xfffffff0) found a symbol")
	}
}

func TestFramesNameCPlusPlusLikeAddr2line(t *testing.T) {
	im, _ := openSample(t)
	for _, tc := range []struct{ sym, want string }{
		{"_ZN3net6Server12poll_clientsEv", "net::Server::poll_clients()"},
		{"_ZN3net10SlowClient4pollEv", "net::SlowClient::poll()"},
		{"_ZN4util9clamp_addIiEET_S1_S1_S1_", "int util::clamp_add<int>(int, int, int)"},
		{"_ZN4util5scaleEii", "util::scale(int, int)"},
		{"_ZN4util5scaleEf", "util::scale(float)"},
		{"divide", "divide"},
	} {
		s := mustSym(t, im, tc.sym)
		fs := im.Frames(s.Addr | 1) // a Thumb pointer
		if len(fs) == 0 {
			t.Errorf("Frames(%s) = nil", tc.sym)
			continue
		}
		last := fs[len(fs)-1]
		if last.Function != tc.want || last.Entry != s.Addr || last.Inlined {
			t.Errorf("Frames(%s) outer = %+v, want %q entry %#x", tc.sym, last, tc.want, s.Addr)
		}
		if last.Line == 0 || !strings.HasSuffix(fs[0].File, ".cpp") && !strings.HasSuffix(fs[0].File, ".c") {
			t.Errorf("Frames(%s)[0] = %+v, want a source file and line", tc.sym, fs[0])
		}
	}
}

// TestFramesInlineChainPointsAtCallSites checks every inlined chain in the
// sample against the source text: frame i+1's line must be a line that
// calls frame i's function.
func TestFramesInlineChainPointsAtCallSites(t *testing.T) {
	im, _ := openSample(t)
	deepest, checked := 0, 0
	for _, a := range testAddrs(im) {
		fs := im.Frames(a)
		deepest = max(deepest, len(fs))
		for i := 0; i+1 < len(fs); i++ {
			if !fs[i].Inlined {
				t.Fatalf("%#x: frame %d not marked inlined in %+v", a, i, fs)
			}
			callee := fs[i].Function
			if j := strings.IndexAny(callee, "("); j > 0 {
				callee = callee[:j]
			}
			callee = callee[strings.LastIndex(callee, ":")+1:]
			// Only calls written in the sample's own C sources: constructors
			// and static initialisers are called by compiler-made code, and
			// library sources are not on this machine.
			if !strings.HasSuffix(fs[i+1].File, "src/inline.c") {
				continue
			}
			checked++
			if text := sourceLine(t, fs[i+1].File, fs[i+1].Line); !strings.Contains(text, callee+"(") {
				t.Errorf("%#x: frame %d %s:%d is %q, which does not call %s", a, i+1, filepath.Base(fs[i+1].File), fs[i+1].Line, text, callee)
			}
		}
		if len(fs) > 0 && fs[len(fs)-1].Inlined {
			t.Errorf("%#x: outermost frame marked inlined: %+v", a, fs)
		}
	}
	if deepest < 3 || checked < 20 {
		t.Errorf("deepest chain has %d frames, %d call sites checked; want >= 3 frames (nested inlines) and many call sites", deepest, checked)
	}
}

var sourceCache = map[string][]string{}

func sourceLine(t *testing.T, file string, line int) string {
	lines, ok := sourceCache[file]
	if !ok {
		f, err := os.Open(file)
		if err != nil {
			t.Fatalf("source of a frame: %v", err)
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			lines = append(lines, sc.Text())
		}
		f.Close()
		sourceCache[file] = lines
	}
	if line < 1 || line > len(lines) {
		return ""
	}
	return lines[line-1]
}

func TestSectionsSegmentsAndReadMemory(t *testing.T) {
	im, path := openSample(t)
	fn := mustSym(t, im, "divide")
	if !im.IsCode(fn.Addr) || !im.IsCode(fn.Addr|1) {
		t.Errorf("IsCode(divide) = false")
	}
	g := mustSym(t, im, "g_server")
	if im.IsCode(g.Addr) {
		t.Errorf("IsCode(g_server) = true")
	}
	if s, ok := im.SectionAt(fn.Addr); !ok || s.Name != ".text" || !s.Exec || !s.Loaded {
		t.Errorf("SectionAt(divide) = %+v %v", s, ok)
	}
	if s, ok := im.SectionAt(g.Addr); !ok || s.Name != ".bss" || s.Loaded || !s.Write {
		t.Errorf("SectionAt(g_server) = %+v %v", s, ok)
	}
	if len(im.Segments()) == 0 {
		t.Fatal("no segments")
	}
	if seg, ok := im.SegmentAt(fn.Addr); !ok || !seg.Exec {
		t.Errorf("SegmentAt(divide) = %+v %v", seg, ok)
	}

	ef, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ef.Close()
	text, _ := ef.Section(".text").Data()
	buf := make([]byte, 16)
	off := fn.Addr - ef.Section(".text").Addr
	if n, err := im.ReadMemory(buf, fn.Addr); n != 16 || err != nil || string(buf) != string(text[off:off+16]) {
		t.Errorf("ReadMemory(divide) = %d %v %x, want %x", n, err, buf, text[off:off+16])
	}
	// A read running off the end of the loaded image is short, with an error.
	last := im.Sections()[0]
	for _, s := range im.Sections() {
		if s.Loaded && s.Addr+s.Size > last.Addr+last.Size {
			last = s
		}
	}
	n, err := im.ReadMemory(make([]byte, 8), last.Addr+last.Size-4)
	if n != 4 || err == nil {
		t.Errorf("ReadMemory across the end = %d, %v; want 4 and an error", n, err)
	}
	if _, err := im.ReadMemory(make([]byte, 4), g.Addr); err == nil {
		t.Errorf("ReadMemory(.bss) succeeded; .bss has no file contents")
	}
}

func TestFrameContextSortedFDEs(t *testing.T) {
	im, _ := openSample(t)
	// Every function of the sample sources, spread over two CUs whose FDEs
	// gcc does not emit in address order, must find its FDE.
	for _, name := range []string{"divide", "checksum", "fill_table", "run_c", "main", "_ZN3net6Server12poll_clientsEv", "_ZN4util5scaleEf"} {
		s := mustSym(t, im, name)
		fc, err := im.FrameContext(s.Addr + s.Size - 2)
		if err != nil {
			t.Errorf("FrameContext(%s) = %v", name, err)
			continue
		}
		if fc.RetAddrReg != 14 || fc.CFA.Reg != 13 || fc.CFA.Rule != frame.RuleCFA {
			t.Errorf("FrameContext(%s): ret reg %d, CFA %+v; want LR and sp-based CFA", name, fc.RetAddrReg, fc.CFA)
		}
	}
	if _, err := im.FrameContext(0xfffffff0); !errors.Is(err, elfsym.ErrNoCFI) {
		t.Errorf("FrameContext(outside) = %v, want ErrNoCFI", err)
	}
}

// TestImageConcurrentUse runs every lookup from several goroutines at once;
// with -race it proves the Image is immutable after Open.
func TestImageConcurrentUse(t *testing.T) {
	im, _ := openSample(t)
	addrs := testAddrs(im)
	want := make([][]elfsym.Frame, len(addrs))
	for i, a := range addrs {
		want[i] = im.Frames(a)
	}
	done := make(chan error, 4)
	for g := 0; g < 4; g++ {
		go func() {
			buf := make([]byte, 4)
			for i, a := range addrs {
				got := im.Frames(a)
				if len(got) != len(want[i]) || (len(got) > 0 && got[0] != want[i][0]) {
					done <- errors.New("Frames changed under concurrent use")
					return
				}
				im.SymbolAt(a)
				im.FrameContext(a)
				im.ReadMemory(buf, a)
			}
			done <- nil
		}()
	}
	for g := 0; g < 4; g++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}

// TestReadMemoryLoadAddress checks .data's initial values can be read both
// where they run (RAM) and where the image stores them (flash), using the
// crash lab's firmware, whose .data is copied from flash at reset.
func TestReadMemoryLoadAddress(t *testing.T) {
	checked := 0
	for _, board := range crashlab.Boards() {
		for _, prog := range crashlab.Programs() {
			path, err := crashlab.ELF(context.Background(), board, prog)
			if err != nil {
				t.Fatal(err)
			}
			im, err := elfsym.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			for _, seg := range im.Segments() {
				if seg.Filesz == 0 || seg.Paddr == seg.Vaddr {
					continue
				}
				run := make([]byte, seg.Filesz)
				load := make([]byte, seg.Filesz)
				if _, err := im.ReadMemory(run, seg.Vaddr); err != nil {
					t.Errorf("%s/%s: run address %#x: %v", board, prog, seg.Vaddr, err)
				}
				if _, err := im.ReadMemory(load, seg.Paddr); err != nil {
					t.Errorf("%s/%s: load address %#x: %v", board, prog, seg.Paddr, err)
				}
				if !bytes.Equal(run, load) {
					t.Errorf("%s/%s: .data at %#x = %x, in flash at %#x = %x", board, prog, seg.Vaddr, run, seg.Paddr, load)
				}
				checked++
			}
			im.Close()
		}
	}
	if checked == 0 {
		t.Error("no crash lab image has a segment stored apart from where it runs")
	}
}
