package fault

import (
	"context"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/faultline-dev/faultline/faultdecode/internal/fdtest"
)

// insnCases are ARMv6-M instructions as written for the assembler, with
// what DecodeThumb must make of them; regs r0..r7 = 0x20000000 + 0x100*n,
// sp = 0x20003ff0, at address 0x100.
var insnCases = []struct {
	asm  string
	text string
	kind InsnKind
	addr uint32 // first address accessed (loads and stores)
	expr string
	n    uint32 // bytes per transfer
	cnt  uint32
}{
	{"ldr r0, [r3, #4]", "ldr r0, [r3, #4]", InsnLoad, 0x20000304, "r3+4", 4, 1},
	{"str r1, [r2]", "str r1, [r2, #0]", InsnStore, 0x20000200, "r2", 4, 1},
	{"ldrb r2, [r5, #31]", "ldrb r2, [r5, #31]", InsnLoad, 0x2000051f, "r5+31", 1, 1},
	{"strb r2, [r5, #1]", "strb r2, [r5, #1]", InsnStore, 0x20000501, "r5+1", 1, 1},
	{"ldrh r3, [r1, #62]", "ldrh r3, [r1, #62]", InsnLoad, 0x2000013e, "r1+62", 2, 1},
	{"strh r3, [r1, #2]", "strh r3, [r1, #2]", InsnStore, 0x20000102, "r1+2", 2, 1},
	{"ldr r4, [sp, #1020]", "ldr r4, [sp, #1020]", InsnLoad, 0x20003ff0 + 1020, "sp+1020", 4, 1},
	{"str r4, [sp, #8]", "str r4, [sp, #8]", InsnStore, 0x20003ff8, "sp+8", 4, 1},
	{"ldr r0, [r1, r2]", "ldr r0, [r1, r2]", InsnLoad, 0x40000300, "r1+r2 = 0x20000100+0x20000200", 4, 1},
	{"strh r0, [r1, r2]", "strh r0, [r1, r2]", InsnStore, 0x40000300, "r1+r2 = 0x20000100+0x20000200", 2, 1},
	{"ldrsb r0, [r1, r2]", "ldrsb r0, [r1, r2]", InsnLoad, 0x40000300, "r1+r2 = 0x20000100+0x20000200", 1, 1},
	{"ldrsh r0, [r1, r2]", "ldrsh r0, [r1, r2]", InsnLoad, 0x40000300, "r1+r2 = 0x20000100+0x20000200", 2, 1},
	{"ldmia r6!, {r0, r1, r7}", "ldmia r6!, {r0, r1, r7}", InsnLoad, 0x20000600, "r6", 4, 3},
	{"stmia r0!, {r1, r2}", "stmia r0!, {r1, r2}", InsnStore, 0x20000000, "r0", 4, 2},
	{"push {r4, r5, r7, lr}", "push {r4, r5, r7, lr}", InsnStore, 0x20003fe0, "sp-16", 4, 4},
	{"pop {r4, pc}", "pop {r4, pc}", InsnLoad, 0x20003ff0, "sp", 4, 2},
	{"ldr r2, [pc, #8]", "ldr r2, [pc, #8]", InsnLoad, 0x10c, "pc-relative literal at 0x0000010c", 4, 1},
	{"udf #42", "udf #42", InsnUDF, 0, "", 0, 0},
	{"udf.w #4660", "udf.w #4660", InsnUDF, 0, "", 0, 0},
	{"bkpt 0xab", "bkpt 0x00ab", InsnBKPT, 0, "", 0, 0},
	{"svc 5", "svc #5", InsnSVC, 0, "", 0, 0},
	{"bx r3", "bx r3", InsnBX, 0, "", 0, 0},
	{"blx r12", "blx r12", InsnBX, 0, "", 0, 0},
	{"adds r0, r1, r2", ".inst.n 0x1888", InsnNop, 0, "", 0, 0},
	{"bl .", "bl 0x00000100", Insn32, 0, "", 0, 0},
}

// assemble returns the code the assembler makes of lines, one instruction
// per line; ARMv7-M so that the 32-bit UDF.W assembles too (the 16-bit
// encodings are the same as ARMv6-M's).
func assemble(t *testing.T, lines []string) []byte {
	t.Helper()
	as := fdtest.NeedTool(t, "arm-none-eabi-as")
	objcopy := fdtest.NeedTool(t, "arm-none-eabi-objcopy")
	dir := t.TempDir()
	src := ".syntax unified\n.thumb\n" + strings.Join(lines, "\n") + "\n"
	if err := os.WriteFile(filepath.Join(dir, "a.s"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	obj, bin := filepath.Join(dir, "a.o"), filepath.Join(dir, "a.bin")
	if out, err := exec.CommandContext(ctx, as, "-march=armv7-m", "-o", obj, filepath.Join(dir, "a.s")).CombinedOutput(); err != nil {
		t.Fatalf("as: %v\n%s", err, out)
	}
	if out, err := exec.CommandContext(ctx, objcopy, "-O", "binary", "-j", ".text", obj, bin).CombinedOutput(); err != nil {
		t.Fatalf("objcopy: %v\n%s", err, out)
	}
	b, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeThumbAgainstTheAssembler(t *testing.T) {
	var lines []string
	for _, c := range insnCases {
		lines = append(lines, c.asm)
	}
	code := assemble(t, lines)
	var regs Regs
	for i := 0; i < 8; i++ {
		regs.Set(i, 0x20000000+0x100*uint32(i))
	}
	regs.Set(RegSP, 0x20003ff0)
	off := 0
	for _, c := range insnCases {
		if off+2 > len(code) {
			t.Fatalf("the assembler made %d bytes, ran out at %q", len(code), c.asm)
		}
		hw1 := binary.LittleEndian.Uint16(code[off:])
		var hw2 uint16
		if off+4 <= len(code) {
			hw2 = binary.LittleEndian.Uint16(code[off+2:])
		}
		in := DecodeThumb(0x100, hw1, hw2)
		off += int(in.Size)
		if in.Text != c.text || in.Kind != c.kind {
			t.Errorf("%q (0x%04x): decoded %q kind %d, want %q kind %d", c.asm, hw1, in.Text, in.Kind, c.text, c.kind)
			continue
		}
		if c.kind != InsnLoad && c.kind != InsnStore {
			continue
		}
		addr, expr, ok := in.MemAddress(regs)
		if !ok || addr != c.addr || expr != c.expr || in.Width != c.n || in.Count != c.cnt {
			t.Errorf("%q: address 0x%08x (%s, ok %v), %d x %d bytes; want 0x%08x (%s), %d x %d", c.asm, addr, expr, ok, in.Count, in.Width, c.addr, c.expr, c.cnt, c.n)
		}
	}
	if off != len(code) {
		t.Errorf("decoded %d bytes of %d: an instruction size is wrong", off, len(code))
	}
}

func TestMemAddressNeedsItsRegisters(t *testing.T) {
	in := DecodeThumb(0x100, 0x6858, 0) // ldr r0, [r3, #4]
	var regs Regs
	regs.Set(0, 1)
	if _, _, ok := in.MemAddress(regs); ok {
		t.Error("an address from r3, which is not known")
	}
}
