package elfsym_test

import (
	"bufio"
	"bytes"
	"context"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/elfsym/elfsymtest"
)

// An insn is one instruction from arm-none-eabi-objdump -d.
type insn struct {
	addr, size uint64
	mnemonic   string
	target     string // symbol in "<name>" of a direct branch, "" otherwise
}

// disassemble returns the instructions of elf's code by end address.
func disassemble(t *testing.T, elf string) map[uint64]insn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "arm-none-eabi-objdump", "-d", "--no-show-raw-insn=no", elf).Output()
	if err != nil {
		out, err = exec.CommandContext(ctx, "arm-none-eabi-objdump", "-d", elf).Output()
		if err != nil {
			t.Fatalf("objdump -d: %v", err)
		}
	}
	ends := map[uint64]insn{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if len(f) < 3 || !strings.HasSuffix(f[0], ":") {
			continue
		}
		addr, err := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(f[0], ":")), 16, 64)
		if err != nil {
			continue
		}
		words := strings.Fields(f[1])
		if len(words) == 0 || len(words[0]) != 4 {
			continue // data (.word) or ARM code
		}
		in := insn{addr: addr, size: uint64(2 * len(words)), mnemonic: strings.TrimSpace(f[2])}
		if len(f) > 3 {
			if i, j := strings.Index(f[3], "<"), strings.Index(f[3], ">"); i >= 0 && j > i && !strings.Contains(f[3][i:j], "+") {
				in.target = f[3][i+1 : j]
			}
		}
		ends[addr+in.size] = in
	}
	return ends
}

// allCallSites enumerates the index through CallSiteAt at every halfword of
// code (and just past it).
func allCallSites(im *elfsym.Image) []elfsym.CallSite {
	var out []elfsym.CallSite
	for _, s := range im.Sections() {
		if !s.Exec {
			continue
		}
		for a := s.Addr; a <= s.Addr+s.Size; a += 2 {
			if c, ok := im.CallSiteAt(a | 1); ok {
				out = append(out, c)
			}
		}
	}
	return out
}

var callSiteConfigs = []elfsymtest.LabConfig{
	{Compiler: "gcc", Opt: "-O2"},                                       // DW_TAG_call_site, DW_AT_call_return_pc
	{Compiler: "gcc", Opt: "-O2", Extra: []string{"-gdwarf-4"}},         // DW_TAG_GNU_call_site
	{Compiler: "gcc", Opt: "-O2", GCSections: true},                     // never_called's site relocated near 0
	{Compiler: "gcc", Opt: "-Os", CPU: "cortex-m4"},                     // -Os; v6-M is left out: gcc makes no sibling calls in Thumb-1
	{Compiler: "clang", Opt: "-O2"},                                     // DW_AT_call_pc only, tail calls
	{Compiler: "clang", Opt: "-O2", GCSections: true},                   // discarded main, never_called
	{Compiler: "clang", Opt: "-O3", CPU: "cortex-m4", GCSections: true}, // v7E-M
}

// TestCallSitesPointAfterBranches checks every call site against the
// disassembly: the instruction ending at ReturnPC is a call or branch
// (so no site of a discarded function aliases real code), a direct one
// goes to TargetName, Caller is the function holding it.
func TestCallSitesPointAfterBranches(t *testing.T) {
	for _, c := range callSiteConfigs {
		t.Run(c.Name(), func(t *testing.T) {
			im, path := openLab(t, c)
			if w := im.CallSiteWarning(); w != "" {
				t.Errorf("CallSiteWarning = %q", w)
			}
			ends := disassemble(t, path)
			sites := allCallSites(im)
			tails := 0
			for _, cs := range sites {
				in, ok := ends[cs.ReturnPC]
				if !ok || !(strings.HasPrefix(in.mnemonic, "b")) {
					t.Errorf("site %+v: instruction ending at %#x is %+v, want a branch", cs, cs.ReturnPC, in)
					continue
				}
				if in.target != "" && cs.Target != 0 && in.target != cs.TargetName {
					t.Errorf("site %+v: branch goes to %s", cs, in.target)
				}
				if cs.Target != 0 {
					if s, off, ok := im.SymbolAt(cs.Target); !ok || off != 0 || s.Name != cs.TargetName {
						t.Errorf("site %+v: Target is %+v+%d, want the entry of %s", cs, s, off, cs.TargetName)
					}
				}
				if entry, _, ok := im.FuncEntry(in.addr); !ok || entry != cs.Caller {
					t.Errorf("site %+v: FuncEntry(branch) = %#x, want Caller", cs, entry)
				}
				if in.mnemonic == "bl" || in.mnemonic == "blx" {
					if cs.Tail {
						t.Errorf("site %+v: a %s is not a tail call", cs, in.mnemonic)
					}
				} else if !cs.Tail {
					t.Errorf("site %+v: %s is a branch without return, want Tail", cs, in.mnemonic)
				}
				if cs.Tail {
					tails++
					found := false
					for _, tc := range im.TailCalls(cs.Caller) {
						found = found || tc == cs
					}
					if !found {
						t.Errorf("TailCalls(%#x) misses %+v", cs.Caller, cs)
					}
				}
			}
			if tails < 2 {
				t.Errorf("%d tail-call sites, want middle's and dispatch's", tails)
			}
		})
	}
}

