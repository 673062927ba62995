package forensics

import (
	"encoding/binary"
	"slices"
	"testing"

	"github.com/faultline-dev/faultline/capture"
	"github.com/faultline-dev/faultline/faultdecode/unwind"
)

// TestFindWordsSearchesRAMAsTheAnalysisCountsIt: a bad pointer's copies
// are looked for in every region the analysis counts as RAM, a heap or a
// stack in block RAM below 0x10000000 too, never in flash samples, the
// system registers, or low regions the capture did not read as RAM.
func TestFindWordsSearchesRAMAsTheAnalysisCountsIt(t *testing.T) {
	const v = 0x70000040
	region := func(name string, addr uint32) capture.Region {
		d := make([]byte, 0x20)
		binary.LittleEndian.PutUint32(d[8:], v)
		return capture.Region{Name: name, Addr: addr, Data: d}
	}
	snap := &capture.Snapshot{Memory: []capture.Region{
		region("flash-sample", 0x00000100),
		region("heap", 0x01000000),
		region("other", 0x00400000),
		region("section .bss", 0x20000000),
		region("heap", 0x60000000),
		region("scb", 0xE000ED00),
	}}
	ram := []unwind.Range{{Start: 0x01000000, End: 0x01000020}, {Start: 0x20000000, End: 0x20000020}, {Start: 0x60000000, End: 0x60000020}}
	rc := &rootCtx{Crash: &Crash{Snap: snap, RAM: ram}}
	got := rc.findWords([]uint32{v}, 8)
	want := []uint32{0x01000008, 0x20000008, 0x60000008}
	if !slices.Equal(got, want) {
		t.Errorf("found %x, want %x", got, want)
	}
}
