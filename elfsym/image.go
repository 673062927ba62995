package elfsym

import (
	"crypto/sha256"
	"debug/dwarf"
	"debug/elf"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/faultline-dev/faultline/internal/plainfile"
)

// A FormatError reports that an ELF is damaged or not what elfsym reads,
// and where: the file, the section (if any) and the byte offset in it.
type FormatError struct {
	File    string // name given to Open or NewImage
	Section string // section name, "" for the ELF header
	Offset  int64  // byte offset in the section (or file), -1 if unknown
	Msg     string
	Err     error // underlying error, may be nil
}

func (e *FormatError) Error() string {
	s := "elfsym: " + e.File + ": " + e.Msg
	switch {
	case e.Section != "" && e.Offset >= 0:
		s += fmt.Sprintf(" (section %s, offset %#x)", e.Section, e.Offset)
	case e.Section != "":
		s += " (section " + e.Section + ")"
	case e.Offset >= 0:
		s += fmt.Sprintf(" (file offset %#x)", e.Offset)
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *FormatError) Unwrap() error { return e.Err }

// An Image is an indexed firmware ELF. It is immutable after Open and safe
// for concurrent use.
type Image struct {
	path    string
	closer  io.Closer
	r       io.ReaderAt
	size    int64
	buildID string
	content struct { // cache key (contentHash), computed when first needed
		once sync.Once
		hex  string
		err  error
	}
	sha struct {
		once sync.Once
		hex  string
	}
	ident FileIdentity // zero for NewImage
	warn  []string

	syms    []Symbol // sorted by Addr; Name as in the table when mangled (symbol, allSyms)
	mangled bool     // some names need demangling
	// rawSyms, when not nil, holds the symbols instead of syms and spans,
	// as a saved index has them (symSize bytes each, index.go), names
	// demangled, their strings in symStr: decoded as lookups touch them.
	rawSyms   []byte
	symStr    *strTable
	demangled struct {
		once sync.Once
		syms []Symbol
	}
	spans  []uint64 // per syms[i]: bytes it covers (Size, or up to the next function for unsized functions)
	byName struct {
		once sync.Once
		m    map[string]int
	}
	maxSize  uint64 // largest symbol size, bounds the backward walk in SymbolAt
	sections []Section
	allocIdx []int // indexes into sections of alloc sections with size, sorted by Addr
	segments []Segment
	mem      []memChunk // loaded bytes by target address, sorted

	lines lineTable
	funcs funcIndex
	cfi   cfiOnce // cfi.go
	// realview: the code RealView compilers produced, whose CFI has
	// quirks (realview.go)
	realview realviewOnce
	exidx    exidxOnce // exidx.go: the EHABI index, read on first use
	arch     string    // CPUArch (arch.go)

	dw        dwarfOnce  // for the data and call-site indexes, read on first use
	fromCache bool       // symbols, lines and functions came from an IndexCache
	lazy      *lazyDWARF // per-unit index (lazy.go); nil: lines and funcs hold the whole
	cache     IndexCache
	// saveOnClose, if set, has the whole index built and saved (a lazy
	// image opened a second time): Close runs it once, after the answers,
	// and it hands the build to Options.Builder when it can.
	saveOnClose func() error
	saving      sync.Once
	saveErr     error
	data        dataOnce
	calls       callSites // call-site index, built on first use (callsites.go)

	// marked, if not nil, is closed once a first open's mark is left
	// (meanwhile, by a goroutine): Close waits for it.
	marked chan struct{}
}

// Options say how OpenWith and NewImageWith index an ELF.
type Options struct {
	// Cache, if not nil, is asked for a saved index before one is built,
	// and given the index built when it had none (or a damaged one).
	// Answers are the same either way; a failing cache only costs time.
	Cache IndexCache
	// Lazy indexes DWARF one compile unit at a time, as lookups need
	// them, when there is no saved index: much faster for a few lookups in
	// a large ELF. With a Cache, the first open of an ELF is lazy and
	// leaves a mark (by the file's stat identity: it does not hash the
	// file, having no index to look up), written while it answers and
	// there once Close returns; the next one is lazy too, and
	// its Close has the whole index built and saved (by Builder, or
	// itself), so its answers do not wait for that; later ones load it.
	// Damaged DWARF is then not reported in Warnings. Answers are the
	// same either way.
	Lazy bool
	// Builder, if not nil, is handed the whole index's build that a
	// second lazy open's Close would otherwise do itself (about 0.3 s of
	// CPU for a 25 MB firmware, five times addr2line's whole run): the
	// process that asked then exits without waiting for it. It is handed
	// over as the open starts, so that starting a builder overlaps the
	// open and the lookups, and told to go at Close.
	Builder IndexBuilder

	ident     FileIdentity // set by OpenWith: finds the content hash in a ContentMemo
	saveWhole bool         // SaveIndex: no first sight, the whole index saved on Close
}

// An IndexBuilder builds and saves an ELF's whole index away from the
// process that opened it (indexcache starts a detached process), so that
// no run waits for the build.
type IndexBuilder interface {
	// BuildIndex has the whole index of the ELF file at path (id its
	// stat identity, as OpenWith saw it) built and saved, without
	// waiting for it. The build starts when start is called (the
	// caller's answers are done: the build must not take the CPU they
	// need) or when the calling process exits, whichever comes first;
	// start may be called more than once. ok is false when it arranged
	// nothing: the caller builds it.
	BuildIndex(path string, id FileIdentity) (start func(), ok bool)
}

// handedOver is what an IndexBuilder said to a build handed over at open.
type handedOver struct {
	start func()
	ok    bool
}

// SaveIndex builds the whole index of the ELF file at path and saves it in
// c, unless c holds it already: the work an IndexBuilder hands to another
// process. The index is built unit by unit on every core, as a second
// lazy open's Close builds it, and answers as the one built at open.
func SaveIndex(path string, c IndexCache) error {
	if c == nil {
		return errors.New("elfsym: SaveIndex needs a cache")
	}
	im, err := OpenWith(path, Options{Cache: c, Lazy: true, saveWhole: true})
	if err != nil {
		return err
	}
	im.saveNow()
	cerr := im.Close()
	if im.saveErr != nil {
		return fmt.Errorf("elfsym: save the index of %s: %w", path, im.saveErr)
	}
	return cerr
}

// Open opens the named ELF and builds the whole index: linear in the size of
// the symbol table and DWARF (about 0.2 s of CPU, GC included, for 3000
// C++ functions and 1.2 MB of .debug_info). The file stays open until Close, for ReadMemory.
func Open(path string) (*Image, error) { return OpenWith(path, Options{}) }

// OpenWith is Open with options: with a Cache, an ELF indexed before is
// loaded from its saved index instead of being indexed again.
func OpenWith(path string, opts Options) (*Image, error) {
	f, err := plainfile.Open(path) // read with ReadAt: no poller needed
	if err != nil {
		return nil, fmt.Errorf("elfsym: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("elfsym: %w", err)
	}
	if st.IsDir() {
		f.Close()
		return nil, fmt.Errorf("elfsym: %s is a directory, not an ELF file", path)
	}
	opts.ident = FileIdentityOf(st)
	im, err := NewImageWith(f, st.Size(), path, opts)
	if err != nil {
		f.Close()
		return nil, err
	}
	im.closer = f
	return im, nil
}

// NewImage indexes the ELF read from r (size bytes). name is used in errors
// and returned by Path. Close does not close r.
func NewImage(r io.ReaderAt, size int64, name string) (*Image, error) {
	return NewImageWith(r, size, name, Options{})
}

// NewImageWith is NewImage with options (see OpenWith).
func NewImageWith(r io.ReaderAt, size int64, name string, opts Options) (im *Image, err error) {
	// Last resort only: the ELF and DWARF readers come from the standard
	// library and delve and are not fully hardened against hostile input.
	// Everything elfsym parses itself is bounds-checked instead.
	defer func() {
		if p := recover(); p != nil {
			im = nil
			err = &FormatError{File: name, Offset: -1, Msg: fmt.Sprintf("damaged file (parser failed: %v)", p)}
		}
	}()
	if size < 52 {
		return nil, &FormatError{File: name, Offset: 0, Msg: fmt.Sprintf("too short for an ELF header (%d bytes)", size)}
	}
	f, err := elf.NewFile(io.NewSectionReader(r, 0, size))
	if err != nil {
		if terr := checkTruncated(r, size, name); terr != nil {
			return nil, terr
		}
		return nil, &FormatError{File: name, Offset: 0, Msg: "not a readable ELF file", Err: err}
	}
	if f.Machine != elf.EM_ARM {
		return nil, &FormatError{File: name, Offset: 18, Msg: fmt.Sprintf("not an ARM ELF (machine %v)", f.Machine)}
	}
	im = &Image{path: name, r: r, size: size, ident: opts.ident, cache: opts.Cache}
	if err := im.loadSections(f); err != nil {
		return nil, err
	}
	// A file the cache has never seen (by its stat identity) has no saved
	// index to find, except under another identity (a copy, a relink to
	// the same bytes), which a later open finds: its first open answers
	// lazily without reading the whole file for the content hash.
	first := opts.Lazy && opts.Cache != nil && !opts.saveWhole && im.firstSight()
	opened := false // set as im is returned
	if first {
		// The mark is left meanwhile: a first run is short of work for
		// two cores as often as not, and making the cache's directories
		// and the mark is the kernel's work (0.5-0.8 ms in a new cache
		// directory), a tenth of a first run on a small firmware. It
		// overlaps the lookups too, not only the open: it is there when
		// Close returns (or when open fails: nothing to close).
		marked := make(chan struct{})
		go func() {
			defer close(marked)
			defer func() { _ = recover() }() // a cache's panic costs the mark, not the run
			im.markSeenByIdentity()
		}()
		im.marked = marked
		defer func() {
			if !opened {
				<-marked // a parser panic: no image to close
			}
		}()
	}
	// A file seen before whose content hash is not remembered by its
	// identity has had no index saved from it as it is now: whatever
	// saves an index hashes the file and remembers the hash (unless the
	// file was then within the racy window; the builder started next
	// remembers it). Its open answers lazily again, and its builder
	// hashes it, not the run: the hash is a third of a second run on a
	// 25 MB firmware. A copy of an ELF indexed before, whose index is
	// found by the hash, is loaded a run later than if hashed here.
	unhashed := !first && opts.Lazy && !opts.saveWhole && im.seenUnhashed()
	if opts.Cache != nil && !first && !unhashed {
		// The cache key needs the contents; a CRC reads them several
		// times faster than SHA-256, which is computed only if asked for,
		// and the cache's ContentMemo spares even that for a file whose
		// stat is unchanged since it was hashed.
		if _, err := im.contentKey(); err != nil {
			return nil, &FormatError{File: name, Offset: -1, Msg: "reading file", Err: err}
		}
	}
	im.dw.f = f
	if first || unhashed || !im.loadSavedIndex(opts.Cache) {
		w0 := len(im.warn)
		// Reading the debug sections is mostly copying; it overlaps with
		// reading the symbol table.
		type dwarfRead struct {
			d   *dwarf.Data
			err error
		}
		// Lazy whenever asked: an ELF looked at once costs what its
		// question needs. One looked at again is worth indexing: the
		// second open has the whole index built and saved too, when
		// closed (by Options.Builder, away from the run), so its answers
		// do not wait for it.
		lazy := opts.Lazy
		seen := lazy && opts.Cache != nil && !first && (opts.saveWhole || unhashed || im.seenByIdentity() || im.seenBefore())
		// A second open's builder is started now, meanwhile, not at Close:
		// starting a process (a fork and an exec of this program, a
		// quarter of a millisecond, more on a busy machine) then overlaps
		// the open and the lookups, where it was serial, after the
		// answers. It builds only once Close says so (or this process
		// exits), at the lowest priority from its start, so it does not
		// take the CPU the lookups need; Close does not wait for it to
		// start unless it has not yet.
		var handed func() handedOver // nil: nothing handed over
		if b := opts.Builder; seen && b != nil && im.ident != (FileIdentity{}) && !opts.saveWhole {
			handOff := make(chan handedOver, 1)
			go func() {
				var h handedOver
				defer func() {
					_ = recover() // a builder's panic costs the hand-over: Close builds
					handOff <- h
				}()
				h.start, h.ok = b.BuildIndex(im.path, im.ident)
			}()
			handed = sync.OnceValue(func() handedOver { return <-handOff })
			defer func() {
				if opened {
					return // Close tells it to go
				}
				if h := handed(); h.ok { // no image to close: the builder goes now
					h.start()
				}
			}()
		}
		dwc := make(chan dwarfRead, 1)
		if !lazy {
			go func() {
				d, err := readDWARF(f, size)
				dwc <- dwarfRead{d, err}
			}()
		}
		dw := func() (*dwarf.Data, error) {
			if lazy { // newLazyDWARF could not: read it all after all
				return readDWARF(f, size)
			}
			r := <-dwc
			return r.d, r.err
		}
		if lazy {
			// A large symbol table is read meanwhile, not the units' list:
			// a new goroutine waits for a thread to take it up (a tenth
			// of a millisecond, here), and the list is the longer work of
			// the two, so it goes first. A small one is read first, on
			// this goroutine: as fast, with less CPU (see parallelBytes).
			// A parser panic goes on to the recover above.
			symc := make(chan any, 1)
			if st := f.Section(".symtab"); st != nil && st.Size >= parallelBytes {
				go func() {
					defer func() { symc <- recover() }()
					im.loadSymbols(f)
				}()
			} else {
				im.loadSymbols(f)
				symc <- nil
			}
			osf, _ := r.(*os.File)
			lz := newLazyDWARF(f, osf, size)
			if p := <-symc; p != nil {
				panic(p)
			}
			if im.lazy = lz; im.lazy != nil {
				im.lazy.zeroOK = im.zeroOK()
			}
		} else {
			im.loadSymbols(f)
		}
		if im.lazy != nil {
			if missing, total, first := im.lazy.missingDwo(); missing > 0 {
				im.warnf("%s", splitDWARFWarning(missing, total, first))
			}
		}
		symWarn := slices.Clone(im.warn[w0:])
		if im.lazy == nil {
			im.loadDWARF(f, dw)
			im.loadCFI(f)
		} else {
			// Parsed on first use, like the DWARF; only its absence is
			// said now.
			im.cfiPresence(f)
		}
		if opts.Cache != nil {
			// Best effort: a cache that cannot store costs the next run
			// time, not this one its answers.
			switch {
			case first:
				// Marked meanwhile (above); an ELF that could not be
				// read lazily is marked too, which costs its next open
				// nothing: that finds the index saved below.
				if im.lazy == nil {
					_ = opts.Cache.Store(im.indexKey(), im.marshalIndex(im.warn[w0:]))
				}
			case im.lazy != nil && seen:
				im.saveOnClose = func() error {
					if handed != nil {
						if h := handed(); h.ok {
							h.start()
							return nil
						}
					}
					return im.saveWholeIndex(f, symWarn)
				}
			case im.lazy != nil:
				im.markSeen()
			default:
				_ = opts.Cache.Store(im.indexKey(), im.marshalIndex(im.warn[w0:]))
			}
		}
		if handed != nil && im.saveOnClose == nil {
			// Indexed whole after all (not lazily readable): saved
			// above, which the builder, let go at Close, finds.
			im.saveOnClose = func() error {
				if h := handed(); h.ok {
					h.start()
				}
				return nil
			}
		}
	}
	im.loadArch(f)
	opened = true
	return im, nil
}

// saveWholeIndex builds the whole index of a lazily opened image and
// saves it, as the first open of a cached ELF does without Options.Lazy.
// It builds into a copy holding only im's symbols (symWarn: the warnings
// reading them gave), so im is not changed. A parser panic saves nothing:
// the next open tries again.
func (im *Image) saveWholeIndex(f *elf.File, symWarn []string) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("building the whole index failed: %v", p)
		}
	}()
	whole := &Image{path: im.path, r: im.r, size: im.size, buildID: im.buildID,
		syms: im.syms, spans: im.spans, mangled: im.mangled, maxSize: im.maxSize, warn: symWarn}
	// The units, built whole on every core, merge to what buildDWARF
	// builds on one; a damaged one sends it to buildDWARF, whose warnings
	// say where.
	if m, ok := im.lazy.buildAll(); ok {
		whole.lines, whole.funcs = m.lines, m.funcs
		if whole.lines.len() == 0 {
			whole.warnf("no DWARF line table: no file:line") // as loadDWARF says
		}
	} else {
		whole.loadDWARF(f, func() (*dwarf.Data, error) { return readDWARF(f, im.size) })
	}
	whole.loadCFI(f)
	return im.cache.Store(im.indexKey(), whole.marshalIndex(whole.warn))
}

