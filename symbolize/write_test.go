package symbolize

import (
	"bytes"
	"errors"
	"runtime"
	"testing"

	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/elfsym/elfsymtest"
)

func sampleImage(t *testing.T) *elfsym.Image {
	t.Helper()
	im, _ := elfsymtest.OpenBuilt(t, elfsymtest.Sample, elfsym.Open)
	return im
}

// codeAddrs is every halfword of the image's code, then again in reverse,
// plus addresses in no function: enough for many blocks of WriteText.
func codeAddrs(im *elfsym.Image) []uint64 {
	var addrs []uint64
	for _, s := range im.Sections() {
		if s.Exec && s.Alloc {
			for a := s.Addr; a < s.Addr+s.Size; a += 2 {
				addrs = append(addrs, a)
			}
		}
	}
	for i := len(addrs) - 1; i >= 0; i-- {
		addrs = append(addrs, addrs[i]|1)
	}
	return append(addrs, 0, 0xfffffff0, 0x20000000)
}

// Many addresses are answered on every core in blocks: the text is the
// same, in the same order, as answering them one after another.
func TestWriteTextInParallelAnswersInOrder(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4)) // several workers even on one core
	im := sampleImage(t)
	all := codeAddrs(im)
	if len(all) < 8*textBlock {
		t.Fatalf("%d addresses: too few for several blocks per worker", len(all))
	}
	for _, n := range []int{1, textBlock - 1, textBlock, textBlock + 1, 3*textBlock + 7, len(all)} {
		addrs := all[:n]
		var want, got bytes.Buffer
		if err := New(im).writeTextSeq(&want, addrs); err != nil {
			t.Fatal(err)
		}
		if err := New(im).WriteText(&got, addrs); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Fatalf("%d addresses: parallel text (%d bytes) differs from sequential (%d bytes)", n, got.Len(), want.Len())
		}
		if lines := bytes.Count(want.Bytes(), []byte("\n0x")) + 1; lines != n {
			t.Fatalf("%d addresses gave %d answers", n, lines)
		}
	}
}

// The workers share the image: a lazy one, indexing units as the lookups
// reach them (nothing prepared), answers as the whole index does.
func TestWriteTextInParallelOnALazyImage(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	whole := sampleImage(t)
	lazy, err := elfsym.OpenWith(whole.Path(), elfsym.Options{Lazy: true})
	if err != nil {
		t.Fatal(err)
	}
	defer lazy.Close()
	addrs := codeAddrs(whole)
	var want, got bytes.Buffer
	if err := New(whole).writeTextSeq(&want, addrs); err != nil {
		t.Fatal(err)
	}
	if err := New(lazy).WriteText(&got, addrs); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want.Bytes()) {
		t.Fatalf("lazy image in parallel: %d bytes of text, the whole index %d", got.Len(), want.Len())
	}
}

// failWriter fails every write after the first n.
type failWriter struct{ n int }

var errFull = errors.New("disk full")

func (w *failWriter) Write(b []byte) (int, error) {
	if w.n == 0 {
		return 0, errFull
	}
	w.n--
	return len(b), nil
}

// A failing output stops WriteText with the error; the workers stop too
// (the race detector and the test's end would see them run on).
func TestWriteTextStopsOnAFailedWrite(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	im := sampleImage(t)
	addrs := codeAddrs(im)
	for _, n := range []int{0, 1, 3} {
		err := New(im).WriteText(&failWriter{n: n}, addrs)
		if !errors.Is(err, errFull) {
			t.Fatalf("after %d writes: WriteText = %v, want the write's error", n, err)
		}
	}
}

// A command line's few addresses are written from a buffer sized for them,
// not the 64 KiB a long list uses: a large allocation is fresh heap pages,
// which a short run pays for in page faults.
func TestWriteTextOfFewAddressesAllocatesForThem(t *testing.T) {
	im := sampleImage(t)
	addrs := codeAddrs(im)[:10]
	s := New(im)
	var out bytes.Buffer
	if err := s.writeTextSeq(&out, addrs); err != nil { // lookups warm, buffers grown
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	const runs = 20
	for range runs {
		out.Reset()
		if err := s.writeTextSeq(&out, addrs); err != nil {
			t.Fatal(err)
		}
	}
	runtime.ReadMemStats(&after)
	if per := (after.TotalAlloc - before.TotalAlloc) / runs; per > 16<<10 {
		t.Errorf("writing %d addresses allocated %d bytes a run, want under 16 KiB", len(addrs), per)
	}
}
