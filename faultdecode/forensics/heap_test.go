package forensics

import (
	"encoding/binary"
	"strings"
	"testing"

	"github.com/faultline-dev/faultline/capture"
)

// fakeHeap lays out a newlib malloc state in a snapshot: symbols at fixed
// addresses, chunks written by the test.
type fakeHeap struct {
	snap *capture.Snapshot
	syms map[string]uint32
}

const (
	fakeRAM     = 0x20000000
	fakeAV      = 0x20000000 // __malloc_av_ (2*(2*128+2)*4 bytes)
	fakeSbrk    = 0x20000810 // __malloc_sbrk_base
	fakeHeapLo  = 0x20001000
	fakeFreeLst = 0x20000820 // __malloc_free_list (nano)
	fakeStart   = 0x20000824 // __malloc_sbrk_start (nano)
)

func newFakeHeap(nano bool) *fakeHeap {
	h := &fakeHeap{snap: &capture.Snapshot{Memory: []capture.Region{{Addr: fakeRAM, Data: make([]byte, 0x2000), Name: "ram"}}}}
	if nano {
		h.syms = map[string]uint32{"__malloc_free_list": fakeFreeLst, "__malloc_sbrk_start": fakeStart}
	} else {
		h.syms = map[string]uint32{"__malloc_av_": fakeAV, "__malloc_sbrk_base": fakeSbrk}
	}
	return h
}

func (h *fakeHeap) put(addr, v uint32) {
	binary.LittleEndian.PutUint32(h.snap.Memory[0].Data[addr-fakeRAM:], v)
}

func (h *fakeHeap) lookup(name string) (uint32, bool) {
	v, ok := h.syms[name]
	return v, ok
}

// dl builds chunks of the given sizes from fakeHeapLo, marking free ones,
// followed by a top chunk of topSize.
func (h *fakeHeap) dl(sizes []uint32, free []bool, topSize uint32) {
	h.put(fakeSbrk, fakeHeapLo)
	c := uint32(fakeHeapLo)
	prevInUse := uint32(1)
	for i, sz := range sizes {
		h.put(c+4, sz|prevInUse)
		if free[i] {
			h.put(c+8, fakeAV+8*4) // fd, bk: a bin
			h.put(c+12, fakeAV+8*4)
			prevInUse = 0
		} else {
			prevInUse = 1
		}
		c += sz
	}
	h.put(c+4, topSize|prevInUse)
	h.put(fakeAV+8, c) // av[2] = top
}

func TestWalkDLMallocMarksFreeBlocks(t *testing.T) {
	h := newFakeHeap(false)
	h.dl([]uint32{32, 48, 24, 16}, []bool{false, true, false, true}, 0x800)
	hi := walkHeap(h.snap, h.lookup)
	if hi == nil {
		t.Fatal("no heap found")
	}
	if len(hi.Problems) > 0 {
		t.Errorf("problems in a sound heap: %v", hi.Problems)
	}
	want := []struct {
		mem, size uint32
		free, top bool
	}{
		{0x20001008, 24, false, false}, {0x20001028, 40, true, false}, {0x20001058, 16, false, false},
		{0x20001070, 8, true, false}, {0x20001080, 0x7f8, true, true},
	}
	if len(hi.Blocks) != len(want) {
		t.Fatalf("got %d blocks %+v, want %d", len(hi.Blocks), hi.Blocks, len(want))
	}
	for i, w := range want {
		b := hi.Blocks[i]
		if b.Mem != w.mem || b.End-b.Mem != w.size || b.Free != w.free || b.Top != w.top {
			t.Errorf("block %d = %+v, want mem 0x%x size %d free %v top %v", i, b, w.mem, w.size, w.free, w.top)
		}
	}
	if b, ok := hi.blockAt(0x20001030); !ok || b.Mem != 0x20001028 || !b.Free {
		t.Errorf("blockAt inside the free block: %+v %v", b, ok)
	}
	if _, ok := hi.blockAt(0x20001004); ok {
		t.Errorf("blockAt a chunk header should find no block")
	}
}