// checkTruncated explains the commonest damage, a cut file, better than
// debug/elf does: ELF32 keeps the section header table at the end, so a cut
// loses it first. It returns nil when that is not the problem.
func checkTruncated(r io.ReaderAt, size int64, name string) error {
	var h [52]byte
	if _, err := r.ReadAt(h[:], 0); err != nil {
		return nil
	}
	if string(h[:4]) != "\x7fELF" || h[4] != 1 || h[5] != 1 { // ELF32 little-endian only
		return nil
	}
	shoff := int64(binary.LittleEndian.Uint32(h[32:]))
	shentsize := int64(binary.LittleEndian.Uint16(h[46:]))
	shnum := int64(binary.LittleEndian.Uint16(h[48:]))
	if end := shoff + shentsize*shnum; end > size {
		return &FormatError{File: name, Offset: shoff, Msg: fmt.Sprintf("truncated: section headers end at %#x but the file has %d bytes", end, size)}
	}
	return nil
}

func hashReader(r io.ReaderAt, size int64) (string, error) {
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(r, 0, size)); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// contentHash is the index cache's content key: the size and CRC-32 of the
// whole file. With the build id beside it, an accidental match is out of
// reach, and it costs a few milliseconds where SHA-256 of a 25 MB ELF costs
// tens.
func contentHash(r io.ReaderAt, size int64) (string, error) {
	h := crc32.NewIEEE()
	if _, err := io.Copy(h, io.NewSectionReader(r, 0, size)); err != nil {
		return "", err
	}
	return fmt.Sprintf("%08x%016x", h.Sum32(), size), nil
}

