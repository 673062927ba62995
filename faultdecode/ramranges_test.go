package faultdecode

import (
	"slices"
	"testing"

	"github.com/faultline-dev/faultline/capture"
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
	got := ramRanges(snap)
	want := []unwind.Range{{Start: 0x01003f00, End: 0x01004000}, {Start: 0x00020000, End: 0x00020040}, {Start: 0x01000000, End: 0x01000080}, {Start: 0x20000000, End: 0x20000040}}
	if !slices.Equal(got, want) {
		t.Fatalf("ram ranges %x, want %x", got, want)
	}
}