// TestTailCallsOfLab pins the two deliberate tail calls: middle ends in
// "return leaf(x + 1)" (direct) and dispatch in a call through app.table
// (indirect: no target).
func TestTailCallsOfLab(t *testing.T) {
	for _, c := range callSiteConfigs {
		t.Run(c.Name(), func(t *testing.T) {
			im, _ := openLab(t, c)
			middle, leaf, dispatch := mustSym(t, im, "middle"), mustSym(t, im, "leaf"), mustSym(t, im, "dispatch")
			tc := im.TailCalls(middle.Addr | 1)
			if len(tc) != 1 || tc[0].Target != leaf.Addr || tc[0].TargetName != "leaf" || !tc[0].Tail || tc[0].Caller != middle.Addr ||
				tc[0].ReturnPC <= middle.Addr || tc[0].ReturnPC > middle.Addr+middle.Size {
				t.Fatalf("TailCalls(middle) = %+v, want one tail call to leaf at %#x inside middle", tc, leaf.Addr)
			}
			if cs, ok := im.CallSiteAt(tc[0].ReturnPC | 1); !ok || cs != tc[0] {
				t.Errorf("CallSiteAt(%#x) = %+v, %v", tc[0].ReturnPC, cs, ok)
			}
			tc = im.TailCalls(dispatch.Addr)
			if len(tc) != 1 || tc[0].Target != 0 || tc[0].TargetName != "" || !tc[0].Tail {
				t.Errorf("TailCalls(dispatch) = %+v, want one indirect tail call", tc)
			}
			if tc := im.TailCalls(leaf.Addr); len(tc) != 0 {
				t.Errorf("TailCalls(leaf) = %+v, want none", tc)
			}
		})
	}
}

// TestCallSiteAtOrdinaryCall: gcc describes every call; main's call of
// top resolves its origin (a subprogram DIE) to top's entry.
func TestCallSiteAtOrdinaryCall(t *testing.T) {
	for _, c := range callSiteConfigs[:3] {
		t.Run(c.Name(), func(t *testing.T) {
			im, _ := openLab(t, c)
			top, mainFn := mustSym(t, im, "top"), mustSym(t, im, "main")
			var found []elfsym.CallSite
			for _, cs := range allCallSites(im) {
				if cs.Target == top.Addr {
					found = append(found, cs)
				}
			}
			ok := false
			for _, cs := range found {
				ok = ok || (cs.Caller == mainFn.Addr && !cs.Tail && cs.TargetName == "top")
			}
			if !ok {
				t.Errorf("calls of top = %+v, want one from main", found)
			}
		})
	}
}

// TestFuncEntryThroughInlines: inside inlined code the entry is the
// concrete function's; without DWARF (eh.s) the symbol's.
func TestFuncEntryThroughInlines(t *testing.T) {
	im, _ := openLab(t, elfsymtest.LabConfig{Compiler: "clang", Opt: "-O2"})
	fn := mustSym(t, im, "uses_inline")
	inlined := 0
	for a := fn.Addr; a < fn.Addr+fn.Size; a += 2 {
		entry, name, ok := im.FuncEntry(a | 1)
		if !ok || entry != fn.Addr || name != "uses_inline" {
			t.Errorf("FuncEntry(%#x) = %#x %q %v, want uses_inline", a, entry, name, ok)
		}
		if fs := im.Frames(a); len(fs) > 1 {
			inlined++
		}
	}
	if inlined == 0 {
		t.Errorf("no inlined code in uses_inline: the test proves nothing")
	}
	eh := mustSym(t, im, "eh_func")
	if entry, name, ok := im.FuncEntry(eh.Addr + 4); !ok || entry != eh.Addr || name != "eh_func" {
		t.Errorf("FuncEntry(eh_func+4) = %#x %q %v", entry, name, ok)
	}
	if _, _, ok := im.FuncEntry(0xfffffff0); ok {
		t.Errorf("FuncEntry outside code found a function")
	}
}
