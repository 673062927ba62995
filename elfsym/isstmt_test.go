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
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/elfsym/elfsymtest"
	"github.com/faultline-dev/faultline/elfsym/indexcache"
	"github.com/faultline-dev/faultline/firmware/unwindlab"
)

// sharedRow is a run of line rows of one sequence at one address, read
// with debug/dwarf: the last row's file:line (what binutils and
// llvm-symbolizer answer) and the last statement row's (is_stmt; what gdb
// answers), and the addresses [lo, hi) the run covers. When the last row
// is not a statement, hi takes in the single rows after it of its
// file:line that have a discriminator: gdb records no row of a line it
// recorded last once that line had a non-zero discriminator (PR 17276),
// so those addresses still get the statement's line; they start at more.
type sharedRow struct {
	lo, hi         uint64
	more           []uint64
	last, lastStmt a2lFrame // Function unset; lastStmt.Line 0 when no row is a statement
	rows           int
}

// sharedRows returns every run of two or more rows at one address in the
// line sequences of path that do not start at 0 (those of functions the
// linker discarded, which elfsym drops).
func sharedRows(t *testing.T, path string) []sharedRow {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d, err := f.DWARF()
	if err != nil {
		t.Fatal(err)
	}
	var out []sharedRow
	r := d.Reader()
	for {
		cu, err := r.Next()
		if err != nil {
			t.Fatal(err)
		}
		if cu == nil {
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
			for i := 0; seq[0].Address != 0 && i < len(seq)-1; {
				j := i
				s := sharedRow{lo: seq[i].Address}
				for ; j < len(seq)-1 && seq[j].Address == s.lo; j++ {
					fr := a2lFrame{File: path2base(seq[j].File), Line: seq[j].Line}
					s.last = fr
					if seq[j].IsStmt {
						s.lastStmt = fr
					}
				}
				s.rows = j - i
				for ; !seq[j-1].IsStmt && j < len(seq)-2 && seq[j+1].Address != seq[j].Address && !seq[j].IsStmt &&
					seq[j].Discriminator != 0 && path2base(seq[j].File) == s.last.File && seq[j].Line == s.last.Line; j++ {
					s.more = append(s.more, seq[j].Address)
				}
				s.hi = seq[j].Address
				if s.rows > 1 {
					out = append(out, s)
				}
				i = j
			}
			seq = seq[:0]
		}
	}
	return out
}

// gdbInfoLine runs ONE gdb over all addrs and returns, for each, the
// file base name and line of `info line *addr` ("" and 0 when gdb has no
// line there).
func gdbInfoLine(ctx context.Context, elfPath string, addrs []uint64) ([]a2lFrame, error) {
	gdb, err := exec.LookPath("gdb-multiarch")
	if err != nil {
		return nil, fmt.Errorf("gdb-multiarch not found: run scripts/setup.sh")
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	args := []string{"-batch", "-nx"}
	for _, a := range addrs {
		// A marker line before each answer: gdb's answer is one line, but
		// tying each to its address must not depend on that.
		args = append(args, "-ex", fmt.Sprintf("echo @@%#x\\n", a), "-ex", fmt.Sprintf("info line *%#x", a))
	}
	out, err := exec.CommandContext(ctx, gdb, append(args, elfPath)...).CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("gdb: %w\n%s", err, out)
	}
	lineRE := regexp.MustCompile(`^Line (\d+) of "([^"]+)"`)
	res := make([]a2lFrame, 0, len(addrs))
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		l := sc.Text()
		if strings.HasPrefix(l, "@@") {
			res = append(res, a2lFrame{})
			continue
		}
		if m := lineRE.FindStringSubmatch(l); m != nil && len(res) > 0 {
			n, _ := strconv.Atoi(m[1])
			res[len(res)-1] = a2lFrame{File: path.Base(m[2]), Line: n}
		}
	}
	if len(res) != len(addrs) {
		return nil, fmt.Errorf("gdb answered %d addresses, asked %d:\n%s", len(res), len(addrs), out)
	}
	return res, nil
}

