package elfsym_test

import (
	"bufio"
	"bytes"
	"context"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/elfsym/elfsymtest"
	"github.com/go-delve/delve/pkg/dwarf/frame"
)

func openLab(t testing.TB, c elfsymtest.LabConfig) (*elfsym.Image, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	path, err := elfsymtest.Lab(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	im, err := elfsym.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { im.Close() })
	return im, path
}

// labConfigs are the lab builds every cross-check runs on: both compilers
// (clang writes version 4 CIEs), optimised and not, and with
// --gc-sections, which leaves discarded functions' FDEs at address 0 where
// this image's flash starts.
var labConfigs = []elfsymtest.LabConfig{
	{Compiler: "gcc", Opt: "-O0"},
	{Compiler: "gcc", Opt: "-O2"},
	{Compiler: "gcc", Opt: "-O2", GCSections: true},
	{Compiler: "gcc", Opt: "-Os", GCSections: true, Extra: []string{"-gdwarf-4"}},
	{Compiler: "clang", Opt: "-O0"},
	{Compiler: "clang", Opt: "-O2"},
	{Compiler: "clang", Opt: "-O2", GCSections: true},
	{Compiler: "clang", Opt: "-O3", CPU: "cortex-m0", GCSections: true},
	{Compiler: "clang", Opt: "-O2", CPU: "cortex-m33"},
}

// An objdumpRow is one row of arm-none-eabi-objdump --dwarf=frames-interp.
type objdumpRow struct {
	section    string
	loc, next  uint64 // next: the following row's loc or the FDE's end
	cfa        string // "r13+8"
	regs       map[uint64]string
	fdeBegin   uint64
	fdeEnd     uint64
	fdeComment string
}

// objdumpFrames runs objdump's CFI interpreter (binutils, independent of
// elfsym and delve) and returns every row of every FDE.
func objdumpFrames(t *testing.T, elf string) []objdumpRow {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "arm-none-eabi-objdump", "--dwarf=frames-interp", elf).Output()
	if err != nil {
		t.Fatalf("objdump --dwarf=frames-interp: %v", err)
	}
	var rows []objdumpRow
	var section string
	var begin, end uint64
	var cols []string
	inFDE := false
	var fdeRows []objdumpRow
	flush := func() {
		for i := range fdeRows {
			fdeRows[i].next = end
			if i+1 < len(fdeRows) {
				fdeRows[i].next = fdeRows[i+1].loc
			}
		}
		rows = append(rows, fdeRows...)
		fdeRows = nil
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		f := strings.Fields(line)
		switch {
		case strings.HasPrefix(line, "Contents of the "):
			flush()
			section = strings.Fields(line)[3]
		case strings.Contains(line, " FDE cie="):
			flush()
			cols, inFDE = nil, true
			pc := f[len(f)-1]
			if _, err := fmt.Sscanf(pc, "pc=%x..%x", &begin, &end); err != nil {
				t.Fatalf("objdump line %q: %v", line, err)
			}
		case strings.Contains(line, " CIE"):
			flush()
			cols, inFDE = nil, false
		case inFDE && len(f) > 1 && f[0] == "LOC" && f[1] == "CFA":
			cols = f[2:]
		case cols != nil && len(f) == len(cols)+2:
			loc, err := strconv.ParseUint(f[0], 16, 64)
			if err != nil {
				continue
			}
			r := objdumpRow{section: section, loc: loc, cfa: f[1], regs: map[uint64]string{}, fdeBegin: begin, fdeEnd: end}
			for i, c := range cols {
				switch {
				case c == "ra":
					r.regs[14] = f[i+2]
				case strings.HasPrefix(c, "r"):
					if n, err := strconv.Atoi(c[1:]); err == nil && n <= 15 {
						r.regs[uint64(n)] = f[i+2]
					}
				}
			}
			fdeRows = append(fdeRows, r)
		}
	}
	flush()
	return rows
}

