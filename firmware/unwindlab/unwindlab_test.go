package unwindlab

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/faultline-dev/faultline/faultdecode/report"
	"github.com/faultline-dev/faultline/firmware/internal/gdbcompare"
)

func TestMain(m *testing.M) {
	code := m.Run()
	gdbcompare.Cleanup()
	os.Exit(code)
}

// parallelQEMU bounds the emulators running at once (each variant runs two:
// gdb's and faultline's, one after the other).
const parallelQEMU = 3

// cfsrBits are the CFSR cause bits (FACTS.md section 1).
var cfsrBits = []struct {
	bit  uint
	name string
}{
	{0, "IACCVIOL"}, {1, "DACCVIOL"}, {3, "MUNSTKERR"}, {4, "MSTKERR"}, {5, "MLSPERR"},
	{8, "IBUSERR"}, {9, "PRECISERR"}, {10, "IMPRECISERR"}, {11, "UNSTKERR"}, {12, "STKERR"}, {13, "LSPERR"},
	{16, "UNDEFINSTR"}, {17, "INVSTATE"}, {18, "INVPC"}, {19, "NOCP"}, {20, "STKOF"}, {24, "UNALIGNED"}, {25, "DIVBYZERO"},
}

// resetHandlers may follow main: main really was called from there.
var resetHandlers = []string{"Reset_Handler"}

// TestFramesAgainstGDBAndSource crashes every variant under stock gdb and
// under faultline and holds both against expected.json: faultline's chain
// must be the true one (no junk after its end), never shorter than gdb's
// where gdb is right, longer where gdb stops at a broken frame, and its
// headline must name the faulting function.
func TestFramesAgainstGDBAndSource(t *testing.T) {
	gdbcompare.NeedTools(t, "clang", "ld.lld", "arm-none-eabi-gcc")
	exp, err := Expected()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	t.Cleanup(cancel)
	// Build the lab and the faultline binary once, before the subtests
	// start their clocks.
	if _, err := ELF(ctx, "tailcall", "gcc-O0"); err != nil {
		t.Fatal(err)
	}
	if _, err := gdbcompare.Binary(ctx); err != nil {
		t.Fatal(err)
	}
	tab := &table{}
	t.Cleanup(func() { tab.write(t) })
	sem := make(chan struct{}, parallelQEMU)
	var names []string
	for n := range exp {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		prog := exp[name]
		for _, variant := range prog.VariantNames() {
			t.Run(name+"/"+variant, func(t *testing.T) {
				t.Parallel()
				sem <- struct{}{}
				defer func() { <-sem }()
				checkVariant(ctx, t, tab, name, variant, prog)
			})
		}
	}
}