func TestWalkDLMallocReportsBrokenHeaders(t *testing.T) {
	tests := []struct {
		name  string
		patch func(h *fakeHeap)
		want  string
	}{
		{"size overwritten with ASCII", func(h *fakeHeap) { h.put(0x20001020+4, 0x41414141) }, "bad size field"},
		{"size running past the top", func(h *fakeHeap) { h.put(0x20001020+4, 0x10001) }, "bad size field"},
		{"free link overwritten", func(h *fakeHeap) { h.put(0x20001028, 0xdeadbeef) }, "bad fd link"},
		{"top below the heap", func(h *fakeHeap) { h.put(fakeAV+8, 0x20000f00) }, "top chunk pointer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newFakeHeap(false)
			h.dl([]uint32{32, 48, 24}, []bool{false, true, false}, 0x800)
			tt.patch(h)
			hi := walkHeap(h.snap, h.lookup)
			if hi == nil {
				t.Fatal("no heap found")
			}
			var got []string
			for _, p := range hi.Problems {
				got = append(got, p.Text)
			}
			if !strings.Contains(strings.Join(got, "\n"), tt.want) {
				t.Errorf("problems %q, want one containing %q", got, tt.want)
			}
		})
	}
}

func TestWalkHeapUnusedOrUnknown(t *testing.T) {
	h := newFakeHeap(false)
	h.put(fakeSbrk, 0xFFFFFFFF) // malloc never called
	if hi := walkHeap(h.snap, h.lookup); hi != nil {
		t.Errorf("unused heap walked: %+v", hi)
	}
	if hi := walkHeap(h.snap, func(string) (uint32, bool) { return 0, false }); hi != nil {
		t.Errorf("heap found without allocator symbols: %+v", hi)
	}
}

func TestWalkNanoUsesTheFreeList(t *testing.T) {
	h := newFakeHeap(true)
	h.put(fakeStart, fakeHeapLo)
	// chunks: 24 in use, 32 free, 16 in use, 40 free; then 0 (end).
	sizes := []uint32{24, 32, 16, 40}
	c := uint32(fakeHeapLo)
	var frees []uint32
	for i, sz := range sizes {
		h.put(c, sz)
		if i%2 == 1 {
			frees = append(frees, c)
		}
		c += sz
	}
	h.put(fakeFreeLst, frees[0])
	h.put(frees[0]+4, frees[1])
	h.put(frees[1]+4, 0)
	hi := walkHeap(h.snap, h.lookup)
	if hi == nil || hi.Allocator != "newlib-nano malloc" {
		t.Fatalf("nano heap not found: %+v", hi)
	}
	if len(hi.Problems) > 0 {
		t.Errorf("problems: %v", hi.Problems)
	}
	if len(hi.Blocks) != 4 {
		t.Fatalf("blocks %+v", hi.Blocks)
	}
	for i, b := range hi.Blocks {
		if b.Free != (i%2 == 1) {
			t.Errorf("block %d free=%v", i, b.Free)
		}
	}
	// A free-list entry that is not a chunk is reported.
	h.put(frees[1]+4, 0x20003000)
	if hi := walkHeap(h.snap, h.lookup); hi == nil || len(hi.Problems) == 0 {
		t.Errorf("a free list pointing outside the heap was not reported")
	}
}

// Inputs are kilobytes of RAM: run it with -fuzzminimizetime 0x, or the
// engine spends its time minimizing each new input (thousands of execs/s
// without, none for tens of seconds with).
func FuzzWalkHeap(f *testing.F) {
	h := newFakeHeap(false)
	h.dl([]uint32{32, 48, 24}, []bool{false, true, false}, 0x800)
	f.Add(h.snap.Memory[0].Data, false)
	f.Add(h.snap.Memory[0].Data, true)
	f.Fuzz(func(t *testing.T, ram []byte, nano bool) {
		h := newFakeHeap(nano)
		copy(h.snap.Memory[0].Data, ram)
		hi := walkHeap(h.snap, h.lookup)
		if hi == nil {
			return
		}
		if len(hi.Blocks) > maxHeapChunks+1 {
			t.Fatalf("%d blocks", len(hi.Blocks))
		}
		for i := 1; i < len(hi.Blocks); i++ {
			if hi.Blocks[i].Mem < hi.Blocks[i-1].Mem {
				t.Fatalf("blocks out of order: %+v", hi.Blocks)
			}
		}
	})
}