// describeRule renders our rule in objdump's notation.
func describeRule(rule frame.DWRule, ok bool) string {
	if !ok {
		return "u"
	}
	switch rule.Rule {
	case frame.RuleUndefined:
		return "u"
	case frame.RuleSameVal:
		return "s"
	case frame.RuleOffset:
		return fmt.Sprintf("c%+d", rule.Offset)
	case frame.RuleValOffset:
		return fmt.Sprintf("v%+d", rule.Offset)
	case frame.RuleRegister:
		return fmt.Sprintf("r%d", rule.Reg)
	case frame.RuleExpression:
		return "exp"
	case frame.RuleValExpression:
		return "vexp"
	}
	return fmt.Sprintf("rule%d", rule.Rule)
}

func describeCFA(fc *frame.FrameContext) string {
	if fc.CFA.Rule == frame.RuleExpression {
		return "exp"
	}
	return fmt.Sprintf("r%d%+d", fc.CFA.Reg, fc.CFA.Offset)
}

// TestFrameContextMatchesObjdump checks every row of every FDE (at its
// first and last halfword) of gcc and clang builds, .debug_frame and
// .eh_frame, against binutils' interpreter. FDEs that start at 0 belong
// to discarded functions in these images (flash starts at 0, no function
// does) and are skipped; the real FDEs they overlap must still win.
func TestFrameContextMatchesObjdump(t *testing.T) {
	for _, c := range labConfigs {
		t.Run(c.Name(), func(t *testing.T) {
			im, path := openLab(t, c)
			rows := objdumpFrames(t, path)
			debugCovers := func(pc uint64) bool {
				for _, r := range rows {
					if r.section == ".debug_frame" && r.fdeBegin != 0 && pc >= r.fdeBegin && pc < r.fdeEnd {
						return true
					}
				}
				return false
			}
			checked, eh := 0, 0
			for _, r := range rows {
				if r.fdeBegin == 0 {
					continue
				}
				if r.section == ".eh_frame" {
					if debugCovers(r.loc) {
						continue
					}
					eh++
				}
				for _, pc := range []uint64{r.loc, (r.next - 2) &^ 1} {
					if pc < r.loc {
						continue
					}
					fc, err := im.FrameContext(pc | 1)
					if err != nil {
						t.Errorf("%s FrameContext(%#x) = %v, want row %s %v", r.section, pc, err, r.cfa, r.regs)
						continue
					}
					checked++
					if got := describeCFA(fc); got != r.cfa {
						t.Errorf("%s pc %#x (FDE %#x..%#x): CFA %s, objdump says %s", r.section, pc, r.fdeBegin, r.fdeEnd, got, r.cfa)
					}
					if fc.RetAddrReg != 14 {
						t.Errorf("pc %#x: return address register %d, want 14", pc, fc.RetAddrReg)
					}
					for reg, want := range r.regs {
						rule, ok := fc.Regs[reg]
						if got := describeRule(rule, ok); got != want && !(want == "s" && got == "u") {
							t.Errorf("%s pc %#x (FDE %#x..%#x): r%d rule %s, objdump says %s", r.section, pc, r.fdeBegin, r.fdeEnd, reg, got, want)
						}
					}
					// No rule objdump does not know about either.
					for reg, rule := range fc.Regs {
						if _, known := r.regs[reg]; !known && reg <= 15 && rule.Rule != frame.RuleUndefined {
							t.Errorf("pc %#x: extra rule for r%d: %s", pc, reg, describeRule(rule, true))
						}
					}
				}
			}
			if checked < 20 || eh == 0 {
				t.Errorf("checked %d rows (%d from .eh_frame): want the whole program's CFI, eh_func's from .eh_frame", checked, eh)
			}
		})
	}
}

