package elfsym

import (
	"bytes"
	"context"
	"debug/elf"
	"encoding/binary"
	"errors"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/faultline-dev/faultline/elfsym/elfsymtest"
)

// slots builds the expected Slot array and Saved mask from reg:offset pairs.
func slots(pairs ...int32) (uint16, [16]int32) {
	var mask uint16
	var s [16]int32
	for i := 0; i+1 < len(pairs); i += 2 {
		mask |= 1 << pairs[i]
		s[pairs[i]] = pairs[i+1]
	}
	return mask, s
}

// TestDecodeExidxOpsFollowsEachOpcodeClass runs hand-assembled opcode
// streams, one per class of ARM IHI 0038 section 10.3, and checks the
// caller's SP (CFA) and where each register was saved.
func TestDecodeExidxOpsFollowsEachOpcodeClass(t *testing.T) {
	for _, tc := range []struct {
		name   string
		ops    []byte
		cfaReg int
		cfaOff int32
		saved  []int32 // reg, offset from the CFA
	}{
		{"finish only: a leaf", []byte{0xb0, 0xb0, 0xb0}, 13, 0, nil},
		{"empty stream is an implicit finish", nil, 13, 0, nil},
		{"vsp += 4", []byte{0x00}, 13, 4, nil},
		{"vsp += 256", []byte{0x3f}, 13, 256, nil},
		{"vsp -= 4 then += 8", []byte{0x40, 0x01}, 13, 4, nil},
		{"pop r4-r7, lr (0xab)", []byte{0xab}, 13, 20, []int32{4, -20, 5, -16, 6, -12, 7, -8, 14, -4}},
		{"pop r4 only (0xa0)", []byte{0xa0}, 13, 4, []int32{4, -4}},
		{"pop r4-r11 (0xa7)", []byte{0xa7}, 13, 32, []int32{4, -32, 5, -28, 6, -24, 7, -20, 8, -16, 9, -12, 10, -8, 11, -4}},
		{"sub sp then push {r4, lr}", []byte{0x0a, 0xa8}, 13, 52, []int32{4, -8, 14, -4}},
		{"pop under mask r4, r14 (0x84 0x01 + lr bit)", []byte{0x84, 0x01}, 13, 8, []int32{4, -8, 14, -4}},
		{"pop under mask r4-r15", []byte{0x8d, 0xff}, 13, 44, []int32{4, -44, 5, -40, 6, -36, 7, -32, 8, -28, 9, -24, 10, -20, 11, -16, 12, -12, 14, -8, 15, -4}},
		{"pop r0-r3 under mask (0xb1)", []byte{0xb1, 0x09, 0xa8}, 13, 16, []int32{0, -16, 3, -12, 4, -8, 14, -4}},
		{"vsp += 0x204 + (uleb128 << 2)", []byte{0xb2, 0x01, 0xa8}, 13, 0x204 + 4 + 8, []int32{4, -8, 14, -4}},
		{"uleb128 of two bytes", []byte{0xb2, 0x81, 0x01}, 13, 0x204 + 129*4, nil},
		{"vsp = r7 (frame pointer), clang's shape", []byte{0x97, 0x41, 0x84, 0x0d}, 7, 8, []int32{4, -16, 6, -12, 7, -8, 14, -4}},
		{"vsp = r7 then pop r3 and r4-r9, lr", []byte{0x97, 0xb1, 0x08, 0xad}, 7, 32, []int32{3, -32, 4, -28, 5, -24, 6, -20, 7, -16, 8, -12, 9, -8, 14, -4}},
		{"vpop d8-d9 (VPUSH, 0xc9)", []byte{0xc9, 0x81, 0xa8}, 13, 24, []int32{4, -8, 14, -4}},
		{"vpop d8 (0xd0)", []byte{0xd0, 0xa8}, 13, 16, []int32{4, -8, 14, -4}},
		{"vpop d8-d10 FSTMFDX (0xba): an extra word", []byte{0xba, 0xa8}, 13, 28 + 8, []int32{4, -8, 14, -4}},
		{"vpop d0-d1 FSTMFDX (0xb3)", []byte{0xb3, 0x01}, 13, 20, nil},
		{"vpop d16-d17 (0xc8)", []byte{0xc8, 0x01}, 13, 16, nil},
		{"iWMMXt wR10-wR11 (0xc1)", []byte{0xc1}, 13, 16, nil},
		{"iWMMXt wR0-wR2 (0xc6)", []byte{0xc6, 0x02}, 13, 24, nil},
		{"iWMMXt wCGR0, wCGR2 (0xc7)", []byte{0xc7, 0x05}, 13, 8, nil},
		{"finish stops the stream", []byte{0xb0, 0x3f, 0xff}, 13, 0, nil},
		{"a register popped twice keeps its first slot", []byte{0xa8, 0xa8}, 13, 16, []int32{4, -16, 14, -12}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := DecodeExidxOps(tc.ops)
			if err != nil {
				t.Fatalf("DecodeExidxOps(% x): %v", tc.ops, err)
			}
			mask, s := slots(tc.saved...)
			if r.CFAReg != tc.cfaReg || r.CFAOffset != tc.cfaOff || r.Saved != mask || r.Slot != s {
				t.Errorf("DecodeExidxOps(% x) = CFA r%d%+d saved %#x %v; want r%d%+d saved %#x %v",
					tc.ops, r.CFAReg, r.CFAOffset, r.Saved, r.Slot, tc.cfaReg, tc.cfaOff, mask, s)
			}
		})
	}
}

