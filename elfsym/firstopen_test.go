package elfsym_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/elfsym/elfsymtest"
	"github.com/faultline-dev/faultline/elfsym/indexcache"
)

// openLazy opens path as faultline's commands do: lazily, with cache c.
func openLazy(t *testing.T, path string, c elfsym.IndexCache) *elfsym.Image {
	t.Helper()
	im, err := elfsym.OpenWith(path, elfsym.Options{Lazy: true, Cache: c})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { im.Close() })
	return im
}

// The first open of an ELF the cache has never seen answers lazily
// without reading the whole file for its content hash and saves no
// index; the second answers lazily too and builds and saves the whole
// index when closed, after its answers; the third loads it. A file changed since is a first sight again, never given the saved
// index of its old contents.
func TestFirstOpenAnswersLazilyWithoutHashing(t *testing.T) {
	path, off := copySample(t)
	c := &indexcache.Dir{Path: t.TempDir()}
	whole := answersOf(openCached(t, path, nil))

	first := openLazy(t, path, c)
	if !first.IsLazy() || first.FromCache() || first.ContentHashed() {
		t.Fatalf("first open: lazy %v, from cache %v, hashed %v; want lazy, not from cache, not hashed", first.IsLazy(), first.FromCache(), first.ContentHashed())
	}
	if got := answersOf(first); got != whole {
		t.Fatal("first open: answers differ from the whole index's")
	}
	if first.ContentHashed() {
		t.Fatal("first open: answering hashed the file")
	}
	k := elfsym.IndexKey{BuildID: first.BuildID(), Content: contentOf(t, path), Version: elfsym.IndexVersion}
	if data, _ := c.Load(k); data != nil {
		c.Release(data)
		t.Fatal("first open saved the whole index")
	}
	first.Close() // its mark is left by then

	second, err := elfsym.OpenWith(path, elfsym.Options{Lazy: true, Cache: c})
	if err != nil {
		t.Fatal(err)
	}
	if !second.IsLazy() || second.FromCache() {
		t.Fatalf("second open: lazy %v, from cache %v; want lazy answers", second.IsLazy(), second.FromCache())
	}
	if got := answersOf(second); got != whole {
		t.Fatal("second open: answers differ")
	}
	if data, _ := c.Load(k); data != nil {
		c.Release(data)
		t.Fatal("second open saved the whole index before it was closed")
	}
	second.Close() // builds and saves the whole index
	third := openLazy(t, path, c)
	if !third.FromCache() {
		t.Fatal("third open did not load the saved index")
	}
	if got := answersOf(third); got != whole {
		t.Fatal("third open: answers differ")
	}
	if got, want := third.Warnings(), openCached(t, path, nil).Warnings(); !slices.Equal(got, want) {
		t.Fatalf("the index saved on close warns %q, the index built at open %q", got, want)
	}

	// Changed in place: a new identity, so a first sight, answering from
	// the new contents.
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[off] ^= 0x20
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	changed := openLazy(t, path, c)
	if !changed.IsLazy() || changed.FromCache() || changed.ContentHashed() {
		t.Fatalf("changed file: lazy %v, from cache %v, hashed %v; want a first sight", changed.IsLazy(), changed.FromCache(), changed.ContentHashed())
	}
	if got := answersOf(changed); got != whole { // .comment changed: same answers
		t.Fatal("changed file: answers differ")
	}
	if again := openLazy(t, path, c); again.FromCache() {
		t.Fatal("changed file: the old contents' index was loaded")
	}
}