// TestFrameContextRowsCheckedByHand pins rows read by hand from
// llvm-dwarfdump --debug-frame and objdump --dwarf=frames-interp, named by
// function and offset so a layout change does not break them.
func TestFrameContextRowsCheckedByHand(t *testing.T) {
	type want struct {
		fn     string
		off    uint64
		cfaReg uint64
		cfaOff int64
		lr     int64 // LR saved at CFA+lr; 0: LR not saved (still in the register)
	}
	tests := []struct {
		cfg  elfsymtest.LabConfig
		rows []want
	}{
		{elfsymtest.LabConfig{Compiler: "clang", Opt: "-O2", GCSections: true}, []want{
			{"leaf", 0, 13, 0, 0},      // overlapped by never_called's FDE at 0: would say r7+8
			{"middle", 4, 13, 0, 0},    // leaf-like, ends in a tail call
			{"top", 0, 13, 0, 0},       // push {r7, lr}
			{"top", 2, 13, 8, -4},      // add r7, sp, #0
			{"top", 4, 7, 8, -4},       // frame pointer from here on
			{"eh_func", 2, 13, 12, -4}, // .eh_frame only
			{"eh_func", 4, 13, 32, -4},
		}},
		{elfsymtest.LabConfig{Compiler: "gcc", Opt: "-O2", GCSections: true}, []want{
			{"leaf", 0, 13, 0, 0}, // overlapped by never_called's and board_init's discarded FDEs
			{"leaf", 8, 13, 0, 0},
			{"middle", 0, 13, 0, 0},
			{"big_frame", 4, 13, 256, 0}, // sub sp, #256
			{"big_frame", 0x26, 13, 0, 0},
			{"top", 2, 13, 8, -4}, // push {r3, lr}
			{"eh_func", 4, 13, 32, -4},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.cfg.Name(), func(t *testing.T) {
			im, _ := openLab(t, tc.cfg)
			for _, w := range tc.rows {
				s := mustSym(t, im, w.fn)
				fc, err := im.FrameContext(s.Addr + w.off)
				if err != nil {
					t.Errorf("%s+%d: %v", w.fn, w.off, err)
					continue
				}
				if fc.CFA.Rule != frame.RuleCFA || fc.CFA.Reg != w.cfaReg || fc.CFA.Offset != w.cfaOff {
					t.Errorf("%s+%d: CFA %s, want r%d%+d", w.fn, w.off, describeCFA(fc), w.cfaReg, w.cfaOff)
				}
				rule, ok := fc.Regs[14]
				switch {
				case w.lr == 0 && ok && rule.Rule != frame.RuleUndefined:
					t.Errorf("%s+%d: LR rule %s, want LR not saved", w.fn, w.off, describeRule(rule, ok))
				case w.lr != 0 && (!ok || rule.Rule != frame.RuleOffset || rule.Offset != w.lr):
					t.Errorf("%s+%d: LR rule %s, want c%+d", w.fn, w.off, describeRule(rule, ok), w.lr)
				}
			}
		})
	}
}

// TestFrameContextNoFDEForDiscardedCode: an address that only a discarded
// function's FDE (relocated to 0) covers has no CFI; it must not borrow the
// discarded function's rows.
func TestFrameContextNoFDEForDiscardedCode(t *testing.T) {
	im, _ := openLab(t, elfsymtest.LabConfig{Compiler: "gcc", Opt: "-O2", GCSections: true})
	// The vector table at 0 lies under the discarded FDEs and is no
	// function.
	if fc, err := im.FrameContext(4); !errors.Is(err, elfsym.ErrNoCFI) {
		t.Errorf("FrameContext(4) in the vector table = %+v, %v; want ErrNoCFI", fc, err)
	}
}

// sectionBytes returns the file offset and size of an ELF section.
func sectionBytes(t *testing.T, data []byte, name string) (off, size int) {
	t.Helper()
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	s := f.Section(name)
	if s == nil {
		t.Fatalf("no section %s", name)
	}
	return int(s.Offset), int(s.Size)
}

// fdeOffset finds the .debug_frame record of the FDE starting at begin
// (32-bit DWARF, CIE version 1, 3 or 4 with 4-byte addresses: the
// initial location follows the CIE pointer).
func fdeOffset(t *testing.T, sec []byte, begin uint64) int {
	t.Helper()
	for off := 0; off+16 <= len(sec); {
		n := int(binary.LittleEndian.Uint32(sec[off:]))
		if binary.LittleEndian.Uint32(sec[off+4:]) != 0xffffffff && uint64(binary.LittleEndian.Uint32(sec[off+8:])) == begin {
			return off
		}
		off += 4 + n
	}
	t.Fatalf("no FDE at %#x", begin)
	return 0
}

// TestFrameContextGarbageCFI damages .debug_frame in the ways a bad
// flash dump or a buggy tool does: each opens with a warning, FrameContext
// answers with an error (never a row from the damaged bytes, never a
// panic), and undamaged FDEs still work.
func TestFrameContextGarbageCFI(t *testing.T) {
	ctx := context.Background()
	path, err := elfsymtest.Lab(ctx, elfsymtest.LabConfig{Compiler: "clang", Opt: "-O2"})
	if err != nil {
		t.Fatal(err)
	}
	orig, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	good, err := elfsym.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer good.Close()
	// leaf's FDE comes before top's in the section, big_frame's after.
	top, leaf := mustSym(t, good, "top"), mustSym(t, good, "leaf")
	secOff, secSize := sectionBytes(t, orig, ".debug_frame")
	tests := []struct {
		name    string
		damage  func(sec []byte)
		warning string
		topErr  bool // FrameContext(top+4) must fail
		leafOK  bool // FrameContext(leaf+4) still works
	}{
		{"unknown opcode in top's program", func(sec []byte) {
			sec[fdeOffset(t, sec, top.Addr)+16] = 0x1d // first instruction
		}, "damaged CFA programs", true, true},
		{"operand runs past the program", func(sec []byte) {
			o := fdeOffset(t, sec, top.Addr)
			n := int(binary.LittleEndian.Uint32(sec[o:]))
			sec[o+16] = 0x0c // DW_CFA_def_cfa, then LEB128 bytes that never end
			for i := o + 17; i < o+4+n; i++ {
				sec[i] = 0x80
			}
		}, "damaged CFA programs", true, true},
		{"restore_state without remember_state", func(sec []byte) {
			sec[fdeOffset(t, sec, top.Addr)+16] = 0x0b
		}, "damaged CFA programs", true, true},
		{"CIE version 9", func(sec []byte) {
			o := fdeOffset(t, sec, top.Addr)
			sec[binary.LittleEndian.Uint32(sec[o+4:])+8] = 9 // top's CIE
		}, "damaged CIE/FDE records skipped", true, false},
		{"record length past the section", func(sec []byte) {
			binary.LittleEndian.PutUint32(sec[fdeOffset(t, sec, top.Addr):], 0x7fffff00)
		}, "damaged", true, true},
		{"zeroed section", func(sec []byte) { clear(sec) }, "", true, false},
		{"all 0xff", func(sec []byte) {
			for i := range sec {
				sec[i] = 0xff
			}
		}, "damaged", true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data := bytes.Clone(orig)
			tc.damage(data[secOff : secOff+secSize])
			im, err := elfsym.NewImage(bytes.NewReader(data), int64(len(data)), tc.name)
			if err != nil {
				t.Fatal(err)
			}
			w := strings.Join(im.Warnings(), "\n")
			if tc.warning != "" && !strings.Contains(w, ".debug_frame") || !strings.Contains(w, tc.warning) {
				t.Errorf("Warnings = %q, want one about .debug_frame saying %q", w, tc.warning)
			}
			if fc, err := im.FrameContext(top.Addr + 4); tc.topErr && err == nil {
				t.Errorf("FrameContext(top+4) = CFA %s, want an error from the damaged CFI", describeCFA(fc))
			}
			fc, err := im.FrameContext(leaf.Addr + 4)
			if tc.leafOK {
				want, _ := good.FrameContext(leaf.Addr + 4)
				if err != nil || describeCFA(fc) != describeCFA(want) {
					t.Errorf("FrameContext(leaf+4) = %v, %v; want the undamaged row %s", fc, err, describeCFA(want))
				}
			}
			exercise(im)
		})
	}
}