// Where several rows of a line sequence share an address, the line there
// is gdb's: the last statement row's (is_stmt), not the last row's as in
// addr2line. gcc -O2 (-gstatement-frontiers, view numbering) puts a
// statement and then rows that are not statements at one address; the
// statement is the source line that starts there, the one a crash report
// leads with. Checked at every such address of lab builds, with the index
// built whole, lazily (whole units, or rows picked for a few addresses)
// and loaded from a saved index.
func TestLineAtSharedAddressIsGDBs(t *testing.T) {
	type build struct{ prog, variant string }
	var builds []build
	for _, prog := range []string{"ccm_task", "tailcall", "isr_preempt", "bigram_thread", "deep_nest", "nl_qsort", "cxx_sort", "eh_pipeline"} {
		for _, v := range []string{"gcc-O2", "gcc-Os", "clang-O2"} {
			builds = append(builds, build{prog, v})
		}
	}
	exp, err := unwindlab.Expected()
	if err != nil {
		t.Fatal(err)
	}
	images := map[string]elfsymtest.Builder{}
	for _, b := range builds {
		if _, ok := exp[b.prog].Variants[b.variant]; !ok {
			continue
		}
		images[b.prog+"-"+b.variant] = func(ctx context.Context) (string, error) { return unwindlab.ELF(ctx, b.prog, b.variant) }
	}
	if len(images) < 8 {
		t.Fatalf("%d lab builds found, want at least 8", len(images))
	}
	var total, differ atomic.Int64
	// The builds must hold the case at all, or the test proves nothing
	// (checked once the parallel subtests are done).
	t.Cleanup(func() {
		if !t.Failed() && differ.Load() == 0 {
			t.Errorf("no address of %d where the last row's line differs from gdb's: the builds no longer test the rule", total.Load())
		}
	})
	elfsymtest.OnEach(t, images, func(t *testing.T, elfPath string) {
		shared := sharedRows(t, elfPath)
		var addrs []uint64
		var of []sharedRow // the run of each address
		for _, s := range shared {
			for _, a := range append([]uint64{s.lo}, s.more...) {
				addrs, of = append(addrs, a), append(of, s)
			}
		}
		want, err := gdbInfoLine(t.Context(), elfPath, addrs)
		if err != nil {
			t.Fatal(err)
		}
		lastIsGDBs := map[uint64]bool{}
		for i, s := range of {
			lastIsGDBs[addrs[i]] = s.last == want[i]
		}
		for _, how := range []string{"built", "lazy", "prepared", "cached"} {
			im := openHow(t, elfPath, how)
			if how == "prepared" {
				// Units indexed only for these addresses' functions
				// (rows picked as read, readLinesPick).
				im.Prepare(addrs)
			}
			bad := 0
			for i, a := range addrs {
				if want[i].Line == 0 {
					continue // gdb has no line here (a row of line 0)
				}
				fs := im.Frames(a)
				var got a2lFrame
				if len(fs) > 0 && fs[0].File != "" {
					got = a2lFrame{File: path.Base(fs[0].File), Line: fs[0].Line}
				}
				if got != want[i] {
					if bad++; bad <= 10 {
						t.Errorf("%s: %#x: line %s:%d, gdb %s:%d (rows there: last %+v, last statement %+v)",
							how, a, got.File, got.Line, want[i].File, want[i].Line, of[i].last, of[i].lastStmt)
					}
				}
			}
			if bad > 0 {
				t.Errorf("%s: %d of %d shared-address lines differ from gdb", how, bad, len(addrs))
			}
		}
		n := 0
		for _, ok := range lastIsGDBs {
			if !ok {
				n++
			}
		}
		total.Add(int64(len(addrs)))
		differ.Add(int64(n))
		t.Logf("%d addresses with several rows (or after them, of their line); at %d of them the last row's line is not gdb's", len(addrs), n)
	})
}

// openHow opens elfPath with its index built whole ("built"), unit by unit
// as lookups need them ("lazy", "prepared"), or loaded from a saved index
// ("cached").
func openHow(t *testing.T, elfPath, how string) *elfsym.Image {
	t.Helper()
	var opts elfsym.Options
	switch how {
	case "lazy", "prepared":
		opts.Lazy = true
	case "cached":
		opts.Cache = &indexcache.Dir{Path: t.TempDir()}
		first, err := elfsym.OpenWith(elfPath, opts) // stores the index
		if err != nil {
			t.Fatal(err)
		}
		first.Close()
	}
	im, err := elfsym.OpenWith(elfPath, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { im.Close() })
	if how == "cached" && !im.FromCache() {
		t.Fatal("second open with a cache did not load the saved index")
	}
	return im
}