// TestDecodeExidxOpsRefusesWhatGivesNoRule: "refuse to unwind", spare and
// reserved encodings give ErrExidxRefused; opcodes cut short and rules a
// CFA-relative form cannot hold give other errors; none panics.
func TestDecodeExidxOpsRefusesWhatGivesNoRule(t *testing.T) {
	for _, tc := range []struct {
		name    string
		ops     []byte
		refused bool
	}{
		{"refuse to unwind (0x80 0x00)", []byte{0x80, 0x00}, true},
		{"reserved vsp = r13", []byte{0x9d}, true},
		{"reserved vsp = r15", []byte{0x9f}, true},
		{"spare 0xb1 0x00", []byte{0xb1, 0x00}, true},
		{"spare 0xb1 0x10", []byte{0xb1, 0x10}, true},
		{"spare 0xb4", []byte{0xb4}, true},
		{"spare 0xc7 0x00", []byte{0xc7, 0x00}, true},
		{"spare 0xca", []byte{0xca}, true},
		{"spare 0xd8", []byte{0xd8}, true},
		{"spare 0xff", []byte{0xff}, true},
		{"0xb3 past d15", []byte{0xb3, 0xf1}, true},
		{"0xc8 past d31", []byte{0xc8, 0x88}, true},
		{"0xc6 past wR15", []byte{0xc6, 0xf1}, true},
		{"pop under mask cut short", []byte{0x84}, false},
		{"0xb1 cut short", []byte{0xb1}, false},
		{"0xb2 without its uleb128", []byte{0xb2}, false},
		{"0xb2 uleb128 cut short", []byte{0xb2, 0x80, 0x80}, false},
		{"0xb2 uleb128 too long", []byte{0xb2, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01}, false},
		{"0xc9 cut short", []byte{0xc9}, false},
		{"pops SP", []byte{0x82, 0x00}, false},
		{"vsp = r7 after a pop", []byte{0xa8, 0x97}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeExidxOps(tc.ops)
			if err == nil {
				t.Fatalf("DecodeExidxOps(% x): no error", tc.ops)
			}
			if got := errors.Is(err, ErrExidxRefused); got != tc.refused {
				t.Errorf("DecodeExidxOps(% x) = %v; refused %v, want %v", tc.ops, err, got, tc.refused)
			}
		})
	}
}

