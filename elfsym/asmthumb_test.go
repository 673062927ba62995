package elfsym_test

import (
	"context"
	"testing"

	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/elfsym/elfsymtest"
)

// GNU as (2.40) describes each .thumb_func of an assembly file assembled
// with -g by a subprogram whose DW_AT_low_pc and DW_AT_high_pc both carry
// the Thumb bit: a two-byte handler at 0x24e reads [0x24f, 0x251). Taken
// as is, the range swallowed the first byte after the function, so a
// constant table the linker put right after a CMSIS startup file's
// Default_Handler was named Default_Handler (unwindlab bigram_thread
// gcc-O1: fsm_table at 0x250). Halfword-aligned code ends on an even
// address: the odd end is the Thumb bit.
func TestAssemblyThumbFunctionEndsAtItsSize(t *testing.T) {
	const src = `.syntax unified
.thumb
.text
.global _start
.thumb_func
.type _start, %function
_start:
	bl handler
	b _start
.size _start, .-_start
.thumb_func
.type handler, %function
handler:
	bx lr
.size handler, .-handler
.type table, %object
table:
	.word 0x11111111, 0x22222222
.size table, .-table
`
	elf, err := elfsymtest.Build(context.Background(), elfsymtest.Program{
		Name:  "asmthumb",
		CC:    "arm-none-eabi-gcc",
		Srcs:  map[string][]byte{"start.S": []byte(src)},
		Flags: []string{"-g", "-mcpu=cortex-m3", "-mthumb", "-nostdlib"},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, opts := range []elfsym.Options{{}, {Lazy: true}} {
		im, err := elfsym.OpenWith(elf, opts)
		if err != nil {
			t.Fatal(err)
		}
		defer im.Close()
		handler, ok := im.LookupSymbol("handler")
		if !ok {
			t.Fatal("no symbol handler")
		}
		table, ok := im.LookupSymbol("table")
		if !ok {
			t.Fatal("no symbol table")
		}
		if table.Addr != handler.Addr+handler.Size {
			t.Fatalf("table at %#x, not right after handler [%#x, +%d)", table.Addr, handler.Addr, handler.Size)
		}
		if fs := im.Frames(handler.Addr); len(fs) != 1 || fs[0].Function != "handler" {
			t.Errorf("lazy=%v: Frames(handler %#x) = %+v, want handler", opts.Lazy, handler.Addr, fs)
		}
		if fs := im.Frames(table.Addr); len(fs) != 0 {
			t.Errorf("lazy=%v: Frames(table %#x) = %+v, want none (data after the function)", opts.Lazy, table.Addr, fs)
		}
		if im.HasDWARFFunction(table.Addr) {
			t.Errorf("lazy=%v: a DWARF function covers the table at %#x", opts.Lazy, table.Addr)
		}
	}
}