// loadDWARF builds the line table and the function/inline index. Any
// problem degrades to symbols-only lookups with a warning.
//
// dw gives the DWARF data (read beside loadSymbols: see NewImageWith).
func (im *Image) loadDWARF(f *elf.File, dw func() (*dwarf.Data, error)) {
	info := debugSection(f, ".debug_info")
	if info == nil {
		im.warnf("no DWARF (.debug_info missing): functions from the symbol table only, no file:line or inlined frames")
		return
	}
	d, err := dw()
	if err != nil {
		im.warnf("DWARF unreadable (%v): functions from the symbol table only, no file:line or inlined frames", err)
		return
	}
	im.dw.once.Do(func() { im.dw.d, im.dw.addr = d, loadDebugAddr(f, im.size) })
	var ferr error
	var split bool
	im.lines, im.funcs, split, ferr = buildDWARF(d, im.zeroOK(), info.Size, im.sectionSize(f, ".debug_line"))
	if split {
		// -gsplit-dwarf: the units' functions are in .dwo files, which
		// the lazy path's units read; built whole here.
		osf, _ := im.r.(*os.File)
		if lz := newLazyDWARF(f, osf, im.size); lz != nil {
			lz.zeroOK = im.zeroOK()
			if missing, total, first := lz.missingDwo(); missing > 0 {
				im.warnf("%s", splitDWARFWarning(missing, total, first))
			}
			if m, ok := lz.buildAll(); ok {
				im.lines, im.funcs = m.lines, m.funcs
			}
		}
	}
	if ferr != nil {
		im.warnf("DWARF partly unreadable, some addresses may lack functions or lines: %s", strings.ReplaceAll(ferr.Error(), "\n", "; "))
	}
	if im.lines.len() == 0 {
		im.warnf("no DWARF line table: no file:line")
	}
}

