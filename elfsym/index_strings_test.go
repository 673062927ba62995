package elfsym

import (
	"encoding/binary"
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
