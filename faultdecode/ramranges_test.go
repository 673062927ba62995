package faultdecode

import (
	"slices"
	"testing"

	"github.com/faultline-dev/faultline/capture"
	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/faultdecode/unwind"
)

func TestRAMRangesKeepStacksBelowTheCodeRegionsTop(t *testing.T) {
	// A stack or heap in block RAM at 0x01000000 (mps2) or DTCM at 0 is RAM;
	// flash samples and an unnamed low region are not.
	snap := &capture.Snapshot{Memory: []capture.Region{
		{Name: "flash-sample", Addr: 0x00000000, Data: make([]byte, 16)},
		{Name: "stack-msp", Addr: 0x01003f00, Data: make([]byte, 0x100)},
		{Name: "section .dtcm_bss", Addr: 0x00020000, Data: make([]byte, 0x40)},
		{Name: "other", Addr: 0x00400000, Data: make([]byte, 0x40)},
		{Name: "heap", Addr: 0x01000000, Data: make([]byte, 0x80)},
		{Name: "ram", Addr: 0x20000000, Data: make([]byte, 0x40)},
		{Name: "scb", Addr: 0xE000ED00, Data: make([]byte, 0x40)},
	}}
	got := ramRanges(snap, nil)
	want := []unwind.Range{{Start: 0x01003f00, End: 0x01004000}, {Start: 0x00020000, End: 0x00020040}, {Start: 0x01000000, End: 0x01000080}, {Start: 0x20000000, End: 0x20000040}}
	if !slices.Equal(got, want) {
		t.Fatalf("ram ranges %x, want %x", got, want)
	}
}

// fakeSections is an image's section list.
type fakeSections []elfsym.Section

func (f fakeSections) Sections() []elfsym.Section { return f }

// TestRAMRangesTakeDumpedRAMThatIsNotTheELFsFlash: importers name a dumped
// region below 0x20000000 "flash-sample" by its address, and gdb's gcore
// names none; with the ELF, one in none of its read-only sections is RAM
// (a CCM stack in a CrashCatcher dump, low RAM in a gcore), and one in
// them is not (a probe's own flash sample, a gcore's XIP flash).
func TestRAMRangesTakeDumpedRAMThatIsNotTheELFsFlash(t *testing.T) {
	img := fakeSections{
		{Name: ".text", Addr: 0x08000000, Size: 0x4000, Alloc: true, Exec: true, Loaded: true},
		{Name: ".xip", Addr: 0x60000000, Size: 0x400, Alloc: true, Exec: true, Loaded: true},
		{Name: ".data", Addr: 0x20000000, Size: 0x100, Alloc: true, Write: true, Loaded: true},
		{Name: ".ccmram", Addr: 0x10000000, Size: 0x800, Alloc: true, Write: true},
	}
	snap := &capture.Snapshot{Memory: []capture.Region{
		{Name: "flash-sample", Addr: 0x08000000, Data: make([]byte, 0x100)},
		{Name: "flash-sample", Addr: 0x10000000, Data: make([]byte, 0x10000)},
		{Name: "flash-sample", Addr: 0x1fff0000, Data: make([]byte, 0x100)},
		{Name: "", Addr: 0x00300000, Data: make([]byte, 0x80)}, // a gcore's RAM
		{Name: "", Addr: 0x60000000, Data: make([]byte, 0x80)}, // a gcore's XIP flash
		{Name: "ram", Addr: 0x20000000, Data: make([]byte, 0x40)},
		{Name: "scb", Addr: 0xE000ED00, Data: make([]byte, 0x40)},
	}}
	tests := []struct {
		name string
		img  sectionLister
		want []unwind.Range
	}{
		{"with the ELF", img, []unwind.Range{{Start: 0x10000000, End: 0x10010000}, {Start: 0x1fff0000, End: 0x1fff0100}, {Start: 0x00300000, End: 0x00300080}, {Start: 0x20000000, End: 0x20000040}}},
		{"without an ELF", nil, []unwind.Range{{Start: 0x60000000, End: 0x60000080}, {Start: 0x20000000, End: 0x20000040}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ramRanges(snap, tc.img); !slices.Equal(got, tc.want) {
				t.Errorf("ram ranges %x, want %x", got, tc.want)
			}
		})
	}
}
