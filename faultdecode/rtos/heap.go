package rtos

import (
	"fmt"
	"sort"

	"github.com/faultline-dev/faultline/elfsym"
)

// A Block is one heap block as FreeRTOS's heap_4/heap_5 laid it out: a
// BlockLink_t header {pxNextFreeBlock, xBlockSize} rounded up to the
// alignment, then the bytes pvPortMalloc returned.
type Block struct {
	Header uint32 // the BlockLink_t
	Mem    uint32 // what pvPortMalloc returned
	End    uint32 // end of the block (exclusive)
	Free   bool
	// Corrupt marks the span from a header that cannot be right to the
	// next header the walk could trust again: one block or several whose
	// headers were overwritten (Free is false then, and unknown).
	Corrupt bool
}

// A Problem is something in the RTOS's memory that cannot be right.
type Problem struct {
	Addr uint32
	Text string
}

// A Heap is the walked FreeRTOS heap.
type Heap struct {
	Allocator string  // "FreeRTOS heap_4" or "FreeRTOS heap_5"
	Blocks    []Block // by address
	Problems  []Problem
	// Partial is set when the walk cannot see every block (heap_5 does
	// not record where its regions start).
	Partial bool
}

// BlockAt returns the block whose bytes (header included) contain addr.
func (h *Heap) BlockAt(addr uint32) (Block, bool) {
	if h == nil {
		return Block{}, false
	}
	i := sort.Search(len(h.Blocks), func(i int) bool { return h.Blocks[i].Header > addr }) - 1
	if i >= 0 && addr < h.Blocks[i].End {
		return h.Blocks[i], true
	}
	return Block{}, false
}

const (
	maxHeapBlocks   = 1 << 16
	maxHeapProblems = 16
)

func (h *Heap) problem(addr uint32, format string, args ...any) {
	if len(h.Problems) < maxHeapProblems {
		h.Problems = append(h.Problems, Problem{addr, fmt.Sprintf(format, args...)})
	}
}

// heapLayout is what the walk needs from DWARF and the symbols.
type heapLayout struct {
	nextOff, sizeOff uint32 // BlockLink_t members
	hdr              uint32 // xHeapStructSize: sizeof(BlockLink_t) rounded up to 8
	allocBit         uint32
	start            elfsym.Variable // xStart
	end              elfsym.Variable // pxEnd
	// regions is set for heap_5, whose regions each end in a marker of
	// size 0; heap_4 has one, at pxEnd.
	regions bool
}

// WalkHeap finds FreeRTOS's heap_4 or heap_5 (xStart, pxEnd and the
// BlockLink_t type from DWARF; ucHeap for heap_4) and walks its blocks.
// It returns nil when the image uses neither or the heap was never
// initialised (pxEnd still NULL).
func WalkHeap(img Image, mem Memory) *Heap {
	l, ok := findHeap(img)
	if !ok {
		return nil
	}
	endMarker, err := read32(mem, uint32(l.end.Addr))
	if err != nil || endMarker == 0 {
		return nil
	}
	free, freeProblems := l.freeList(mem, endMarker)
	if uc, ok := img.LookupVariable("ucHeap"); ok {
		h := &Heap{Allocator: "FreeRTOS heap_4"}
		start := (uint32(uc.Addr) + 7) &^ 7
		l.walk(h, mem, start, endMarker, free)
		h.addFreeListProblems(freeProblems, free)
		return h
	}
	h := &Heap{Allocator: "FreeRTOS heap_5"}
	l.regions = true
	// heap_5: where each region starts is only in the application's
	// HeapRegion_t table; a global one names them all.
	if starts := regionStarts(img, mem); len(starts) > 0 {
		for _, a := range starts {
			l.walk(h, mem, a, endMarker, free)
		}
		h.addFreeListProblems(freeProblems, free)
		return h
	}
	// Without it, walk on from every free block that no earlier walk
	// reached: the blocks before a region's first free block stay unknown.
	h.Partial = true
	var addrs []uint32
	for a := range free {
		addrs = append(addrs, a)
	}
	sort.Slice(addrs, func(i, j int) bool { return addrs[i] < addrs[j] })
	for _, a := range addrs {
		if _, seen := h.BlockAt(a); seen || a == endMarker {
			continue
		}
		l.walk(h, mem, a, endMarker, free)
	}
	sort.Slice(h.Blocks, func(i, j int) bool { return h.Blocks[i].Header < h.Blocks[j].Header })
	h.addFreeListProblems(freeProblems, free)
	return h
}

