package forensics

import (
	"fmt"
	"sort"

	"github.com/faultline-dev/faultline/faultdecode/fault"
)

// heapBlock is one malloc chunk as the allocator laid it out.
type heapBlock struct {
	Chunk uint32 // chunk header address
	Mem   uint32 // the pointer malloc returned
	End   uint32 // end of the user bytes (exclusive)
	Free  bool
	Top   bool // dlmalloc's top chunk (the unallocated rest)
}

func (b heapBlock) describe() string {
	state := "in use"
	if b.Top {
		state = "free, top of heap"
	} else if b.Free {
		state = "free"
	}
	return fmt.Sprintf("heap block 0x%08x (%d bytes, %s)", b.Mem, b.End-b.Mem, state)
}

// heapProblem is a chunk whose header cannot be right.
type heapProblem struct {
	Addr uint32
	Text string
}

// heapInfo is the walked heap.
type heapInfo struct {
	Allocator string      // "newlib malloc" or "newlib-nano malloc"
	Blocks    []heapBlock // by address
	Problems  []heapProblem
}

// blockAt returns the block whose user bytes contain addr.
func (h *heapInfo) blockAt(addr uint32) (heapBlock, bool) {
	if h == nil {
		return heapBlock{}, false
	}
	i := sort.Search(len(h.Blocks), func(i int) bool { return h.Blocks[i].Mem > addr }) - 1
	if i >= 0 && addr < h.Blocks[i].End {
		return h.Blocks[i], true
	}
	return heapBlock{}, false
}

// maxHeapProblems bounds the problems kept: a heap of random bytes has a
// bad link in every chunk, and the first few say enough.
const maxHeapProblems = 16

func (h *heapInfo) problem(p heapProblem) {
	if len(h.Problems) < maxHeapProblems {
		h.Problems = append(h.Problems, p)
	}
}

// maxHeapChunks bounds a walk over a corrupt heap that loops or crawls.
const maxHeapChunks = 1 << 16

// walkHeap finds newlib's malloc state from its symbols and walks the
// chunks. It returns nil when the image uses neither allocator or malloc
// was never called.
func walkHeap(mem fault.Memory, lookup func(string) (uint32, bool)) *heapInfo {
	if av, ok := lookup("__malloc_av_"); ok {
		return walkDLMalloc(mem, lookup, av)
	}
	if start, ok := lookup("__malloc_sbrk_start"); ok {
		return walkNano(mem, lookup, start)
	}
	return nil
}

// walkDLMalloc walks newlib's standard malloc (Doug Lea's 2.6.x, 32-bit):
// a chunk is {prev_size, size|PREV_INUSE}; user memory starts at +8; a free
// chunk keeps fd and bk in its first user words; whether a chunk is in use
// is the PREV_INUSE bit of the next chunk; av[2] is the top chunk, which
// ends the walk. The first chunk is __malloc_sbrk_base rounded up to 8.
func walkDLMalloc(mem fault.Memory, lookup func(string) (uint32, bool), av uint32) *heapInfo {
	h := &heapInfo{Allocator: "newlib malloc"}
	base, top, ok := dlmallocBounds(mem, lookup, av)
	if !ok {
		return nil
	}
	avEnd := av + 2*4*(2*128+2) // bins: NAV*2+2 pointers
	inBins := func(p uint32) bool { return p >= av && p < avEnd }
	c := (base + 7) &^ 7
	if top < c || top-c > 16<<20 {
		h.problem(heapProblem{top, fmt.Sprintf("the top chunk pointer 0x%08x is not above the heap start 0x%08x: malloc's state is corrupt", top, c)})
		return h
	}
	for n := 0; c < top && n < maxHeapChunks; n++ {
		sz, err := fault.Read32(mem, uint64(c)+4)
		if err != nil {
			return h
		}
		size := sz &^ 3
		if size < 16 || size&7 != 0 || c+size > top || c+size < c {
			h.problem(heapProblem{c, fmt.Sprintf("chunk at 0x%08x has a bad size field 0x%08x (heap end 0x%08x): the block before it overran or the header was overwritten", c, sz, top)})
			return h
		}
		next := c + size
		nsz, err := fault.Read32(mem, uint64(next)+4)
		if err != nil {
			return h
		}
		b := heapBlock{Chunk: c, Mem: c + 8, End: c + size, Free: nsz&1 == 0}
		if b.Free {
			for i, what := range []string{"fd", "bk"} {
				p, err := fault.Read32(mem, uint64(c)+8+uint64(4*i))
				if err != nil {
					break
				}
				if !inBins(p) && (p < (base+7)&^7 || p > top || p&7 != 0) {
					h.problem(heapProblem{c + 8 + uint32(4*i), fmt.Sprintf("free block 0x%08x has a bad %s link 0x%08x (neither a chunk nor a bin): something wrote into the block after it was freed", c+8, what, p)})
				}
			}
		}
		h.Blocks = append(h.Blocks, b)
		c = next
	}
	if tsz, err := fault.Read32(mem, uint64(top)+4); err == nil {
		size := tsz &^ 3
		if size >= 16 && top+size > top {
			h.Blocks = append(h.Blocks, heapBlock{Chunk: top, Mem: top + 8, End: top + size, Free: true, Top: true})
		}
	}
	return h
}

