package elfsym_test

import (
	"bufio"
	"bytes"
	"context"
	"debug/dwarf"
	"debug/elf"
	"fmt"
	"os/exec"
	"path"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/elfsym/elfsymtest"
	"github.com/faultline-dev/faultline/elfsym/indexcache"
	"github.com/faultline-dev/faultline/firmware/crashlab"
	"github.com/faultline-dev/faultline/firmware/unwindlab"
)

// a2lFrame is one function/file:line pair printed by addr2line -fiC.
type a2lFrame struct {
	Function string
	File     string // base name, "??" when unknown
	Line     int    // 0 when unknown
}

// addr2line runs ONE arm-none-eabi-addr2line -afiC process over all addrs
// and parses its answer per address. -a prints each address first, which
// delimits the variable number of frames.
func addr2line(ctx context.Context, elf string, addrs []uint64) ([][]a2lFrame, error) {
	out, err := runSymbolizer(ctx, "arm-none-eabi-addr2line", addrs, "-afiC", "-e", elf)
	if err != nil {
		return nil, err
	}
	return parseAddr2line(out, len(addrs))
}

// runSymbolizer feeds addrs, one a line, to a symbolizer tool and returns
// what it printed.
func runSymbolizer(ctx context.Context, name string, addrs []uint64, args ...string) ([]byte, error) {
	tool, err := exec.LookPath(name)
	if err != nil {
		return nil, fmt.Errorf("%s not found: run scripts/setup.sh", name)
	}
	var in bytes.Buffer
	for _, a := range addrs {
		fmt.Fprintf(&in, "%#x\n", a)
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, tool, args...)
	cmd.Stdin = &in
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return out, nil
}

func parseAddr2line(out []byte, n int) ([][]a2lFrame, error) {
	res := make([][]a2lFrame, 0, n)
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var fn string
	haveFn := false
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "0x") && !haveFn {
			res = append(res, nil)
			continue
		}
		if !haveFn {
			fn, haveFn = line, true
			continue
		}
		haveFn = false
		loc := line
		if i := strings.Index(loc, " (discriminator"); i >= 0 {
			loc = loc[:i]
		}
		i := strings.LastIndexByte(loc, ':')
		if i < 0 || len(res) == 0 {
			return nil, fmt.Errorf("addr2line: cannot parse %q", line)
		}
		ln, _ := strconv.Atoi(loc[i+1:]) // "?" gives 0
		res[len(res)-1] = append(res[len(res)-1], a2lFrame{Function: fn, File: path.Base(loc[:i]), Line: ln})
	}
	if len(res) != n {
		return nil, fmt.Errorf("addr2line answered %d addresses, asked %d", len(res), n)
	}
	return res, sc.Err()
}

// ours converts Frames to addr2line's shape.
func ours(fs []elfsym.Frame) []a2lFrame {
	if len(fs) == 0 {
		return []a2lFrame{{Function: "??", File: "??", Line: 0}}
	}
	var out []a2lFrame
	for _, f := range fs {
		file := "??"
		if f.File != "" {
			file = path.Base(f.File)
		}
		out = append(out, a2lFrame{Function: f.Function, File: file, Line: f.Line})
	}
	return out
}

// testAddrs returns every function entry and every halfword inside the
// executable sections: on a small image that is cheap and covers every
// inlined range.
func testAddrs(im *elfsym.Image) []uint64 {
	var addrs []uint64
	for _, s := range im.Sections() {
		if !s.Exec || !s.Alloc {
			continue
		}
		for a := s.Addr; a < s.Addr+s.Size; a += 2 {
			addrs = append(addrs, a)
		}
	}
	return addrs
}