// maxRegions bounds a HeapRegion_t table read from memory.
const maxRegions = 64

// regionStarts reads the application's HeapRegion_t table (a global array
// of struct HeapRegion, ended by a zero size) and returns each region's
// first block, aligned as vPortDefineHeapRegions aligns it. The table is
// usually const: it is read from the image when memory does not have it.
func regionStarts(img Image, mem Memory) []uint32 {
	vars, ok := img.(interface{ Variables() []elfsym.Variable })
	if !ok {
		return nil
	}
	for _, v := range vars.Variables() {
		t := v.Type
		if t == nil || t.Kind != elfsym.KindArray || t.Elem == nil || t.Elem.Name != "HeapRegion" {
			continue
		}
		startOff, ok1 := fieldOffset(t.Elem, "pucStartAddress")
		sizeOff, ok2 := fieldOffset(t.Elem, "xSizeInBytes")
		if !ok1 || !ok2 || t.Elem.Size == 0 {
			continue
		}
		var out []uint32
		for i := uint32(0); i < maxRegions && uint64(i+1)*t.Elem.Size <= v.Size; i++ {
			at := uint32(v.Addr) + i*uint32(t.Elem.Size)
			start, err1 := readEither(img, mem, at+startOff)
			size, err2 := readEither(img, mem, at+sizeOff)
			if err1 != nil || err2 != nil || size == 0 {
				break
			}
			out = append(out, (start+7)&^7)
		}
		if len(out) > 0 {
			return out
		}
	}
	return nil
}

// readEither reads a word from memory, else from the image (a const table
// in flash that the capture did not read).
func readEither(img Image, mem Memory, addr uint32) (uint32, error) {
	w, err := read32(mem, addr)
	if err == nil {
		return w, nil
	}
	if m, ok := img.(Memory); ok {
		return read32(m, addr)
	}
	return 0, err
}

func findHeap(img Image) (heapLayout, bool) {
	start, ok1 := img.LookupVariable("xStart")
	end, ok2 := img.LookupVariable("pxEnd")
	if !ok1 || !ok2 || start.Type == nil || start.Type.Kind != elfsym.KindStruct {
		return heapLayout{}, false
	}
	l := heapLayout{start: start, end: end, allocBit: 1 << 31}
	var okN, okS bool
	l.nextOff, okN = fieldOffset(start.Type, "pxNextFreeBlock")
	l.sizeOff, okS = fieldOffset(start.Type, "xBlockSize")
	if !okN || !okS {
		return heapLayout{}, false
	}
	l.hdr = (uint32(start.Type.Size) + 7) &^ 7
	return l, true
}

// freeList follows xStart.pxNextFreeBlock to the end marker: the free
// blocks by header address (true), and what is wrong with the list.
func (l heapLayout) freeList(mem Memory, endMarker uint32) (map[uint32]bool, []Problem) {
	free := map[uint32]bool{}
	var probs []Problem
	p, err := read32(mem, uint32(l.start.Addr)+l.nextOff)
	prev := uint32(0)
	for n := 0; err == nil && n < maxHeapBlocks; n++ {
		if p == endMarker || p == 0 {
			break
		}
		if !pointerLike(p) || p <= prev {
			probs = append(probs, Problem{p, fmt.Sprintf("the free list goes from 0x%08x to 0x%08x, which is not a free block above it: a free block's header was overwritten", prev, p)})
			break
		}
		free[p] = true
		prev = p
		p, err = read32(mem, p+l.nextOff)
	}
	return free, probs
}

