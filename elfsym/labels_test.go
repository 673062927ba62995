package elfsym_test

import (
	"context"
	"testing"
	"time"

	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/elfsym/elfsymtest"
)

// labelsAsm has what armlink's and IAR's libraries are full of: function
// labels without a size inside a sized function (armlink's
// _memcpy_lastbytes inside __rt_memcpy, IAR's ??__iar_copy_init3_5 inside
// __iar_copy_init3), and an unsized assembly function after a sized one.
const labelsAsm = `
	.syntax unified
	.thumb
	.text
	.global copy_words
	.type copy_words, %function
copy_words:
	movs r3, #0
	.global copy_tail
	.type copy_tail, %function
copy_tail:
	adds r3, #1
	cmp r3, r2
	bne copy_tail
	bx lr
	nop
	nop
	nop
	.size copy_words, .-copy_words
	.global after
	.type after, %function
after:
	nop
	nop
	bx lr
	.global _start
	.type _start, %function
_start:
	b _start
`

// TestLabelsInsideASizedFunctionNameIt: an address after an unsized label
// inside a sized function is named by the sized function, as gdb's
// 'info symbol' and addr2line name it (checked with gdb-multiarch on this
// build: "copy_words + 2", "copy_words + 6", "after"); an unsized function after the
// sized one's end keeps its own name.
func TestLabelsInsideASizedFunctionNameIt(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	path, err := elfsymtest.Build(ctx, elfsymtest.Program{
		Name:  "labels",
		CC:    "arm-none-eabi-gcc",
		Srcs:  map[string][]byte{"labels.s": []byte(labelsAsm)},
		Flags: []string{"-mcpu=cortex-m3", "-mthumb", "-nostdlib", "-Wl,-e,_start"},
	})
	if err != nil {
		t.Fatal(err)
	}
	im, err := elfsym.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer im.Close()
	words := mustSym(t, im, "copy_words")
	base, size := words.Addr, words.Size
	if tail := mustSym(t, im, "copy_tail"); tail.Addr != base+2 || tail.Size != 0 {
		t.Fatalf("copy_tail at %#x size %d; want an unsized label at copy_words+2", tail.Addr, tail.Size)
	}
	tests := []struct {
		off  uint64 // from copy_words
		name string
		at   uint64 // offset into name
	}{
		{0, "copy_words", 0},
		{2, "copy_words", 2}, // on the label itself
		{6, "copy_words", 6},
		{size - 2, "copy_words", size - 2},
		{size, "after", 0}, // past copy_words' size: the unsized function
		{size + 2, "after", 2},
	}
	for _, tc := range tests {
		s, off, ok := im.SymbolAt(base + tc.off | 1)
		if !ok || s.Name != tc.name || off != tc.at {
			t.Errorf("SymbolAt(copy_words+%d) = %s+%d (%v), want %s+%d", tc.off, s.Name, off, ok, tc.name, tc.at)
		}
		if fr := im.Frames(base + tc.off); len(fr) != 1 || fr[0].Function != tc.name {
			t.Errorf("Frames(copy_words+%d) = %+v, want %s", tc.off, fr, tc.name)
		}
	}
}