func checkVariant(ctx context.Context, t *testing.T, tab *table, name, variant string, prog Program) {
	elf, err := ELF(ctx, name, variant)
	if err != nil {
		t.Fatal(err)
	}
	p := gdbcompare.Program{Machine: prog.Machine, ELF: elf, Board: prog.Board, StopAt: prog.StopAt}
	want := prog.Chain(variant)
	row := row{program: name, variant: variant, expected: want, gaps: prog.Gaps}

	g, gerr := gdbcompare.RunGDB(ctx, p)
	if gerr != nil {
		raw := ""
		if g != nil {
			raw = g.Raw
		}
		t.Errorf("gdb: %v\n%s", gerr, raw)
	} else {
		row.gdb = g.Frames
		t.Logf("gdb bt:    %q (%s)", g.Frames, judge(g.Frames, want, prog.Gaps))
		checkRegsAgainstGDB(t, prog, g)
	}

	if prog.Serve {
		p.CaptureDir = t.TempDir()
	}
	rep, stderr, ferr := gdbcompare.Faultline(ctx, p)
	if ferr != nil {
		row.verdict = "capture failed"
		tab.add(row)
		t.Fatalf("faultline: %v\n%s", ferr, stderr)
	}
	fl := gdbcompare.Names(rep)
	row.faultline = fl
	t.Logf("faultline: %q", fl)
	t.Logf("found by:  %q", frameHows(rep))
	var fails []string
	fail := func(format string, args ...any) {
		msg := fmt.Sprintf(format, args...)
		fails = append(fails, msg)
		t.Error(msg)
	}

	// 1. The true chain, and nothing after its end.
	if msg := chainError(fl, want, prog.Gaps); msg != "" {
		fail("frames: %s\nfaultline %q\nexpected  %q", msg, fl, want)
	}
	// 2. Never shorter than gdb where gdb is right; longer where gdb stops.
	if gerr == nil {
		gdbGood := len(commonPrefix(g.Frames, want))
		flGood := len(commonPrefix(fl, want))
		if !prog.Gaps && flGood < gdbGood {
			fail("faultline gets %d frames right, gdb %d: faultline %q, gdb %q", flGood, gdbGood, fl, g.Frames)
		}
		if prog.Gaps && judge(g.Frames, want, true) != "right" && judge(fl, want, true) == "right" && len(fl) <= len(g.Frames) {
			fail("gdb stops at the broken frame after %d frames; faultline must go further, has %d", len(g.Frames), len(fl))
		}
	}
	// 3. The headline names the faulting function, never the handler.
	head := prog.HeadlineFunc(variant)
	if !strings.Contains(rep.Fault.Summary, head) {
		fail("summary does not name %s: %q", head, rep.Fault.Summary)
	}
	for _, want := range prog.SummaryHas {
		if !strings.Contains(rep.Fault.Summary, want) {
			fail("summary does not say %q: %q", want, rep.Fault.Summary)
		}
	}
	for _, h := range handlerNames(g) {
		if strings.Contains(rep.Fault.Summary, h) {
			fail("summary names the fault handler %s: %q", h, rep.Fault.Summary)
		}
	}
	// 4. Confidence says how each frame was found: never certain for a
	// frame found without CFI or a fault/exception frame, and never
	// better than the frame it was unwound from.
	if msg := confidenceError(rep); msg != "" {
		fail("confidence: %s", msg)
	}
	// 5. Where the program says how a frame must be found (say, by the
	// EHABI index in code without CFI), it is.
	if msg := frameHowError(rep, prog.HowWanted(variant)); msg != "" {
		fail("how: %s", msg)
	}
	// 6. Stock gdb reads the capture through `faultline serve` as it read
	// the live target.
	if prog.Serve && gerr == nil {
		if msg := serveError(ctx, elf, p.CaptureDir, g.Frames); msg != "" {
			fail("serve: %s", msg)
		} else {
			t.Logf("served bt: the same")
		}
	}
	// The fault itself.
	if rep.Fault.Exception != prog.Exception {
		fail("exception %s, want %s", rep.Fault.Exception, prog.Exception)
	}
	for _, c := range prog.Causes {
		if !slices.Contains(rep.Fault.Causes, c) {
			fail("causes %v lack %s", rep.Fault.Causes, c)
		}
	}
	if len(fails) == 0 {
		row.verdict = "ok"
	} else {
		row.verdict = "FAIL: " + strings.Join(firstLines(fails), "; ")
	}
	tab.add(row)
	if t.Failed() {
		t.Logf("faultline stderr:\n%s", stderr)
	}
}

// serveError says how gdb's bt through `faultline serve` of the one
// capture in dir differs from its live bt, or "".
func serveError(ctx context.Context, elf, dir string, live []string) string {
	cores, err := filepath.Glob(filepath.Join(dir, "*.core"))
	if err != nil || len(cores) != 1 {
		return fmt.Sprintf("want one capture in %s, found %q (%v)", dir, cores, err)
	}
	served, raw, err := gdbcompare.ServeBT(ctx, elf, cores[0])
	if err != nil {
		return fmt.Sprintf("%v\n%s", err, raw)
	}
	if !slices.Equal(served, live) {
		return fmt.Sprintf("gdb's bt from the capture %q, live %q\n%s", served, live, raw)
	}
	return ""
}

