package fdtest

import (
	"encoding/binary"
	"strings"
	"testing"

	"github.com/faultline-dev/faultline/capture"
	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/elfsym/elfsymtest"
)

// BigDataSnapshot is 128 KiB of SRAM for elfsymtest.BigData(n): the
// image's initial data, live vptrs and list links in the objects, and a
// newlib heap of 32-byte chunks, every other one free, above the globals.
func BigDataSnapshot(b testing.TB, n int) (*capture.Snapshot, *elfsym.Image) {
	b.Helper()
	img := elfsymtest.OpenBigData(b, n, elfsym.Open)
	ram := make([]byte, 128<<10)
	const base = 0x20000000
	img.ReadMemory(ram, base)
	put := func(a, v uint32) {
		if a >= base && a+4 <= base+uint32(len(ram)) {
			binary.LittleEndian.PutUint32(ram[a-base:], v)
		}
	}
	vt, ok := img.LookupSymbol("_ZTV3Sub")
	if !ok {
		b.Fatal("no vtable for Sub")
	}
	end := uint32(0)
	var nodes []uint32
	for _, v := range img.Variables() {
		if v.Addr < base || v.Addr >= base+uint64(len(ram)) {
			continue
		}
		end = max(end, uint32(v.Addr+v.Size))
		switch {
		case strings.HasPrefix(v.Name, "sub"):
			put(uint32(v.Addr), uint32(vt.Addr)+8)
		case strings.HasPrefix(v.Name, "node"):
			if len(nodes) > 0 {
				put(uint32(v.Addr)+16, nodes[len(nodes)-1]) // next
			}
			nodes = append(nodes, uint32(v.Addr))
		}
	}
	av, ok1 := img.LookupSymbol("__malloc_av_")
	sb, ok2 := img.LookupSymbol("__malloc_sbrk_base")
	if !ok1 || !ok2 {
		b.Fatal("no newlib malloc symbols")
	}
	heap := (end + 15) &^ 7
	put(uint32(sb.Addr), heap)
	c := heap
	for i := 0; c+64 < base+uint32(len(ram))-0x800; i++ {
		inUse := uint32(1)
		if i > 0 && (i-1)%2 == 1 {
			inUse = 0
		}
		put(c+4, 32|inUse)
		if i%2 == 1 { // free: fd and bk link a bin
			put(c+8, uint32(av.Addr)+0x40)
			put(c+12, uint32(av.Addr)+0x40)
		}
		c += 32
	}
	put(c+4, 0x400|1)
	put(uint32(av.Addr)+8, c)
	snap := &capture.Snapshot{
		Registers: map[string]uint32{"pc": 0x100, "sp": base + 0x1ff00, "lr": 0xFFFFFFF9},
		Memory:    []capture.Region{{Addr: base, Data: ram, Name: "ram"}},
	}
	return snap, img
}