// walk steps block by block from start by xBlockSize until end (an end
// marker has size 0).
func (l heapLayout) walk(h *Heap, mem Memory, start, end uint32, free map[uint32]bool) {
	b := start
	for n := 0; n < maxHeapBlocks && b < end; n++ {
		w, err := readWords(mem, b, 2)
		if err != nil {
			h.problem(b, "heap block header at 0x%08x not captured", b)
			return
		}
		raw := w[l.sizeOff/4]
		next := w[l.nextOff/4]
		if raw == 0 && l.regions { // a heap_5 region's end marker
			return
		}
		size := raw &^ l.allocBit
		alloc := raw&l.allocBit != 0
		if size < l.hdr || size&7 != 0 || b+size > end || b+size < b {
			h.problem(b, "heap block at 0x%08x has a bad size field 0x%08x (heap end 0x%08x): the block before it overran or its header was overwritten", b, raw, end)
			p, ok := l.resync(mem, b, end, free)
			if !ok {
				h.Blocks = append(h.Blocks, Block{Header: b, Mem: b + l.hdr, End: end, Corrupt: true})
				return
			}
			h.Blocks = append(h.Blocks, Block{Header: b, Mem: b + l.hdr, End: p, Corrupt: true})
			b = p
			continue
		}
		if alloc && next != 0 {
			h.problem(b, "allocated heap block 0x%08x has a free-list link 0x%08x where heap_4 keeps NULL: its header was overwritten", b+l.hdr, next)
		}
		if !alloc && !free[b] {
			h.problem(b, "heap block 0x%08x is marked free but is not on the free list: its header was overwritten, or the list was", b+l.hdr)
		}
		h.Blocks = append(h.Blocks, Block{Header: b, Mem: b + l.hdr, End: b + size, Free: !alloc})
		b += size
	}
}

// maxResync bounds the search for an intact header after a corrupt one:
// the candidates tried, and the headers read trying them (a corrupt
// megabyte heap must not cost seconds).
const (
	maxResync      = 1 << 14
	maxResyncSteps = 1 << 18
)

// resync finds the first 8-aligned address above a corrupt header from
// which the chain of block sizes lands exactly on end: the walk can trust
// the blocks from there on.
func (l heapLayout) resync(mem Memory, bad, end uint32, free map[uint32]bool) (uint32, bool) {
	steps := maxResyncSteps
	for p, n := (bad+l.hdr+7)&^7, 0; p < end && n < maxResync && steps > 0; p, n = p+8, n+1 {
		if l.reaches(mem, p, end, free, &steps) {
			return p, true
		}
	}
	return 0, false
}

// reaches walks sizes from p and reports whether they end exactly at end
// (or, in heap_5, at a region's end marker).
func (l heapLayout) reaches(mem Memory, p, end uint32, free map[uint32]bool, steps *int) bool {
	for n := 0; n < maxHeapBlocks && *steps > 0; n++ {
		*steps--
		if p == end {
			return true
		}
		raw, err := read32(mem, p+l.sizeOff)
		if err != nil {
			return false
		}
		if raw == 0 && l.regions {
			// A heap_5 region's end marker, after at least one block,
			// linking to the next region's free block (or nothing).
			next, err := read32(mem, p+l.nextOff)
			return n > 0 && err == nil && (next == 0 || free[next])
		}
		size := raw &^ l.allocBit
		if size < l.hdr || size&7 != 0 || p+size > end || p+size < p {
			return false
		}
		if next, err := read32(mem, p+l.nextOff); err != nil || (raw&l.allocBit != 0 && next != 0) {
			return false
		}
		p += size
	}
	return false
}

func (h *Heap) addFreeListProblems(probs []Problem, free map[uint32]bool) {
	for _, p := range probs {
		h.problem(p.Addr, "%s", p.Text)
	}
	for a := range free {
		if blk, ok := h.BlockAt(a); ok && (blk.Header != a || !blk.Free) {
			h.problem(a, "free-list entry 0x%08x is not a free block of the heap walk: the list or a block header is corrupt", a)
		}
	}
	sort.Slice(h.Problems, func(i, j int) bool { return h.Problems[i].Addr < h.Problems[j].Addr })
}