// FuzzDecodeExidxOps: any opcode stream gives a rule or an error, never a
// panic, and a rule's slots lie within what was popped.
func FuzzDecodeExidxOps(f *testing.F) {
	for _, seed := range [][]byte{{0xb0}, {0x97, 0x41, 0x84, 0x0d}, {0xb2, 0x81, 0x01}, {0xc9, 0x81, 0xab}, {0x8d, 0xff}} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, ops []byte) {
		r, err := DecodeExidxOps(ops)
		if err != nil {
			return
		}
		if r.CFAReg < 0 || r.CFAReg > 15 || r.CFAReg == 13 && r.Saved&(1<<13) != 0 {
			t.Fatalf("% x: CFA register r%d, saved %#x", ops, r.CFAReg, r.Saved)
		}
		for reg := 0; reg < 16; reg++ {
			if r.Saved&(1<<reg) == 0 && r.Slot[reg] != 0 {
				t.Fatalf("% x: r%d has a slot but was not saved", ops, reg)
			}
		}
	})
}

// TestParseExidxResolvesPrel31: function starts are prel31 offsets from
// each entry's own address, backwards and forwards; an entry whose first
// word has bit 31 set is no entry; out-of-order entries are sorted.
func TestParseExidxResolvesPrel31(t *testing.T) {
	words := []uint32{
		0x7ffffff0, 0x80b0b0b0, // 0x1000 - 16 = 0xff0
		0x80000000, 0x00000001, // bit 31 set: dropped
		0x00000100, 0x00000001, // 0x1010 + 0x100 = 0x1110, CANTUNWIND
		0x7fffff00, 0x7ffffff8, // 0x1018 - 0x100 = 0xf18; extab at 0x101c - 8
	}
	data := make([]byte, 4*len(words))
	for i, w := range words {
		binary.LittleEndian.PutUint32(data[4*i:], w)
	}
	got := parseExidx(data, 0x1000)
	want := []exidxEntry{
		{start: 0xf18, word: 0x7ffffff8, at: 0x101c},
		{start: 0xff0, word: 0x80b0b0b0, at: 0x1004},
		{start: 0x1110, word: 1, at: 0x1014},
	}
	if len(got) != len(want) {
		t.Fatalf("parseExidx = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("entry %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if a := prel31(0x7ffffff8, 0x101c); a != 0x1014 {
		t.Errorf("prel31(-8) at 0x101c = %#x, want 0x1014", a)
	}
}

// exidxLeafSrc is a leaf and a caller that pushes many registers, the
// shapes both exidx test programs start with.
const exidxLeafSrc = `
volatile int sink;
__attribute__((noinline)) int leaf(int x) { return x * 3 + sink; }
__attribute__((noinline)) int saves(int a, int b, int c, int d)
{
	int s = 0;
	for (int i = 0; i < a; i++)
		s += leaf(i * b) ^ leaf(c + i) ^ (d << i);
	return s + a + b + c + d;
}
`

// exidxSrc has functions whose prologues give each common entry shape:
// a leaf, pushes of many registers, a frame larger than 0x204 bytes
// (0xb2), a VLA's frame pointer (0x97), and C++ with a catch (the generic
// model: __gxx_personality_v0 and its LSDA).
const exidxSrc = exidxLeafSrc + `
__attribute__((noinline)) int big_frame(int n)
{
	volatile char buf[3000];
	buf[n] = (char)n;
	return leaf(buf[n / 2]);
}
__attribute__((noinline)) int fp_vla(int n)
{
	char v[n];
	for (int i = 0; i < n; i++)
		v[i] = (char)leaf(i);
	return leaf(v[n - 1]);
}
`

const exidxCxxSrc = `
extern "C" int leaf(int);
struct Bad { int code; };
__attribute__((noinline)) int may_throw(int x) { if (x > 3) throw Bad{x}; return leaf(x); }
extern "C" __attribute__((noinline)) int catches(int x)
{
	try {
		return may_throw(x);
	} catch (const Bad &b) {
		return -b.code;
	}
}
extern "C" int saves(int, int, int, int);
extern "C" int big_frame(int);
extern "C" int fp_vla(int);
int main() { return catches(5) + saves(3, 4, 5, 6) + big_frame(7) + fp_vla(9); }
`

func exidxImage(ctx context.Context) (string, error) {
	return elfsymtest.Build(ctx, elfsymtest.Program{
		Name: "exidx",
		CC:   "arm-none-eabi-g++",
		Srcs: map[string][]byte{
			"eh.c":      []byte(exidxSrc),
			"catch.cpp": []byte(exidxCxxSrc),
		},
		Flags: []string{"-g0", "-O2", "-mcpu=cortex-m3", "-mthumb", "-funwind-tables",
			"-ffunction-sections", "-Wl,--gc-sections", "--specs=nosys.specs"},
		UnitFlags: map[string][]string{"eh.c": {"-std=gnu11"}},
	})
}

// readelfEntry is what binutils' readelf -u says of one index entry: the
// CFA offset from the base register and the registers' slots.
type readelfEntry struct {
	addr   uint64
	cfaReg int
	cfaOff int32
	saved  uint16
	slot   [16]int32
}

var (
	reEntry  = regexp.MustCompile(`^0x([0-9a-f]+) <[^>]*>: (.*)$`)
	reVSPAdd = regexp.MustCompile(`vsp = vsp ([+-]) (\d+)$`)
	reVSPReg = regexp.MustCompile(`vsp = r(\d+)$`)
	rePop    = regexp.MustCompile(`pop \{([^}]*)\}`)
)

// parseReadelfUnwind reads readelf -u's text independently of the decoder
// under test: vsp moves, register lists, vsp = rN.
func parseReadelfUnwind(t *testing.T, out string) []readelfEntry {
	var res []readelfEntry
	var cur *readelfEntry
	var vsp int32
	var at [16]int32
	ok := false
	flush := func() {
		if cur != nil && ok {
			cur.cfaOff = vsp
			for r := range 16 {
				if cur.saved&(1<<r) != 0 {
					cur.slot[r] = at[r] - vsp
				}
			}
			res = append(res, *cur)
		}
		cur = nil
	}
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimSpace(line)
		if m := reEntry.FindStringSubmatch(line); m != nil {
			flush()
			a, _ := strconv.ParseUint(m[1], 16, 64)
			cur = &readelfEntry{addr: a, cfaReg: 13}
			vsp, at, ok = 0, [16]int32{}, !strings.Contains(m[2], "cantunwind")
			continue
		}
		if cur == nil || !ok {
			continue
		}
		switch {
		case strings.HasSuffix(line, "finish"):
		case reVSPAdd.MatchString(line):
			m := reVSPAdd.FindStringSubmatch(line)
			n, _ := strconv.Atoi(m[2])
			if m[1] == "-" {
				n = -n
			}
			vsp += int32(n)
		case reVSPReg.MatchString(line):
			n, _ := strconv.Atoi(reVSPReg.FindStringSubmatch(line)[1])
			cur.cfaReg, vsp = n, 0
		case rePop.MatchString(line):
			list := rePop.FindStringSubmatch(line)[1]
			for _, part := range strings.Split(list, ",") {
				part = strings.TrimSpace(part)
				switch {
				case strings.HasPrefix(part, "r"):
					n, err := strconv.Atoi(part[1:])
					if err != nil {
						ok = false
						break
					}
					if cur.saved&(1<<n) == 0 {
						cur.saved |= 1 << n
						at[n] = vsp
					}
					vsp += 4
				case strings.HasPrefix(part, "D"):
					lo, hi := part[1:], part[1:]
					if i := strings.Index(part, "-"); i >= 0 {
						lo, hi = part[1:i], strings.TrimPrefix(part[i+1:], "D")
					}
					l, _ := strconv.Atoi(lo)
					h, _ := strconv.Atoi(hi)
					vsp += int32(h-l+1) * 8
					if strings.Contains(line, "FSTMFDX") {
						vsp += 4
					}
				default:
					ok = false
				}
			}
		case strings.HasPrefix(line, "Compact model"), strings.HasPrefix(line, "Personality routine"):
		case strings.HasPrefix(line, "0x"):
			ok = false // an opcode this parser does not know: not compared
		}
	}
	flush()
	return res
}

// TestExidxRulesMatchReadelf decodes every entry of a gcc image built with
// -funwind-tables and C++ exceptions (compact models 0 and 1, the generic
// model with __gxx_personality_v0, libgcc's and libstdc++'s own entries)
// and holds each rule against binutils' readelf -u.
func TestExidxRulesMatchReadelf(t *testing.T) {
	if _, err := exec.LookPath("arm-none-eabi-readelf"); err != nil {
		t.Skip("arm-none-eabi-readelf not installed")
	}
	im, path := elfsymtest.OpenBuilt(t, exidxImage, Open)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "arm-none-eabi-readelf", "-u", path).Output()
	if err != nil {
		t.Fatal(err)
	}
	want := parseReadelfUnwind(t, string(out))
	if len(want) < 20 {
		t.Fatalf("readelf -u lists only %d entries with opcodes:\n%s", len(want), out)
	}
	shapes := map[string]bool{}
	for _, w := range want {
		r, err := im.ExidxRule(w.addr)
		if errors.Is(err, ErrExidxRefused) {
			continue
		}
		if err != nil {
			t.Errorf("ExidxRule(%#x): %v", w.addr, err)
			continue
		}
		if r.Start != w.addr || r.CFAReg != w.cfaReg || r.CFAOffset != w.cfaOff || r.Saved != w.saved || r.Slot != w.slot {
			t.Errorf("ExidxRule(%#x) = start %#x CFA r%d%+d saved %#x %v; readelf: r%d%+d saved %#x %v (ops % x)",
				w.addr, r.Start, r.CFAReg, r.CFAOffset, r.Saved, r.Slot, w.cfaReg, w.cfaOff, w.saved, w.slot, r.Ops)
		}
		switch {
		case r.CFAReg == 7:
			shapes["frame pointer"] = true
		case r.CFAOffset > 0x204:
			shapes["large frame"] = true
		case r.Saved&0x0FF0 == 0x0FF0:
			shapes["r4-r11"] = true
		}
	}
	for _, s := range []string{"frame pointer", "large frame", "r4-r11"} {
		if !shapes[s] {
			t.Errorf("no entry with a %s among %d", s, len(want))
		}
	}
	// The generic model: catches' entry names __gxx_personality_v0.
	sym, ok := im.LookupSymbol("catches")
	if !ok {
		t.Fatal("no symbol catches")
	}
	if _, err := im.ExidxRule(sym.Addr + 2); err != nil {
		t.Errorf("catches (generic model): %v", err)
	}
	if !strings.Contains(string(out), "__gxx_personality_v0") {
		t.Errorf("readelf shows no entry with __gxx_personality_v0: the generic model is not covered")
	}
}