// dlmallocBounds reads where newlib's standard malloc heap starts
// (__malloc_sbrk_base) and its top chunk (av[2]); ok is false when malloc
// was never called or its state is not in mem.
func dlmallocBounds(mem fault.Memory, lookup func(string) (uint32, bool), av uint32) (base, top uint32, ok bool) {
	baseSym, ok := lookup("__malloc_sbrk_base")
	if !ok {
		return 0, 0, false
	}
	base, err := fault.Read32(mem, uint64(baseSym))
	if err != nil || base == 0xFFFFFFFF || base == 0 {
		return 0, 0, false // never called, or not captured
	}
	top, err = fault.Read32(mem, uint64(av)+8)
	if err != nil {
		return 0, 0, false
	}
	return base, top, true
}

// maxHeapExtent bounds HeapExtent: no Cortex-M heap is larger, and a
// corrupt top pointer must not make a capture plan gigabytes.
const maxHeapExtent = 64 << 20

// HeapExtent is the address range newlib's malloc heap occupies, read from
// the allocator's state in mem (for a capture: the live target) through
// the image's symbols: for the standard malloc, from __malloc_sbrk_base to
// the top chunk's header; for newlib-nano, from __malloc_sbrk_start to
// _sbrk's break where DWARF names it, else to the end of the last chunk a
// walk finds. It is what the heap walk reads, so a capture can read the
// heap wherever the linker put it (after .bss, in external SDRAM or PSRAM)
// even when no section describes it. ok is false when the image uses
// neither allocator, malloc was never called, or its state is unreadable
// or implausible. Costs a few reads, or one per chunk for newlib-nano
// without DWARF.
func HeapExtent(mem fault.Memory, lookup func(string) (uint32, bool)) (start, end uint32, ok bool) {
	if av, found := lookup("__malloc_av_"); found {
		base, top, ok := dlmallocBounds(mem, lookup, av)
		// The top chunk's header and the fd/bk words after it end what a
		// walk reads; the rest of the top chunk is memory never handed out.
		if !ok || top < base || top-base > maxHeapExtent {
			return 0, 0, false
		}
		return base, top + 16, true
	}
	if startSym, found := lookup("__malloc_sbrk_start"); found {
		start, err := fault.Read32(mem, uint64(startSym))
		if err != nil || start == 0 {
			return 0, 0, false // never called, or not readable
		}
		if he, found := lookup("_sbrk::heap_end"); found {
			if v, err := fault.Read32(mem, uint64(he)); err == nil && v > start && v-start <= maxHeapExtent {
				return start, v, true
			}
		}
		h := walkNano(mem, lookup, startSym)
		if h == nil {
			return 0, 0, false
		}
		end = start + 16 // the first header, even when no chunk was read
		if n := len(h.Blocks); n > 0 && h.Blocks[n-1].End > start && h.Blocks[n-1].End-start <= maxHeapExtent {
			end = h.Blocks[n-1].End + 8 // and the next header, which ended the walk
		}
		return start, end, true
	}
	return 0, 0, false
}

// walkNano walks newlib-nano's malloc: a chunk is {size (header included),
// user bytes at +4 rounded up to 8 (a negative offset fills the gap)}; free
// chunks form an address-ordered list from __malloc_free_list with the next
// pointer at +4. The end of the heap is not recorded anywhere the image
// names, so the walk stops at the first header that cannot be a size.
func walkNano(mem fault.Memory, lookup func(string) (uint32, bool), startSym uint32) *heapInfo {
	h := &heapInfo{Allocator: "newlib-nano malloc"}
	start, err := fault.Read32(mem, uint64(startSym))
	if err != nil || start == 0 {
		return nil
	}
	free := map[uint32]bool{}
	if fl, ok := lookup("__malloc_free_list"); ok {
		p, _ := fault.Read32(mem, uint64(fl))
		for n := 0; p != 0 && n < maxHeapChunks; n++ {
			if free[p] {
				h.problem(heapProblem{p, fmt.Sprintf("the free list loops at 0x%08x", p)})
				break
			}
			free[p] = true
			if p, err = fault.Read32(mem, uint64(p)+4); err != nil {
				break
			}
		}
	}
	// newlib's _sbrk keeps the break in a static; with DWARF it is
	// "_sbrk::heap_end" and bounds the walk exactly.
	end := uint32(0xFFFFFFFF)
	if he, ok := lookup("_sbrk::heap_end"); ok {
		if v, err := fault.Read32(mem, uint64(he)); err == nil && v > start {
			end = v
		}
	}
	c := (start + 3) &^ 3
	for n := 0; n < maxHeapChunks && c < end; n++ {
		size, err := fault.Read32(mem, uint64(c))
		if err != nil || size == 0 {
			break
		}
		if int32(size) < 8 || size&3 != 0 || size > maxHeapExtent || (end != 0xFFFFFFFF && c+size > end) {
			if free[c] || n == 0 {
				h.problem(heapProblem{c, fmt.Sprintf("chunk at 0x%08x has a bad size field 0x%08x", c, size)})
			}
			break
		}
		m := (c + 4 + 7) &^ 7
		h.Blocks = append(h.Blocks, heapBlock{Chunk: c, Mem: m, End: c + size, Free: free[c]})
		delete(free, c)
		c += size
	}
	for p := range free {
		h.problem(heapProblem{p, fmt.Sprintf("free-list entry 0x%08x is not a chunk of the heap walk: the list or a chunk header is corrupt", p)})
	}
	sort.Slice(h.Problems, func(i, j int) bool { return h.Problems[i].Addr < h.Problems[j].Addr })
	return h
}
