package crashlab

import (
	"github.com/faultline-dev/faultline/firmware/internal/armbuild"

	"context"
	"debug/dwarf"
	"debug/elf"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ianlancetaylor/demangle"
)

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func TestEveryProgramBuildsForEveryBoardWithDWARF(t *testing.T) {
	ctx := testContext(t)
	progs, boards := Programs(), Boards()
	if len(progs) < 12 || len(boards) != 2 {
		t.Fatalf("Programs() = %v, Boards() = %v: want at least 12 programs and 2 boards", progs, boards)
	}
	for _, b := range boards {
		for _, p := range progs {
			path, err := ELF(ctx, b, p)
			if err != nil {
				t.Fatalf("ELF(%s, %s): %v", b, p, err)
			}
			if !filepath.IsAbs(path) {
				t.Errorf("ELF(%s, %s) = %q: not absolute", b, p, path)
			}
			f, err := elf.Open(path)
			if err != nil {
				t.Fatalf("open %s: %v", path, err)
			}
			if f.Machine != elf.EM_ARM {
				t.Errorf("%s: machine %v, want EM_ARM", path, f.Machine)
			}
			if _, err := f.DWARF(); err != nil {
				t.Errorf("%s: no DWARF: %v", path, err)
			}
			for _, sec := range []string{".debug_frame", ".debug_line", ".note.gnu.build-id"} {
				if f.Section(sec) == nil {
					t.Errorf("%s: no %s section", path, sec)
				}
			}
			f.Close()
		}
	}
}