func TestFramesMatchAddr2line(t *testing.T) {
	ctx := context.Background()
	images := map[string]func(context.Context) (string, error){
		"sample":     elfsymtest.Sample,
		"gcsections": elfsymtest.GCSections,
		"dwarf4":     elfsymtest.DWARF4,
		"lto":        elfsymtest.LTO,
	}
	// The crash lab's firmware (startup code at 0 on mps2-an385, vector
	// tables, gc-sections) joins the comparison: every program on every board.
	for _, board := range crashlab.Boards() {
		for _, prog := range crashlab.Programs() {
			images["crashlab-"+board+"-"+prog] = func(ctx context.Context) (string, error) {
				return crashlab.ELF(ctx, board, prog)
			}
		}
	}
	if len(images) < 3 {
		t.Errorf("no crashlab firmware found: firmware/crashlab should be in the tree")
	}
	// The unwind lab builds its C call-chain programs the way other teams
	// do (DWARF 2-5, compressed sections, line tables only, type units,
	// -Og, long calls...): every variant with debug information. Its C++
	// programs are left out: addr2line names C++ frames by their demangled
	// linkage names (parameters, [clone .constprop.0]) where elfsym and gdb
	// print DW_AT_name qualified, and their newlib units put discarded
	// functions' line sequences over real code near 0, where both tools
	// answer from the discarded one.
	byLLVM := map[string]bool{} // clang's builds: binutils 2.40 drops a level of its inlined calls
	exp, err := unwindlab.Expected()
	if err != nil {
		t.Fatal(err)
	}
	for _, prog := range []string{"tailcall", "isr_preempt", "bigram_thread", "isr_nested", "noreturn_call", "deep_args"} {
		for _, variant := range exp[prog].VariantNames() {
			if strings.HasSuffix(variant, "g0") {
				continue // no DWARF: nothing to compare but symbols
			}
			if strings.HasSuffix(variant, "zg") || strings.HasSuffix(variant, "sd") {
				// .zdebug_* (-gz=zlib-gnu) and split DWARF
				// (-gsplit-dwarf): binutils 2.40's addr2line cannot read
				// the DWARF 5 it writes so ("can't find .debug_rnglists";
				// "??:?"). TestGNUZdebugSectionsAreRead and
				// TestSplitDWARFReadsTheDwoFiles hold them to the plain
				// build, the lab to gdb.
				continue
			}
			name := "unwindlab-" + prog + "-" + variant
			images[name] = func(ctx context.Context) (string, error) {
				return unwindlab.ELF(ctx, prog, variant)
			}
			if strings.HasPrefix(variant, "clang") {
				byLLVM[name] = true
			}
		}
	}
	for name, build := range images {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			elf, err := build(ctx)
			if err != nil {
				t.Fatal(err)
			}
			needInlines := !strings.HasPrefix(name, "crashlab") && !strings.HasPrefix(name, "unwindlab")
			if byLLVM[name] {
				compareWithTool(t, elf, needInlines, llvmSymbolizer)
				return
			}
			compareWithAddr2line(t, elf, needInlines)
		})
	}
}

func compareWithAddr2line(t *testing.T, elf string, needInlines bool) {
	t.Helper()
	compareWithTool(t, elf, needInlines, addr2line)
}

// compareWithTool compares Frames at every halfword with what tool (addr2line
// or llvm-symbolizer) answers, three times: with the index built from the
// ELF, built lazily unit by unit, and loaded from an index cache (results
// must not depend on how the index came to be).
func compareWithTool(t *testing.T, elf string, needInlines bool, tool func(context.Context, string, []uint64) ([][]a2lFrame, error)) {
	t.Helper()
	im, err := elfsym.Open(elf)
	if err != nil {
		t.Fatal(err)
	}
	defer im.Close()
	addrs := testAddrs(im)
	want, err := tool(context.Background(), elf, addrs)
	if err != nil {
		t.Fatal(err)
	}
	discarded, shared := discardedLineRows(t, elf), sharedRows(t, elf)
	compareImage(t, "built", im, addrs, want, needInlines, discarded, shared)
	lazy, err := elfsym.OpenWith(elf, elfsym.Options{Lazy: true})
	if err != nil {
		t.Fatal(err)
	}
	defer lazy.Close()
	compareImage(t, "lazy", lazy, addrs, want, needInlines, discarded, shared)
	// Prepared for a few addresses, a lazy image indexes only the
	// functions covering them, then whole units for the other addresses.
	prepared, err := elfsym.OpenWith(elf, elfsym.Options{Lazy: true})
	if err != nil {
		t.Fatal(err)
	}
	defer prepared.Close()
	var some []uint64
	for i := 0; i < len(addrs); i += 37 {
		some = append(some, addrs[i])
	}
	prepared.Prepare(some)
	for _, a := range some { // before any other lookup can build a unit whole
		if got, exp := prepared.Frames(a), im.Frames(a); !reflect.DeepEqual(got, exp) {
			t.Errorf("prepared: %#x: %+v, whole index %+v", a, got, exp)
		}
	}
	compareImage(t, "prepared", prepared, addrs, want, needInlines, discarded, shared)
	cache := &indexcache.Dir{Path: t.TempDir()}
	for i := range 2 { // the first open stores, the second loads
		cached, err := elfsym.OpenWith(elf, elfsym.Options{Cache: cache})
		if err != nil {
			t.Fatal(err)
		}
		defer cached.Close()
		if i == 1 {
			if !cached.FromCache() {
				t.Fatal("second open with a cache did not load the saved index")
			}
			compareImage(t, "cached", cached, addrs, want, needInlines, discarded, shared)
		}
	}
}