// First opens running at once answer right and leave the cache sound:
// the index is saved by the next open's Close at the latest and loaded
// after.
func TestConcurrentFirstOpens(t *testing.T) {
	path, _ := copySample(t)
	c := &indexcache.Dir{Path: t.TempDir()}
	whole := answersOf(openCached(t, path, nil))
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for range 8 {
		wg.Go(func() {
			im, err := elfsym.OpenWith(path, elfsym.Options{Lazy: true, Cache: c})
			if err != nil {
				errs <- err.Error()
				return
			}
			defer im.Close()
			if answersOf(im) != whole {
				errs <- "answers differ from the whole index's"
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	// The later ones among them may have saved the index already when
	// closed: the next open loads it, or saves it when closed.
	next, err := elfsym.OpenWith(path, elfsym.Options{Lazy: true, Cache: c})
	if err != nil {
		t.Fatal(err)
	}
	if answersOf(next) != whole {
		t.Fatal("open after the first ones: answers differ")
	}
	next.Close()
	if im := openLazy(t, path, c); !im.FromCache() || answersOf(im) != whole {
		t.Fatal("the index saved after concurrent first opens was not loaded, or answers differently")
	}
}

// The index a second open saves on Close, built unit by unit on every
// core, answers at every halfword of the code and warns as the index
// built at open by buildDWARF.
func TestIndexSavedOnCloseAnswersAsBuilt(t *testing.T) {
	defer elfsym.SetRacyWindow(0)()
	images := map[string]elfsymtest.Builder{
		"gcc":        elfsymtest.Sample,
		"dwarf4":     elfsymtest.DWARF4,
		"gcsections": elfsymtest.GCSections,
		"clang":      elfsymtest.Clang,
	}
	elfsymtest.OnEach(t, images, func(t *testing.T, path string) {
		built := openCached(t, path, nil)
		c := &indexcache.Dir{Path: t.TempDir()}
		openLazy(t, path, c).Close() // first sight: a mark
		second, err := elfsym.OpenWith(path, elfsym.Options{Lazy: true, Cache: c})
		if err != nil {
			t.Fatal(err)
		}
		second.Close()
		if n, total := second.LazyUnits(); n != total || total == 0 {
			t.Fatalf("%d of %d units built on close: not the units' whole index", n, total)
		}
		loaded := openLazy(t, path, c)
		if !loaded.FromCache() {
			t.Fatal("the index saved on close was not loaded")
		}
		if got, want := loaded.Warnings(), built.Warnings(); !slices.Equal(got, want) {
			t.Fatalf("saved index warns %q, built %q", got, want)
		}
		n := 0
		for _, s := range built.Sections() {
			if !s.Exec || !s.Alloc {
				continue
			}
			for a := s.Addr; a < s.Addr+s.Size; a += 2 {
				if got, want := loaded.Frames(a), built.Frames(a); !reflect.DeepEqual(got, want) {
					t.Fatalf("%#x: saved index %+v, built %+v", a, got, want)
				}
				n++
			}
		}
		if n == 0 {
			t.Fatal("no code compared")
		}
	})
}

// A cache that keeps no marks of its own (no elfsym.SightMemo) is given
// the first open's mark as a saved part: the sequence is the same, the
// first open lazy and unhashed, the second saving the index on Close, the
// third loading it.
func TestFirstOpenMarksACacheWithoutSightMemo(t *testing.T) {
	path, _ := copySample(t)
	c := &memCache{data: map[elfsym.IndexKey][]byte{}}
	whole := answersOf(openCached(t, path, nil))
	first := openLazy(t, path, c)
	if !first.IsLazy() || first.FromCache() || first.ContentHashed() {
		t.Fatalf("first open: lazy %v, from cache %v, hashed %v", first.IsLazy(), first.FromCache(), first.ContentHashed())
	}
	first.Close() // its mark is left by then
	if c.stores != 1 {
		t.Fatalf("first open stored %d entries, want its mark alone", c.stores)
	}
	second, err := elfsym.OpenWith(path, elfsym.Options{Lazy: true, Cache: c})
	if err != nil {
		t.Fatal(err)
	}
	if !second.IsLazy() || second.FromCache() {
		t.Fatalf("second open: lazy %v, from cache %v", second.IsLazy(), second.FromCache())
	}
	second.Close()
	third := openLazy(t, path, c)
	if !third.FromCache() {
		t.Fatal("third open did not load the index the second saved")
	}
	for _, im := range []*elfsym.Image{first, third} {
		if answersOf(im) != whole {
			t.Fatal("answers differ from the whole index's")
		}
	}
}

// slowMarks is a cache that keeps marks (elfsym.SightMemo) and takes as
// long to leave one as the test wants: MarkSighted waits for release.
type slowMarks struct {
	memCache
	release chan struct{}
	marked  atomic.Bool
}

func (c *slowMarks) Sighted(elfsym.FileIdentity) bool { return c.marked.Load() }

func (c *slowMarks) MarkSighted(elfsym.FileIdentity) error {
	<-c.release
	c.marked.Store(true)
	return nil
}

// A first open leaves its mark meanwhile: OpenWith and the answers do
// not wait for it (making a new cache's directories and the mark is a
// tenth of a first run on a small firmware), and Close returns only once
// it is left, so the next open, in this process or the next, finds it.
func TestFirstOpenMarkIsLeftByClose(t *testing.T) {
	path, _ := copySample(t)
	whole := answersOf(openCached(t, path, nil))
	c := &slowMarks{memCache: memCache{data: map[elfsym.IndexKey][]byte{}}, release: make(chan struct{})}
	type opened struct {
		im  *elfsym.Image
		err error
	}
	done := make(chan opened, 1)
	go func() {
		im, err := elfsym.OpenWith(path, elfsym.Options{Lazy: true, Cache: c})
		done <- opened{im, err}
	}()
	var first *elfsym.Image
	select {
	case o := <-done:
		if o.err != nil {
			t.Fatal(o.err)
		}
		first = o.im
	case <-time.After(20 * time.Second):
		close(c.release)
		t.Fatal("OpenWith waited for the first open's mark")
	}
	if answersOf(first) != whole {
		t.Fatal("first open: answers differ from the whole index's")
	}
	if c.marked.Load() {
		t.Fatal("mark left before it was released")
	}
	go func() {
		time.Sleep(50 * time.Millisecond)
		close(c.release)
	}()
	first.Close()
	if !c.marked.Load() {
		t.Fatal("Close returned before the first open's mark was left")
	}
	if c.stores != 0 {
		t.Fatalf("a cache that keeps marks was given %d saved parts", c.stores)
	}
	second := openLazy(t, path, c)
	second.Close() // a second open: saves the whole index
	if third := openLazy(t, path, c); !third.FromCache() || answersOf(third) != whole {
		t.Fatal("the open after the marked one did not save the index the next loads")
	}
}

// handOff is an IndexBuilder that records what it is handed, and when
// told to go, and takes it or not.
type handOff struct {
	take bool

	mu      sync.Mutex
	paths   []string
	ids     []elfsym.FileIdentity
	started int // calls of the start BuildIndex returned
}

func (h *handOff) BuildIndex(path string, id elfsym.FileIdentity) (func(), bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.paths, h.ids = append(h.paths, path), append(h.ids, id)
	return func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.started++
	}, h.take
}

// handed returns what h was handed and how often told to go.
func (h *handOff) handed() ([]string, []elfsym.FileIdentity, int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.paths), slices.Clone(h.ids), h.started
}

// A second lazy open does not hash the file (the cache remembers no hash
// for it: no index was saved from it), and hands the whole index's build
// to Options.Builder, once, with the ELF's path and stat identity, as it
// opens (the builder's start overlaps the lookups), telling it to go only
// at Close, and saves nothing itself; SaveIndex (the builder's work) then
// saves the index the third open loads, answering as built. A builder
// that declines leaves the build to Close, as without one.
func TestSecondOpenHandsTheWholeBuildToTheBuilder(t *testing.T) {
	defer elfsym.SetRacyWindow(0)() // the copy is new
	for _, take := range []bool{true, false} {
		t.Run(map[bool]string{true: "taken", false: "declined"}[take], func(t *testing.T) {
			path, _ := copySample(t)
			c := &indexcache.Dir{Path: t.TempDir()}
			whole := openCached(t, path, nil)
			k := elfsym.IndexKey{BuildID: whole.BuildID(), Content: contentOf(t, path), Version: elfsym.IndexVersion}
			b := &handOff{take: take}
			open := func() *elfsym.Image {
				im, err := elfsym.OpenWith(path, elfsym.Options{Lazy: true, Cache: c, Builder: b})
				if err != nil {
					t.Fatal(err)
				}
				return im
			}
			open().Close() // first sight: a mark, nothing handed over
			if _, ids, _ := b.handed(); len(ids) != 0 {
				t.Fatalf("the first open handed over %v", ids)
			}
			st, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			second := open()
			if answersOf(second) != answersOf(whole) {
				t.Fatal("second open: answers differ")
			}
			if second.ContentHashed() || second.FromCache() {
				t.Fatalf("second open: hashed %v, from cache %v; want lazy answers without reading the whole file", second.ContentHashed(), second.FromCache())
			}
			if _, _, started := b.handed(); started != 0 {
				t.Fatal("the builder was told to go before Close")
			}
			second.Close()
			second.Close()
			paths, ids, started := b.handed()
			if id := elfsym.FileIdentityOf(st); len(ids) != 1 || paths[0] != path || ids[0] != id {
				t.Fatalf("handed over %v %v, want %s once, as %+v", paths, ids, path, id)
			}
			if take && started == 0 {
				t.Fatal("Close did not tell the builder to go")
			}
			data, _ := c.Load(k)
			c.Release(data)
			if saved := data != nil; saved == take {
				t.Fatalf("builder took the build: %v; Close saved the index: %v", take, saved)
			}
			if take {
				if err := elfsym.SaveIndex(path, c); err != nil {
					t.Fatal(err)
				}
			}
			third := open()
			defer third.Close()
			if !third.FromCache() || answersOf(third) != answersOf(whole) {
				t.Fatalf("third open: from cache %v, or answers differ", third.FromCache())
			}
			if !slices.Equal(third.Warnings(), whole.Warnings()) {
				t.Fatalf("saved index warns %q, built %q", third.Warnings(), whole.Warnings())
			}
			if _, ids, _ := b.handed(); len(ids) != 1 {
				t.Fatalf("the third open handed over too: %v", ids)
			}
		})
	}
}

// SaveIndex saves an index the cache lacks, leaves one it has alone, and
// says why it could not save.
func TestSaveIndexSavesOnlyWhatIsMissing(t *testing.T) {
	path, _ := copySample(t)
	c := &memCache{data: map[elfsym.IndexKey][]byte{}}
	if err := elfsym.SaveIndex(path, c); err != nil {
		t.Fatal(err)
	}
	if c.stores != 1 {
		t.Fatalf("SaveIndex stored %d entries, want the index", c.stores)
	}
	if err := elfsym.SaveIndex(path, c); err != nil || c.stores != 1 {
		t.Fatalf("SaveIndex again: %v, %d stores; want the saved index left alone", err, c.stores)
	}
	if im := openCached(t, path, c); !im.FromCache() || answersOf(im) != answersOf(openCached(t, path, nil)) {
		t.Fatal("the index SaveIndex saved is not loaded, or answers differently")
	}
	if err := elfsym.SaveIndex(path, nil); err == nil {
		t.Error("SaveIndex without a cache: no error")
	}
	if err := elfsym.SaveIndex(filepath.Join(t.TempDir(), "missing.elf"), c); err == nil {
		t.Error("SaveIndex of a missing file: no error")
	}
	full := errors.New("disk full")
	if err := elfsym.SaveIndex(path, failingStore{full}); !errors.Is(err, full) {
		t.Errorf("SaveIndex into a cache that cannot store: %v, want its error", err)
	}
}

// failingStore is a cache that has nothing and stores nothing.
type failingStore struct{ err error }

func (failingStore) Load(elfsym.IndexKey) ([]byte, error)  { return nil, nil }
func (c failingStore) Store(elfsym.IndexKey, []byte) error { return c.err }