// loadSavedIndex fills symbols, lines and functions from the cache and
// reports whether it could. A damaged or foreign entry is ignored (the
// index is then built and stored again over it).
func (im *Image) loadSavedIndex(c IndexCache) bool {
	if c == nil {
		return false
	}
	data, err := c.Load(im.indexKey())
	if err != nil || data == nil {
		return false
	}
	if err := im.unmarshalIndex(data); err != nil {
		release(c, data)
		return false // unmarshalIndex assigns nothing on error
	}
	// The line table and function index are read where they lie in data:
	// it is released when nothing can read them, that is, when im is
	// garbage (lookups reach them only through im).
	if _, ok := c.(IndexReleaser); ok {
		runtime.AddCleanup(im, func(d []byte) { release(c, d) }, data)
	}
	im.fromCache = true
	return true
}

// dwarfOnce reads the DWARF sections on first use when the index came
// from a cache (building the index reads them anyway).
type dwarfOnce struct {
	once sync.Once
	f    *elf.File
	d    *dwarf.Data
	addr debugAddr // .debug_addr, for DW_OP_addrx (dwarf5.go)
}

func (im *Image) loadDWARFData() {
	im.dw.once.Do(func() {
		defer func() {
			if p := recover(); p != nil {
				im.dw.d = nil // a damaged file: no DWARF, as loadDWARF would have warned
			}
		}()
		f := im.dw.f
		if f == nil || debugSection(f, ".debug_info") == nil {
			return
		}
		if d, err := readDWARF(f, im.size); err == nil {
			im.dw.d, im.dw.addr = d, loadDebugAddr(f, im.size)
		}
	})
}