func TestWalkNanoStopsAtTheBreak(t *testing.T) {
	h := newFakeHeap(true)
	h.put(fakeStart, fakeHeapLo)
	h.put(fakeHeapLo, 24)
	h.put(fakeHeapLo+24, 32)
	h.put(fakeHeapLo+56, 0x41414141) // past the break: not a chunk
	const heapEnd = 0x20000828
	h.syms["_sbrk::heap_end"] = heapEnd
	h.put(heapEnd, fakeHeapLo+56)
	hi := walkHeap(h.snap, h.lookup)
	if hi == nil || len(hi.Blocks) != 2 || len(hi.Problems) != 0 {
		t.Fatalf("walk past the break: %+v", hi)
	}
}

// TestHeapExtentCoversWhatTheWalkReads: the range a capture must read for
// the heap walk, from the allocator's state alone (the heap itself may lie
// where no section says, in external PSRAM or after .bss).
func TestHeapExtentCoversWhatTheWalkReads(t *testing.T) {
	nanoChunks := func(h *fakeHeap) {
		h.put(fakeStart, fakeHeapLo)
		c := uint32(fakeHeapLo)
		for _, sz := range []uint32{24, 32, 16} {
			h.put(c, sz)
			c += sz
		}
	}
	tests := []struct {
		name      string
		nano      bool
		setup     func(h *fakeHeap)
		lookup    map[string]uint32 // extra symbols
		wantOK    bool
		wantStart uint32
		wantEnd   uint32
	}{
		{"newlib malloc: sbrk base to the top chunk's header", false,
			func(h *fakeHeap) { h.dl([]uint32{32, 48, 24}, []bool{false, true, false}, 0x800) },
			nil, true, fakeHeapLo, fakeHeapLo + 32 + 48 + 24 + 16},
		{"newlib malloc never called", false, func(h *fakeHeap) {}, nil, false, 0, 0},
		{"newlib malloc with a top pointer below its base", false,
			func(h *fakeHeap) { h.put(fakeSbrk, fakeHeapLo); h.put(fakeAV+8, fakeHeapLo-0x100) },
			nil, false, 0, 0},
		{"newlib-nano without DWARF: to the last chunk the walk finds", true, nanoChunks,
			nil, true, fakeHeapLo, fakeHeapLo + 24 + 32 + 16 + 8},
		{"newlib-nano with _sbrk's break", true,
			func(h *fakeHeap) { nanoChunks(h); h.put(0x20000830, fakeHeapLo+0x400) },
			map[string]uint32{"_sbrk::heap_end": 0x20000830}, true, fakeHeapLo, fakeHeapLo + 0x400},
		{"newlib-nano never called", true, func(h *fakeHeap) {}, nil, false, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newFakeHeap(tc.nano)
			for k, v := range tc.lookup {
				h.syms[k] = v
			}
			tc.setup(h)
			start, end, ok := HeapExtent(h.snap, h.lookup)
			if ok != tc.wantOK || start != tc.wantStart || end != tc.wantEnd {
				t.Errorf("HeapExtent = %#x..%#x %v, want %#x..%#x %v", start, end, ok, tc.wantStart, tc.wantEnd, tc.wantOK)
			}
		})
	}
	t.Run("no allocator", func(t *testing.T) {
		h := newFakeHeap(false)
		if _, _, ok := HeapExtent(h.snap, func(string) (uint32, bool) { return 0, false }); ok {
			t.Error("an image without malloc has a heap")
		}
	})
}

// TestWalkNanoTakesChunksOfMegabytes: a newlib-nano chunk of 2 MiB (a
// frame buffer in external PSRAM) is a chunk, not a corrupt size field;
// a size beyond any Cortex-M memory still is.
func TestWalkNanoTakesChunksOfMegabytes(t *testing.T) {
	for _, tc := range []struct {
		size        uint32
		wantBlocks  int
		wantProblem bool
	}{
		{2<<20 + 8, 1, false},
		{0x7ffffff8, 0, true},
	} {
		h := newFakeHeap(true)
		h.put(fakeStart, fakeHeapLo)
		h.put(fakeHeapLo, tc.size)
		hi := walkHeap(h.snap, h.lookup)
		if hi == nil || len(hi.Blocks) != tc.wantBlocks || (len(hi.Problems) > 0) != tc.wantProblem {
			t.Errorf("chunk of %#x bytes: %+v", tc.size, hi)
		}
	}
}
