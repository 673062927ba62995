package elfsym_test

import (
	"context"
	"fmt"
	"path"
	"strconv"
	"strings"
	"testing"

	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/elfsym/elfsymtest"
)

// dwarf5Configs: clang 14 writes DWARF 5 by default (DW_FORM_addrx,
// DW_OP_addrx locations through .debug_addr, .debug_str_offsets,
// .debug_rnglists, .debug_loclists); gcc 12 too, with DW_OP_addr; gcc's
// DWARF 4 is the reference that always worked.
var dwarf5Configs = []elfsymtest.LabConfig{
	{Compiler: "clang", Opt: "-O0"},
	{Compiler: "clang", Opt: "-O2"},
	{Compiler: "clang", Opt: "-O2", GCSections: true},
	{Compiler: "clang", Opt: "-Os", CPU: "cortex-m0"},
	{Compiler: "gcc", Opt: "-O2", Extra: []string{"-gdwarf-5"}},
	{Compiler: "gcc", Opt: "-O2", Extra: []string{"-gdwarf-4"}},
}

// TestLabFramesMatchSymbolizers compares Frames at every halfword of the
// lab builds with the compiler's own tools: binutils' addr2line -fi for
// gcc, llvm-symbolizer -fi for clang (binutils 2.40 drops a level of
// clang's inlined calls). Builds with --gc-sections are left out: at flash
// address 0 both tools answer from discarded functions' DWARF
// (TestLabInlineChainAndLines checks those builds).
func TestLabFramesMatchSymbolizers(t *testing.T) {
	for _, c := range dwarf5Configs {
		if c.GCSections {
			continue
		}
		t.Run(c.Name(), func(t *testing.T) {
			_, path := openLab(t, c)
			tool := addr2line
			if c.Compiler == "clang" {
				tool = llvmSymbolizer
			}
			compareWithTool(t, path, c.Opt != "-O0", tool)
		})
	}
}

// llvmSymbolizer runs one llvm-symbolizer -fiC over addrs: per address,
// "function" and "file:line:column" lines per frame, then a blank line.
func llvmSymbolizer(ctx context.Context, elf string, addrs []uint64) ([][]a2lFrame, error) {
	out, err := runSymbolizer(ctx, "llvm-symbolizer", addrs, "--obj="+elf, "-f", "-i", "-C")
	if err != nil {
		return nil, err
	}
	var res [][]a2lFrame
	var cur []a2lFrame
	lines := strings.Split(string(out), "\n")
	for i := 0; i < len(lines); i++ {
		if lines[i] == "" {
			if cur != nil {
				res = append(res, cur)
				cur = nil
			}
			continue
		}
		if i+1 >= len(lines) {
			return nil, fmt.Errorf("llvm-symbolizer: odd output at %q", lines[i])
		}
		fr := a2lFrame{Function: lines[i], File: "??"}
		loc := strings.Split(lines[i+1], ":")
		if len(loc) >= 3 {
			fr.File = path.Base(strings.Join(loc[:len(loc)-2], ":"))
			fr.Line, _ = strconv.Atoi(loc[len(loc)-2])
		}
		if fr.File == "??" {
			fr.Line = 0
		}
		cur = append(cur, fr)
		i++
	}
	if len(res) != len(addrs) {
		return nil, fmt.Errorf("llvm-symbolizer answered %d addresses of %d", len(res), len(addrs))
	}
	return res, nil
}

// labLine is the line number of the first line of lab.c containing text.
func labLine(t *testing.T, file, text string) int {
	t.Helper()
	for i := 1; ; i++ {
		l := sourceLine(t, file, i)
		if l == "" && i > 200 {
			t.Fatalf("%q not in %s", text, file)
		}
		if strings.Contains(l, text) {
			return i
		}
	}
}