// checkRegsAgainstGDB keeps expected.json honest without faultline: the
// handler gdb stopped in and the fault registers gdb read.
func checkRegsAgainstGDB(t *testing.T, prog Program, g *gdbcompare.GDBResult) {
	t.Helper()
	if !g.FaultRegs {
		if len(prog.Causes) != 0 {
			t.Errorf("expected.json lists causes %v, but gdb read no CFSR", prog.Causes)
		}
		return
	}
	var causes []string
	for _, b := range cfsrBits {
		if g.CFSR&(1<<b.bit) != 0 {
			causes = append(causes, b.name)
		}
	}
	want := slices.Clone(prog.Causes)
	slices.Sort(want)
	slices.Sort(causes)
	if !slices.Equal(causes, want) {
		t.Errorf("expected.json causes %v, gdb read CFSR %#08x = %v", prog.Causes, g.CFSR, causes)
	}
	if forced := g.HFSR&(1<<30) != 0; forced != prog.Forced {
		t.Errorf("expected.json forced=%v, gdb read HFSR %#08x", prog.Forced, g.HFSR)
	}
}

func handlerNames(g *gdbcompare.GDBResult) []string {
	names := []string{"HardFault_Handler", "hard_fault_c", "MemManage_Handler", "BusFault_Handler", "UsageFault_Handler", "Default_Handler"}
	if g != nil && g.Handler != "" && !slices.Contains(names, g.Handler) {
		names = append(names, g.Handler)
	}
	return names
}

// confRank orders the report's confidence levels, best first.
var confRank = map[string]int{"certain": 0, "likely": 1, "guess": 2}

// confidenceError says where a report's confidence overstates how a frame
// was found, or "": a stack-scan frame is a guess; a frame from the
// prologue, LR or a tail-call site is at best likely; and no frame is more
// certain than the one it was unwound from (tail-call frames are put
// between two frames, not unwound from).
func confidenceError(rep *report.Report) string {
	prev, from := 0, -1
	for i, f := range rep.Frames {
		rank, ok := confRank[f.Confidence]
		switch {
		case !ok:
			return fmt.Sprintf("frame %d (%s): confidence %q", i, f.Function, f.Confidence)
		case f.How == "stack-scan" && rank < confRank["guess"],
			(f.How == "prologue" || f.How == "lr" || f.How == "tail-call") && rank < confRank["likely"]:
			return fmt.Sprintf("frame %d (%s) found by %s is %s", i, f.Function, f.How, f.Confidence)
		case rank < prev:
			return fmt.Sprintf("frame %d (%s) is %s, frame %d it was unwound from only %s", i, f.Function, f.Confidence, from, rep.Frames[from].Confidence)
		}
		if f.How != "tail-call" {
			prev, from = rank, i
		}
	}
	return ""
}

// frameHows lists each frame's how and confidence.
func frameHows(rep *report.Report) []string {
	var out []string
	for _, f := range rep.Frames {
		out = append(out, f.How+"/"+f.Confidence)
	}
	return out
}

// frameHowError says which frame named in want was found another way
// than want says (or is missing), or "".
func frameHowError(rep *report.Report, want map[string]string) string {
	names := make([]string, 0, len(want))
	for n := range want {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		found := false
		for i, f := range rep.Frames {
			if gdbcompare.BareName(f.Function) != n || f.Inlined {
				continue
			}
			found = true
			if f.How != want[n] {
				return fmt.Sprintf("frame %d (%s) found by %s, want %s", i, n, f.How, want[n])
			}
		}
		if !found {
			return fmt.Sprintf("no frame %s", n)
		}
	}
	return ""
}