// TestExidxRuleOnDamagedTables garbles the index and table of a real image
// (truncated, prel31 offsets out of range, opcode words of 0xff and of
// endless uleb128 bytes) and asks for a rule at every halfword of code:
// errors are fine, a panic or a hang is not.
func TestExidxRuleOnDamagedTables(t *testing.T) {
	_, orig, f := exidxImageFile(t)
	exidx, extab, text := f.Section(".ARM.exidx"), f.Section(".ARM.extab"), f.Section(".text")
	if exidx == nil || text == nil {
		t.Fatal("image lacks .ARM.exidx or .text")
	}
	patch := func(data []byte, s *elf.Section, fill func(i int) byte) {
		if s == nil {
			return
		}
		for i := 0; i < int(s.Size); i++ {
			data[int(s.Offset)+i] = fill(i)
		}
	}
	for _, tc := range []struct {
		name   string
		damage func(data []byte)
	}{
		{"index of 0xff", func(d []byte) { patch(d, exidx, func(int) byte { return 0xff }) }},
		{"prel31 far out of range", func(d []byte) {
			patch(d, exidx, func(i int) byte { return []byte{0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x00, 0x3f}[i%8] })
		}},
		{"entries pointing at themselves", func(d []byte) {
			patch(d, exidx, func(i int) byte { return []byte{0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}[i%8] })
		}},
		{"table of 0xff words", func(d []byte) { patch(d, extab, func(int) byte { return 0xff }) }},
		{"table of long-form headers with 255 extra words", func(d []byte) {
			patch(d, extab, func(i int) byte { return []byte{0xb2, 0xff, 0xff, 0x82}[i%4] })
		}},
		{"table of endless uleb128", func(d []byte) { patch(d, extab, func(int) byte { return 0xb2 }) }},
		{"index cut to an odd size", func(d []byte) {
			d[int(exidx.Offset)+int(exidx.Size)-1] ^= 0x80
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := append([]byte(nil), orig...)
			tc.damage(data)
			im, err := NewImage(bytes.NewReader(data), int64(len(data)), "damaged.elf")
			if err != nil {
				t.Fatal(err)
			}
			defer im.Close()
			done := make(chan struct{})
			go func() {
				defer close(done)
				pcs := []uint64{0, 1 << 40}
				for pc := text.Addr; pc < text.Addr+text.Size; pc += 2 {
					pcs = append(pcs, pc)
				}
				for _, pc := range pcs {
					if _, err := im.ExidxRule(pc); errors.Is(err, errExidxPanic) {
						t.Errorf("ExidxRule(%#x) panicked: %v", pc, err)
						return
					}
				}
			}()
			select {
			case <-done:
			case <-time.After(20 * time.Second):
				t.Fatal("ExidxRule did not return")
			}
		})
	}
}