// TestLabInlineChainAndLines: the inlined chain inside uses_inline reads
// inl_inner <- inl_outer <- uses_inline with each frame's line at its call
// site, from either compiler's DWARF 5.
func TestLabInlineChainAndLines(t *testing.T) {
	for _, c := range dwarf5Configs {
		if c.Opt == "-O0" {
			continue // inl_inner is not inlined without optimisation
		}
		t.Run(c.Name(), func(t *testing.T) {
			im, _ := openLab(t, c)
			fn := mustSym(t, im, "uses_inline")
			found := false
			for a := fn.Addr; a < fn.Addr+fn.Size && !found; a += 2 {
				fs := im.Frames(a)
				if len(fs) != 3 {
					continue
				}
				found = true
				file := fs[0].File
				want := []struct {
					fn   string
					line int
				}{
					{"inl_inner", 0},
					{"inl_outer", labLine(t, file, "return inl_inner(x + 3) * 2;")},
					{"uses_inline", labLine(t, file, "int a = inl_outer(x);")},
				}
				for i, w := range want {
					if fs[i].Function != w.fn || (w.line != 0 && fs[i].Line != w.line) || fs[i].Inlined != (i < 2) {
						t.Errorf("%#x frame %d = %+v, want %s line %d", a, i, fs[i], w.fn, w.line)
					}
				}
				if l := sourceLine(t, file, fs[0].Line); !strings.Contains(l, "lab_sink") && !strings.Contains(l, "x ^ 5") {
					t.Errorf("%#x: innermost line %d is %q, want a line of inl_inner", a, fs[0].Line, l)
				}
				if fs[2].Entry != fn.Addr {
					t.Errorf("outer frame entry %#x, want uses_inline at %#x", fs[2].Entry, fn.Addr)
				}
			}
			if !found {
				t.Errorf("no address in uses_inline has the 3-deep inlined chain")
			}
			leaf := mustSym(t, im, "leaf")
			fs := im.Frames(leaf.Addr + 2)
			if len(fs) != 1 || fs[0].Function != "leaf" || !strings.HasSuffix(fs[0].File, "lab.c") || fs[0].Line < labLine(t, fs[0].File, "int leaf(int x)") {
				t.Errorf("Frames(leaf+2) = %+v, want leaf in lab.c", fs)
			}
		})
	}
}

// TestLabGlobalsAndTypedPaths: globals placed by DW_OP_addrx (clang) or
// DW_OP_addr (gcc) have their types, and DataAt/Eval name members and
// elements, static locals included.
func TestLabGlobalsAndTypedPaths(t *testing.T) {
	for _, c := range dwarf5Configs {
		t.Run(c.Name(), func(t *testing.T) {
			im, _ := openLab(t, c)
			if w := im.DataWarning(); w != "" {
				t.Errorf("DataWarning = %q", w)
			}
			app := mustVar(t, im, "app")
			if app.Type == nil || app.Type.Name != "app_state" || app.Size != 56 {
				t.Fatalf("app = %+v, want struct app_state of 56 bytes", app)
			}
			words := mustVar(t, im, "lab_words")
			if words.Type == nil || words.Type.Kind != elfsym.KindArray || words.Type.Count != 8 {
				t.Errorf("lab_words type = %v, want an array of 8", words.Type)
			}
			calls := mustVar(t, im, "main::calls")
			if calls.Type == nil || calls.Size != 4 {
				t.Errorf("main::calls = %+v, want a typed 4-byte static local", calls)
			}
			vec := mustVar(t, im, "lab_vectors")
			if vec.Addr != 0 || vec.Type == nil {
				t.Errorf("lab_vectors = %+v, want the typed vector table at address 0", vec)
			}
			mem := imageMem{im}
			for _, tc := range []struct {
				expr string
				off  uint64 // from app
			}{
				{"app.flags", 0},
				{"app.table[2].handler", 4 + 2*12 + 4},
				{"app.table[1].hits", 4 + 12 + 8},
				{"app.reg", 4 + 4*12},
			} {
				addr, typ, err := im.Eval(mem, tc.expr)
				if err != nil || addr != app.Addr+tc.off || typ == nil {
					t.Errorf("Eval(%q) = %#x, %v, %v; want %#x", tc.expr, addr, typ, err, app.Addr+tc.off)
					continue
				}
				if p, _, ok := im.DataAt(addr); !ok || p != tc.expr {
					t.Errorf("DataAt(%#x) = %q, want %q", addr, p, tc.expr)
				}
			}
			// app.reg's initial value (in flash) points at lab_words[3].
			addr, _, err := im.Eval(mem, "*app.reg")
			if err != nil || addr != words.Addr+12 {
				t.Errorf("Eval(*app.reg) = %#x, %v; want lab_words[3] at %#x", addr, err, words.Addr+12)
			}
			if p, _, _ := im.DataAt(words.Addr + 12); p != "lab_words[3]" {
				t.Errorf("DataAt(lab_words+12) = %q", p)
			}
			if p, _, _ := im.DataAt(calls.Addr); p != "main::calls" {
				t.Errorf("DataAt(main::calls) = %q", p)
			}
		})
	}
}