// compareImage compares one image's Frames with the tool's answers.
func compareImage(t *testing.T, how string, im *elfsym.Image, addrs []uint64, want [][]a2lFrame, needInlines bool, discarded []lineRow, shared []sharedRow) {
	t.Helper()
	maxDepth, entries, bad := 0, 0, 0
	explained := map[string]int{}
	for i, a := range addrs {
		got := im.Frames(a)
		maxDepth = max(maxDepth, len(got))
		if len(got) > 0 && got[len(got)-1].Entry == a {
			entries++
		}
		diff := compareFrames(ours(got), want[i])
		if diff == "" {
			continue
		}
		why := legitDifference(im, a, got, want[i])
		if why == "" && fromDiscarded(discarded, a, want[i]) {
			why = discardedExcuse
		}
		if why == "" && statementShadows(shared, a, ours(got), want[i]) {
			why = statementExcuse
		}
		if why != "" {
			explained[why]++
			continue
		}
		bad++
		if bad <= 20 {
			t.Errorf("%s: %#x: %s\n ours:      %+v\n addr2line: %+v", how, a, diff, ours(got), want[i])
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d of %d addresses differ from addr2line", how, bad, len(addrs))
	}
	excused := 0
	for why, n := range explained {
		t.Logf("%d addresses differ legitimately: %s", n, why)
		if why != noSymbolExcuse { // checked exactly: no function symbol covers them
			excused += n
		}
	}
	if excused*100 > len(addrs)*15 {
		t.Errorf("%d of %d addresses excused: too many for the documented special cases", excused, len(addrs))
	}
	t.Logf("%s (%s): %d addresses, %d function entries, max frames %d", path.Base(im.Path()), how, len(addrs), entries, maxDepth)
	if needInlines && maxDepth < 3 {
		t.Errorf("test set has inline depth %d frames at most; want an address with >= 2 inlined frames", maxDepth)
	}
	if entries < 10 {
		t.Errorf("test set has %d function entries, want many", entries)
	}
}

// A lineRow is one row of a line-table sequence: [addr, end) is file:line.
type lineRow struct {
	addr, end uint64
	file      string // base name
	line      int
}

const discardedExcuse = "the tool answers from the line table of a function the linker discarded (--gc-sections relocates its sequence to 0, over real code)"

// discardedLineRows reads, with debug/dwarf, the rows of every line
// sequence that starts at address 0 where no function symbol starts: the
// code of a function --gc-sections dropped, whose rows lie over the real
// code at low addresses. binutils and llvm-symbolizer may answer from
// them; elfsym drops them.
func discardedLineRows(t *testing.T, path string) []lineRow {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	syms, _ := f.Symbols()
	for _, s := range syms {
		if elf.ST_TYPE(s.Info) == elf.STT_FUNC && s.Value&^1 == 0 {
			return nil // real code at 0: a sequence there may be real
		}
	}
	d, err := f.DWARF()
	if err != nil {
		return nil
	}
	var rows []lineRow
	r := d.Reader()
	for {
		cu, err := r.Next()
		if err != nil || cu == nil {
			break
		}
		r.SkipChildren()
		lr, err := d.LineReader(cu)
		if err != nil || lr == nil {
			continue
		}
		var seq []dwarf.LineEntry
		var e dwarf.LineEntry
		for lr.Next(&e) == nil {
			seq = append(seq, e)
			if !e.EndSequence {
				continue
			}
			if seq[0].Address == 0 {
				for i := 0; i+1 < len(seq); i++ {
					rows = append(rows, lineRow{addr: seq[i].Address, end: seq[i+1].Address, file: path2base(seq[i].File), line: seq[i].Line})
				}
			}
			seq = seq[:0]
		}
	}
	return rows
}

func path2base(f *dwarf.LineFile) string {
	if f == nil {
		return "??"
	}
	return path.Base(f.Name)
}

// fromDiscarded reports whether the tool's innermost file:line at addr is
// a discarded sequence's row covering addr.
func fromDiscarded(rows []lineRow, addr uint64, want []a2lFrame) bool {
	if len(want) == 0 {
		return false
	}
	for _, r := range rows {
		if addr >= r.addr && addr < r.end && r.file == want[0].File && r.line == want[0].Line {
			return true
		}
	}
	return false
}

const statementExcuse = "several rows share the address: the tool answers the last row's line, elfsym the last statement row's (is_stmt), as gdb does"

// statementShadows reports whether got and want differ only in the
// innermost frame's file:line (and in names as qualifiedOnly allows), where several line rows share the address
// covering addr: want's is the last row's (a row that is not a
// statement), got's the last statement row's at that address (gdb's; see
// TestLineAtSharedAddressIsGDBs).
func statementShadows(shared []sharedRow, addr uint64, got, want []a2lFrame) bool {
	sameNames := func(g, w []a2lFrame) bool { // up to qualifiedOnly's difference
		return compareFrames(g, w) == "" || qualifiedOnly(g, w)
	}
	if len(got) == 0 || len(got) != len(want) || !sameNames(got[1:], want[1:]) ||
		!sameNames([]a2lFrame{{Function: got[0].Function}}, []a2lFrame{{Function: want[0].Function}}) {
		return false
	}
	g, w := got[0], want[0]
	g.Function, w.Function = "", ""
	for _, s := range shared {
		if addr >= s.lo && addr < s.hi && s.lastStmt.Line != 0 && s.last != s.lastStmt {
			return g == s.lastStmt && w == s.last
		}
	}
	return false
}

// compareFrames returns "" when the frames agree, else what differs.
func compareFrames(got, want []a2lFrame) string {
	if len(got) != len(want) {
		return fmt.Sprintf("%d frames, addr2line %d", len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			return fmt.Sprintf("frame %d differs", i)
		}
	}
	return ""
}

// legitDifference explains where addr2line and elfsym differ on purpose,
// or returns "" when they must agree. Each case is checked, not assumed:
//
//   - No DWARF function covers addr: addr2line falls back to the nearest
//     preceding symbol in the section whatever its size (so alignment
//     padding and unsymbolled crt code get the previous function's name),
//     compares Thumb symbol values with bit 0 set (so at the first
//     instruction of an assembly function it names the previous one), picks
//     among aliases differently, and takes a file name from STT_FILE
//     symbols. elfsym names only a function symbol that covers addr (its
//     size, or up to the next function when unsized) and gives File "" when
//     the line table does not know addr. In DWARF-described code nothing is
//     excused.
//   - binutils names an innermost frame from a C++ unit that has no
//     DW_AT_linkage_name (static initialisers) after the symbol-table
//     function starting at the same address as the inlined range, which for
//     an inlined call at a function's first instruction is the caller
//     (dwarf2.c, _bfd_dwarf2_find_nearest_line). elfsym keeps the inlined
//     function's own name; the outer frames must still agree.
//   - A C++ function DIE without DW_AT_linkage_name inside a namespace or
//     class (gcc's template instances and inlined members, extern "C"
//     functions in a namespace): elfsym qualifies its DW_AT_name as gdb
//     does ("__aeabiv1::__aeabi_atexit"), binutils prints the name alone.
//     Every frame must otherwise agree, file and line included.
const noSymbolExcuse = "no DWARF function and no covering function symbol (alignment padding, unsymbolled crt code, constants placed in .text); addr2line names the nearest preceding symbol"

func legitDifference(im *elfsym.Image, addr uint64, got []elfsym.Frame, want []a2lFrame) string {
	if len(got) == 0 {
		if sym, _, ok := im.SymbolAt(addr); ok && sym.Func {
			return "" // a covering function symbol: we must have named it
		}
		return noSymbolExcuse
	}
	if len(got) == 1 && len(want) == 1 && !hasDWARFFunction(im, addr) {
		if sym, _, ok := im.SymbolAt(addr); ok && sym.Func && sym.Name == got[0].Function {
			if got[0].Function == want[0].Function {
				return "symbol-table function; addr2line adds a file from STT_FILE"
			}
			return "assembly without DWARF subprogram: binutils' ARM symbol fallback picks another alias, or the previous symbol at a Thumb entry (value has bit 0 set)"
		}
	}
	if len(got) == 1 && len(want) == 1 && got[0].Entry == addr && aliasAt(im, addr, got[0].Function) &&
		(want[0].Line == 0 || aliasAt(im, addr, want[0].Function) || (want[0].File == path.Base(got[0].File) && want[0].Line == got[0].Line)) {
		// Seen only at the first instruction of prebuilt library functions
		// (libgcc's ieee754-sf.S, newlib's atexit): binutils answers from the
		// symbol table there and either picks another alias or, comparing
		// the Thumb value (bit 0 set) with the address, the previous function
		// with no line. elfsym's answer is checked against the symbol table.
		return "library function entry: binutils' Thumb symbol fallback names an alias or the previous function"
	}
	if len(got) == 1 && len(want) == 1 && got[0].Function == want[0].Function && got[0].File == "" && got[0].Line == 0 && want[0].Line == 0 {
		// clang -Oz's machine outliner (OUTLINED_FUNCTION_n): no DWARF
		// subprogram and no line row, inside the unit's ranges;
		// llvm-symbolizer names the unit's file with line 0, gdb ("No
		// line number information") and elfsym no file.
		return "no line row covers the address: the tool names the unit's file with line 0"
	}
	if qualifiedOnly(ours(got), want) {
		return "a C++ function without linkage name in a namespace or class: qualified as gdb prints it, binutils prints DW_AT_name alone"
	}
	if len(got) >= 2 && len(got) == len(want) && got[0].Inlined && got[0].Function != want[0].Function &&
		want[0].Function == got[1].Function && compareFrames(ours(got)[1:], want[1:]) == "" &&
		!strings.Contains(got[0].Function, "(") {
		g, w := ours(got)[0], want[0]
		if g.File == w.File && g.Line == w.Line {
			return "binutils names a C++ inlined frame without linkage name after the caller's symbol"
		}
	}
	return ""
}

// qualifiedOnly reports whether got and want differ only in that some of
// got's names are want's qualified by namespaces or classes (not a
// demangled linkage name: no parameter list).
func qualifiedOnly(got, want []a2lFrame) bool {
	if len(got) != len(want) {
		return false
	}
	qualified := 0
	for i, g := range got {
		w := want[i]
		if g == w {
			continue
		}
		if g.File != w.File || g.Line != w.Line || strings.Contains(g.Function, "(") ||
			!strings.HasSuffix(g.Function, "::"+w.Function) {
			return false
		}
		qualified++
	}
	return qualified > 0
}

// hasDWARFFunction reports whether a DWARF subprogram covers addr: Frames
// then carries a line, or an Entry that no symbol-table fallback gives.
func hasDWARFFunction(im *elfsym.Image, addr uint64) bool {
	return im.HasDWARFFunction(addr)
}

// aliasAt reports whether a function symbol named name starts at addr.
func aliasAt(im *elfsym.Image, addr uint64, name string) bool {
	for _, s := range im.Symbols() {
		if s.Func && s.Addr == addr && s.Name == name {
			return true
		}
	}
	return false
}