// exidxPlacementSrc is a small -funwind-tables program linked by scripts
// that place the index as firmware projects do; memcpy and abort are what
// libgcc's unwinder (pulled in by the entries' personality routine) needs.
const exidxPlacementSrc = exidxLeafSrc + `
int _start(void) { return saves(1, 2, 3, 4); }
void *memcpy(void *d, const void *s, unsigned n)
{
	char *a = d;
	const char *b = s;
	while (n--)
		*a++ = *b++;
	return d;
}
void abort(void) { for (;;) ; }
`

// exidxScripts place the index as a CMSIS script does (.ARM.exidx), as
// STM32CubeIDE's do (an output section named .ARM: gdb, which looks the
// index up by name, misses it), and inside .text between
// __exidx_start/__exidx_end (no index section at all).
var exidxScripts = map[string]string{
	"named": `ENTRY(_start)
SECTIONS {
  .text 0x8000 : { *(.text*) *(.rodata*) }
  .ARM.extab : { *(.ARM.extab*) }
  .ARM.exidx : { __exidx_start = .; *(.ARM.exidx*) __exidx_end = .; }
  .bss 0x20000000 : { *(.bss*) *(COMMON) }
}`,
	"stm32": `ENTRY(_start)
SECTIONS {
  .text 0x8000 : { *(.text*) *(.rodata*) }
  .ARM.extab : { *(.ARM.extab* .gnu.linkonce.armextab.*) }
  .ARM : { __exidx_start = .; *(.ARM.exidx*) __exidx_end = .; }
  .bss 0x20000000 : { *(.bss*) *(COMMON) }
}`,
	"in-text": `ENTRY(_start)
SECTIONS {
  .text 0x8000 : { *(.text*) *(.rodata*) *(.ARM.extab*) . = ALIGN(4); __exidx_start = .; *(.ARM.exidx*) __exidx_end = .; }
  .bss 0x20000000 : { *(.bss*) *(COMMON) }
}`,
}