func TestParallelCallersShareOneBuild(t *testing.T) {
	ctx := testContext(t)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := ELF(ctx, "mps2-an385", "divzero")
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestConcurrentMakeRunsAreSerialisedByTheLock(t *testing.T) {
	// Two direct make calls stand in for two test processes: both must
	// succeed (the second waits on the flock, then finds nothing to do).
	dir, err := Dir()
	if err != nil {
		t.Fatal(err)
	}
	ctx := testContext(t)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = armbuild.Make(ctx, dir, "crashlab")
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestELFRejectsUnknownNames(t *testing.T) {
	ctx := testContext(t)
	for _, tc := range []struct{ board, program, want string }{
		{"stm32f4", "divzero", "unknown board"},
		{"netduino2", "nosuch", "unknown program"},
		{"netduino2", "../divzero", "unknown program"},
	} {
		if _, err := ELF(ctx, tc.board, tc.program); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ELF(%q, %q) error = %v, want %q", tc.board, tc.program, err, tc.want)
		}
	}
}

func TestMissingCompilerSaysRunSetup(t *testing.T) {
	dir, err := Dir()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", t.TempDir())
	err = armbuild.Make(context.Background(), dir, "crashlab")
	if err == nil || !strings.Contains(err.Error(), "scripts/setup.sh") {
		t.Fatalf("make without tools: %v, want a pointer to scripts/setup.sh", err)
	}
}

func TestExpectedCoversEveryProgramOnEveryBoard(t *testing.T) {
	exp, err := Expected()
	if err != nil {
		t.Fatal(err)
	}
	progs, boards := Programs(), Boards()
	for prog, byBoard := range exp {
		if !contains(progs, prog) {
			t.Errorf("expected.json names program %q, which does not exist", prog)
		}
		for board := range byBoard {
			if !contains(boards, board) {
				t.Errorf("expected.json: %s names board %q, which does not exist", prog, board)
			}
		}
	}
	for _, p := range progs {
		for _, b := range boards {
			if _, ok := exp[p][b]; !ok {
				t.Errorf("expected.json has no entry for %s on %s", p, b)
			}
		}
	}
}

// functionNames collects every name a frame can have in an ELF: DWARF
// subprogram names (inlined functions have no symbol) and demangled symbols.
func functionNames(t *testing.T, path string) map[string]bool {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	names := map[string]bool{}
	syms, err := f.Symbols()
	if err != nil {
		t.Fatalf("%s: symbols: %v", path, err)
	}
	for _, s := range syms {
		if elf.ST_TYPE(s.Info) == elf.STT_FUNC {
			names[s.Name] = true
			names[demangle.Filter(s.Name)] = true
		}
	}
	d, err := f.DWARF()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	r := d.Reader()
	for {
		e, err := r.Next()
		if err != nil {
			t.Fatalf("%s: read DWARF: %v", path, err)
		}
		if e == nil {
			break
		}
		if e.Tag == dwarf.TagSubprogram {
			if n, ok := e.Val(dwarf.AttrName).(string); ok {
				names[n] = true
			}
		}
	}
	return names
}

func TestExpectedFramesAndHandlersExistInTheELF(t *testing.T) {
	ctx := testContext(t)
	exp, err := Expected()
	if err != nil {
		t.Fatal(err)
	}
	for prog, byBoard := range exp {
		for board, e := range byBoard {
			path, err := ELF(ctx, board, prog)
			if err != nil {
				t.Fatal(err)
			}
			names := functionNames(t, path)
			for _, fn := range e.Frames {
				if fn != "??" && !names[fn] {
					t.Errorf("%s on %s: frame %q is no function of %s", prog, board, fn, path)
				}
			}
			if e.Handler != "" && !names[e.Handler] {
				t.Errorf("%s on %s: handler %q is no function of %s", prog, board, e.Handler, path)
			}
			wantStart := "crashlab: " + prog + " on " + board + ": start"
			if len(e.Console) == 0 || e.Console[0] != wantStart {
				t.Errorf("%s on %s: console starts %q, want %q", prog, board, e.Console, wantStart)
			}
		}
	}
}

func TestParseExpectedRejectsBadEntries(t *testing.T) {
	for _, tc := range []struct{ name, json, want string }{
		{"bad json", `{`, "unexpected"},
		{"wrong schema", `{"schema":"x","programs":{}}`, "schema"},
		{"no programs", `{"schema":"crashlab.expected/v1"}`, "no programs"},
		{"unknown exception", `{"schema":"crashlab.expected/v1","programs":{"p":{"b":{"exception":"Oops"}}}}`, "unknown exception"},
		{"unknown cause", `{"schema":"crashlab.expected/v1","programs":{"p":{"b":{"exception":"HardFault","causes":["FOO"]}}}}`, "unknown CFSR cause"},
		{"forced usagefault", `{"schema":"crashlab.expected/v1","programs":{"p":{"b":{"exception":"UsageFault","causes":["INVSTATE"],"forced":true,"frames":["f"],"handler":"h"}}}}`, "forced"},
		{"bad address", `{"schema":"crashlab.expected/v1","programs":{"p":{"b":{"exception":"BusFault","causes":["PRECISERR"],"fault_address":"60000000","frames":["f"],"handler":"h"}}}}`, "fault_address"},
		{"none with details", `{"schema":"crashlab.expected/v1","programs":{"p":{"b":{"exception":"None","causes":["PRECISERR"]}}}}`, "None"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseExpected([]byte(tc.json))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("parseExpected: %v, want error containing %q", err, tc.want)
			}
		})
	}
}

func TestDirIsFoundFromAnotherWorkingDirectory(t *testing.T) {
	want, err := Dir()
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(os.TempDir())
	got, err := Dir()
	if err != nil || got != want {
		t.Fatalf("Dir() from %s = %q, %v; want %q", os.TempDir(), got, err, want)
	}
}

func FuzzParseExpected(f *testing.F) {
	if dir, err := Dir(); err == nil {
		if data, err := os.ReadFile(filepath.Join(dir, "expected.json")); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(`{"schema":"crashlab.expected/v1","programs":{"p":{"b":{"exception":"None"}}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		progs, err := parseExpected(data)
		if err != nil {
			return
		}
		for _, byBoard := range progs {
			for _, e := range byBoard {
				if err := e.check(); err != nil {
					t.Fatalf("parseExpected accepted an entry check rejects: %v", err)
				}
			}
		}
	})
}
