package elfsym

import (
	"encoding/binary"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"testing"
)

// The string table of a saved index is read a chunk at a time: every
// string reads back as added, whether it fits a chunk, would have crossed
// into the next one, or is longer than a chunk; references outside the
// table read as ""; concurrent readers agree.
func TestSavedStringsReadBackAsAdded(t *testing.T) {
	st := strtab{idx: map[string]uint32{}}
	var want []string
	for i := range 3000 {
		// Lengths 0 to 66 walk the offsets across every chunk boundary;
		// a few strings are longer than a chunk.
		s := strings.Repeat(string(rune('a'+i%26)), i%67) + strings.Repeat("x", i%7)
		if i%500 == 7 {
			s = strings.Repeat("long", strChunk/4+i)
		}
		want = append(want, s)
	}
	offs := make([]uint32, len(want))
	for i, s := range want {
		offs[i] = st.add(s)
		if o := int(offs[i]); len(s) > 0 && len(s) <= strChunk && o/strChunk != (o+len(s)-1)/strChunk {
			t.Fatalf("%d-byte string at %#x crosses a chunk boundary", len(s), o)
		}
	}
	if len(st.data) < 3*strChunk {
		t.Fatalf("table of %d bytes: too small to cross chunks", len(st.data))
	}
	tab := newStrTable(st.data)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for i, s := range want {
				var ref [8]byte
				binary.LittleEndian.PutUint32(ref[:], offs[i])
				binary.LittleEndian.PutUint32(ref[4:], uint32(len(s)))
				if got := tab.ref(ref[:]); got != s {
					t.Errorf("string %d (%d bytes at %#x) reads back as %q", i, len(s), offs[i], got)
					return
				}
			}
		})
	}
	wg.Wait()
	// Written across a boundary by something else (a damaged file): still
	// read whole.
	if got, at := tab.get(strChunk-3, 6), string(st.data[strChunk-3:strChunk+3]); got != at {
		t.Errorf("string across a chunk boundary = %q, want %q", got, at)
	}
	n := uint64(len(st.data))
	for _, r := range [][2]uint64{{n, 1}, {n - 1, 2}, {0, n + 1}, {1 << 40, 1}, {1, 1 << 63}} {
		if got := tab.get(r[0], r[1]); got != "" {
			t.Errorf("get(%#x, %d) outside the table = %q, want \"\"", r[0], r[1], got)
		}
	}
}

// A saved index's segments are searched through their fence: for any
// address, at, between and around segment starts, the segment found is
// the one a search of them all finds, for tables of one to several blocks.
func TestFencedSegmentSearchFindsWhatAFullSearchFinds(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 2, segFenceStep - 1, segFenceStep, segFenceStep + 1, 5*segFenceStep + 17} {
		segs := make([]seg, n)
		addr := uint64(0x100)
		var raw []byte
		for i := range segs {
			addr += 1 + uint64(rng.IntN(40))
			segs[i] = seg{addr: addr, scope: int32(i)}
			raw = binary.LittleEndian.AppendUint64(raw, addr)
			raw = binary.LittleEndian.AppendUint32(raw, uint32(i))
			raw = binary.LittleEndian.AppendUint32(raw, 0)
		}
		r := &idxReader{b: appendSegFence(nil, segs)}
		fence := r.fixed(8)
		if r.err != nil || len(r.b) != 0 {
			t.Fatalf("%d segments: fence does not decode: %v", n, r.err)
		}
		probes := []uint64{0, 0x100, addr, addr + 1, 1<<64 - 1}
		for _, s := range segs {
			probes = append(probes, s.addr-1, s.addr, s.addr+1)
		}
		for _, a := range probes {
			want := sort.Search(n, func(i int) bool { return segs[i].addr > a })
			if got := searchRawSegs(raw, fence, a); got != want {
				t.Fatalf("%d segments: search for %#x = %d, want %d", n, a, got, want)
			}
		}
	}
}