// TestExidxIsFoundWhereverTheLinkerScriptPutsIt: the same program's
// entries are found and decoded alike under each placement.
func TestExidxIsFoundWhereverTheLinkerScriptPutsIt(t *testing.T) {
	want := map[string]ExidxRule{}
	for _, name := range []string{"named", "stm32", "in-text"} {
		t.Run(name, func(t *testing.T) {
			im, _ := elfsymtest.OpenBuilt(t, func(ctx context.Context) (string, error) {
				return elfsymtest.Build(ctx, elfsymtest.Program{
					Name:         "exidx-" + name,
					CC:           "arm-none-eabi-gcc",
					Srcs:         map[string][]byte{"t.c": []byte(exidxPlacementSrc)},
					Flags:        []string{"-g0", "-O2", "-mcpu=cortex-m3", "-mthumb", "-funwind-tables", "-nostdlib", "-ffunction-sections", "-Wl,--gc-sections"},
					LinkerScript: []byte(exidxScripts[name]),
					Libs:         []string{"-lgcc"},
				})
			}, Open)
			for _, fn := range []string{"leaf", "saves"} {
				sym, ok := im.LookupSymbol(fn)
				if !ok {
					t.Fatalf("no symbol %s", fn)
				}
				r, err := im.ExidxRule(sym.Addr + 2)
				if err != nil {
					t.Fatalf("ExidxRule(%s+2): %v", fn, err)
				}
				if r.Start != sym.Addr {
					t.Errorf("%s: entry starts at %#x, the function at %#x", fn, r.Start, sym.Addr)
				}
				r.Start, r.Ops = 0, nil
				if w, ok := want[fn]; ok && (w.CFAReg != r.CFAReg || w.CFAOffset != r.CFAOffset || w.Saved != r.Saved || w.Slot != r.Slot) {
					t.Errorf("%s: rule %+v, under the named section %+v", fn, r, w)
				}
				want[fn] = r
			}
			if r := want["saves"]; r.Saved&(1<<14) == 0 || r.CFAOffset == 0 {
				t.Errorf("saves: rule %+v saves no LR", r)
			}
		})
	}
}