// dwarfData returns the DWARF data, nil when the ELF has none readable.
func (im *Image) dwarfData() *dwarf.Data {
	im.loadDWARFData()
	return im.dw.d
}

// debugAddrs returns .debug_addr, nil when absent.
func (im *Image) debugAddrs() debugAddr {
	im.loadDWARFData()
	return im.dw.addr
}

// FromCache reports whether the symbol, line and function index was loaded
// from Options.Cache rather than built from the ELF.
func (im *Image) FromCache() bool { return im.fromCache }

// sectionSize is a section's size for preallocation: 0 when absent or
// larger than the file (damaged, or compressed), so a bad header cannot make
// Open allocate more than the file justifies.
func (im *Image) sectionSize(f *elf.File, name string) uint64 {
	if s := f.Section(name); s != nil && s.Size <= uint64(im.size) {
		return s.Size
	}
	return 0
}

func (im *Image) warnf(format string, args ...any) {
	im.warn = append(im.warn, fmt.Sprintf(format, args...))
}

// zeroOK reports whether a DWARF range or line sequence starting at address
// 0 is real: only if a function symbol starts at 0. With --gc-sections the
// linker relocates debug info of discarded functions to 0.
func (im *Image) zeroOK() bool {
	for i := range im.nsyms() {
		s := im.symKey(i)
		if s.addr > 0 {
			return false
		}
		if s.fn {
			return true
		}
	}
	return false
}