// chainError says how got differs from the true chain want, or "".
func chainError(got, want []string, gaps bool) string {
	if !gaps {
		if len(got) < len(want) || !slices.Equal(got[:len(want)], want) {
			n := len(commonPrefix(got, want))
			return fmt.Sprintf("frame %d is %s, want %s", n, at(got, n), want[n])
		}
	} else {
		i := 0
		for _, f := range got {
			if i < len(want) && f == want[i] {
				i++
			}
			if i == len(want) {
				break
			}
		}
		if i < len(want) {
			return fmt.Sprintf("%s missing (in order)", want[i])
		}
		if got[0] != want[0] {
			return fmt.Sprintf("frame 0 is %s, want %s", got[0], want[0])
		}
	}
	last := want[len(want)-1]
	idx := lastIndex(got, last)
	junk := got[idx+1:]
	if last == "main" && len(junk) > 0 && slices.Contains(resetHandlers, junk[0]) {
		junk = junk[1:]
	}
	if len(junk) > 0 {
		return fmt.Sprintf("junk after %s: %q", last, junk)
	}
	return ""
}

// judge says whether a chain is right, short (a true prefix), or wrong.
func judge(got, want []string, gaps bool) string {
	if chainError(got, want, gaps) == "" {
		return "right"
	}
	if n := len(commonPrefix(got, want)); n == len(got) {
		return fmt.Sprintf("short: %d of %d", n, len(want))
	}
	return "wrong: " + chainError(got, want, gaps)
}

func commonPrefix(a, b []string) []string {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return a[:n]
}

func at(s []string, i int) string {
	if i < len(s) {
		return s[i]
	}
	return "(none)"
}

func lastIndex(s []string, x string) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == x {
			return i
		}
	}
	return len(s) - 1
}

func firstLines(msgs []string) []string {
	var out []string
	for _, m := range msgs {
		out = append(out, strings.SplitN(m, "\n", 2)[0])
	}
	return out
}

// A row is one line of the comparison table.
type row struct {
	program, variant         string
	expected, gdb, faultline []string
	gaps                     bool
	verdict                  string
}

// table collects rows from parallel subtests and, when UNWINDLAB_TABLE
// names a file, appends them there as markdown.
type table struct {
	mu   sync.Mutex
	rows []row
}

func (tb *table) add(r row) {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	tb.rows = append(tb.rows, r)
}

func (tb *table) write(t *testing.T) {
	path := os.Getenv("UNWINDLAB_TABLE")
	tb.mu.Lock()
	defer tb.mu.Unlock()
	sort.Slice(tb.rows, func(i, j int) bool {
		if tb.rows[i].program != tb.rows[j].program {
			return tb.rows[i].program < tb.rows[j].program
		}
		return tb.rows[i].variant < tb.rows[j].variant
	})
	var b strings.Builder
	gdbRight, flRight := 0, 0
	for _, r := range tb.rows {
		if r.gdb != nil && judge(r.gdb, r.expected, r.gaps) == "right" {
			gdbRight++
		}
		if r.verdict == "ok" {
			flRight++
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", r.program, r.variant,
			strings.Join(r.expected, " < "), strings.Join(r.gdb, " < "), strings.Join(r.faultline, " < "), r.verdict)
	}
	t.Logf("%d variants: gdb's chain exactly right in %d, faultline passes in %d", len(tb.rows), gdbRight, flRight)
	if path == "" {
		return
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Errorf("UNWINDLAB_TABLE: %v", err)
		return
	}
	defer f.Close()
	fmt.Fprintf(f, "\n%d variants: gdb's chain exactly right in %d, faultline passes in %d\n\n", len(tb.rows), gdbRight, flRight)
	fmt.Fprintln(f, "| program | variant | expected | gdb | faultline | verdict |")
	fmt.Fprintln(f, "|---|---|---|---|---|---|")
	if _, err := f.WriteString(b.String()); err != nil {
		t.Errorf("UNWINDLAB_TABLE: %v", err)
	}
}