// TestExidxEntryBeforeTheFunctionIsAnothers drops one function's index
// entry from a real image, so the entry before it covers its code, as for
// assembly without an entry when the linker adds no EXIDX_CANTUNWIND. An
// .ARM.extab entry there belongs to the function before and is not used
// (gdb's check); an inline entry is, as the linker merges identical
// inline entries of adjacent functions into one.
func TestExidxEntryBeforeTheFunctionIsAnothers(t *testing.T) {
	im, orig, f := exidxImageFile(t)
	sec := f.Section(".ARM.exidx")
	if sec == nil {
		t.Fatal("no .ARM.exidx")
	}
	entries, err := im.exidxEntries()
	if err != nil {
		t.Fatal(err)
	}
	tested := map[bool]bool{}
	for i := 0; i+1 < len(entries); i++ {
		prev, next := entries[i], entries[i+1]
		inline := prev.word&0x80000000 != 0
		if prev.word == exidxCantUnwind || next.word == exidxCantUnwind || tested[inline] {
			continue
		}
		sym, ok := im.funcSymbolAt(uint64(next.start))
		if !ok || sym.Addr != uint64(next.start) || sym.Size < 4 {
			continue
		}
		want, err := im.ExidxRule(uint64(prev.start))
		if err != nil {
			continue
		}
		data := append([]byte(nil), orig...)
		// Bit 31 set in the first word: no entry (parseExidx drops it).
		binary.LittleEndian.PutUint32(data[int(sec.Offset)+8*(i+1):], 0x80000000)
		dam, err := NewImage(bytes.NewReader(data), int64(len(data)), "dropped.elf")
		if err != nil {
			t.Fatal(err)
		}
		r, err := dam.ExidxRule(uint64(next.start) + 2)
		dam.Close()
		if inline {
			if err != nil || r.Start != uint64(prev.start) || r.CFAOffset != want.CFAOffset || r.Saved != want.Saved {
				t.Errorf("%s after an inline entry (merged): rule %+v, %v; want the entry at %#x", sym.Name, r, err, prev.start)
			}
		} else if !errors.Is(err, ErrNoExidx) {
			t.Errorf("%s after an .ARM.extab entry: rule %+v, %v; want ErrNoExidx", sym.Name, r, err)
		}
		tested[inline] = true
	}
	if !tested[true] || !tested[false] {
		t.Fatalf("the image lacks an inline or an .ARM.extab entry before another function's (tested %v)", tested)
	}
}

// exidxImageFile opens the exidx test image and returns it with its bytes
// and their ELF reading, for tests that garble a copy.
func exidxImageFile(t *testing.T) (*Image, []byte, *elf.File) {
	t.Helper()
	im, path := elfsymtest.OpenBuilt(t, exidxImage, Open)
	orig, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := elf.NewFile(bytes.NewReader(orig))
	if err != nil {
		t.Fatal(err)
	}
	return im, orig, f
}