// Close closes the file opened by Open; it does nothing else for
// NewImage but wait for a first open's mark (see Options.Lazy), which is
// left by the time Close returns. The second lazy open of an ELF with a
// cache first has its whole index built and saved: handed to
// Options.Builder, or built here (a third of a second for a 25 MB
// firmware; see Options.Lazy).
func (im *Image) Close() error {
	im.saveNow()
	if im.marked != nil {
		<-im.marked
	}
	if im.closer == nil {
		return nil
	}
	err := im.closer.Close()
	im.closer = nil
	return err
}

// saveNow runs saveOnClose, once (best effort: its error, kept for
// SaveIndex, costs the next open time, not this one an answer).
func (im *Image) saveNow() {
	im.saving.Do(func() {
		if im.saveOnClose != nil {
			im.saveErr = im.saveOnClose()
		}
	})
}

// Path returns the name given to Open or NewImage.
func (im *Image) Path() string { return im.path }

// BuildID returns the hex NT_GNU_BUILD_ID, "" if the ELF has none.
func (im *Image) BuildID() string { return im.buildID }

func (im *Image) contentKey() (string, error) {
	im.content.once.Do(func() {
		if h := memoContent(im.cache, im.ident); h != "" {
			im.content.hex = h
			return
		}
		before := time.Now()
		im.content.hex, im.content.err = contentHash(im.r, im.size)
		if im.content.err == nil && im.cache != nil {
			rememberContent(im.cache, im.ident, im.content.hex, before)
		}
	})
	return im.content.hex, im.content.err
}

// SHA256 returns the hex SHA-256 of the whole file, computed on the first
// call (it reads the whole file: call it before Close); "" if the file
// cannot be read.
func (im *Image) SHA256() string {
	im.sha.once.Do(func() { im.sha.hex, _ = hashReader(im.r, im.size) })
	return im.sha.hex
}

// Warnings says what is missing or degraded, one sentence each.
func (im *Image) Warnings() []string { return append([]string(nil), im.warn...) }

// errNotLoaded is wrapped by ReadMemory errors.
var errNotLoaded = errors.New("address not in the image's loaded contents")
