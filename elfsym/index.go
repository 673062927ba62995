package elfsym

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sort"
	"sync"
	"sync/atomic"
)

// The saved index holds what building costs: the demangled symbol table,
// the merged line table and the function/inline partition, and the
// warnings building them and the CFI index gave. Sections and build
// attributes are cheap to read from the ELF again; the CFI is parsed on
// first use; the data and call-site indexes are parts of their own
// (indexparts.go).
//
// Layout: the magic, the format version, a string table, then the parts:
// counts and the few variable records are uvarints, every string an
// (offset, length) pair into the table. The symbols, line rows, scopes and
// segments are fixed-size records searched where they lie in the loaded
// (mapped) bytes, so a load decodes nothing per symbol or row and a lookup
// touches the few records its binary searches reach: the segments through
// a fence of every segFenceStep-th one's address, the line rows between
// the first past their segment's start and the next one's. Strings are
// copied out of the table a chunk at a time as lookups read them
// (strTable): they outlive the mapping, which is released with the Image.

// IndexVersion is the format version of MarshalIndex. Bump it whenever the
// layout or the meaning of what is saved changes (including a change to how
// buildDWARF or loadSymbols compute their answers), so old saved indexes
// are ignored instead of giving old answers.
const IndexVersion = 17

const indexMagic = "FLIDX\x00"

// An IndexKey names the ELF an index was built from.
type IndexKey struct {
	BuildID string // hex NT_GNU_BUILD_ID, "" if none
	Content string // hex hash of the whole file's contents (CRC-32 and size)
	Version int    // IndexVersion of the code that built it
	// Part names an index built on first use and saved on its own
	// ("calls", "data"); "" is the main index Open loads.
	Part string
}

// An IndexCache keeps built indexes between processes (package
// elfsym/indexcache keeps them on disk). Load returns nil data, and no
// error, when it has nothing for key. Implementations must be safe for
// concurrent use.
type IndexCache interface {
	Load(key IndexKey) ([]byte, error)
	Store(key IndexKey, data []byte) error
}

// An IndexReleaser is an IndexCache whose Load data must be given back
// (indexcache maps files): elfsym calls Release once it no longer reads
// the data, which for the main index is when the Image is garbage.
type IndexReleaser interface {
	Release(data []byte)
}

// release gives data back to c if c wants it.
func release(c IndexCache, data []byte) {
	if r, ok := c.(IndexReleaser); ok {
		r.Release(data)
	}
}

// indexKey is the key of this image's index.
func (im *Image) indexKey() IndexKey {
	c, _ := im.contentKey()
	return IndexKey{BuildID: im.buildID, Content: c, Version: IndexVersion}
}

// IndexKey returns the key this image's main index is saved under in an
// IndexCache (reading the whole file the first time, with or without a
// cache: call it before Close).
func (im *Image) IndexKey() IndexKey { return im.indexKey() }

// marshalIndex encodes the built symbol, line and function index and the
// warnings building it gave.
func (im *Image) marshalIndex(warn []string) []byte {
	var st strtab
	st.idx = map[string]uint32{}
	// Sized up front: a large firmware's index is megabytes, copied many
	// times over as it grows otherwise.
	body := make([]byte, 0, 1024+16*len(warn)+symSize*im.nsyms()+rowSize*im.lines.len()+
		scopeSize*im.funcs.nscopes()+segSize*len(im.funcs.segs)+16*len(im.lines.files))
	u := func(v uint64) { body = binary.AppendUvarint(body, v) }
	s := func(x string) { u(uint64(st.add(x))); u(uint64(len(x))) }

	// The strings lookups with DWARF read (functions, files) go first,
	// together, so that many lookups copy fewer chunks of the table
	// (strTable) than if raw symbol names were interleaved.
	for _, f := range im.lines.files {
		st.add(f)
	}
	for i := range im.funcs.nscopes() {
		sc := im.funcs.scope(int32(i))
		st.add(sc.name)
		st.add(sc.callFile)
	}

	u(uint64(len(warn)))
	for _, w := range warn {
		s(w)
	}
	// maxSize is saved, not recomputed from every record at load.
	u(im.maxSize)
	syms := im.allSyms()
	u(uint64(len(syms)))
	le := binary.LittleEndian
	for i, sym := range syms { // sorted by Addr
		raw := sym.RawName
		if raw == sym.Name {
			raw = "" // most C names need no demangling: no second string
		}
		body = le.AppendUint64(body, sym.Addr)
		body = le.AppendUint64(body, sym.Size)
		body = le.AppendUint64(body, im.symKey(i).span)
		for _, x := range []string{sym.Name, raw} {
			body = le.AppendUint32(body, st.add(x))
			body = le.AppendUint32(body, uint32(len(x)))
		}
		body = le.AppendUint32(body, uint32(boolBit(sym.Func)|boolBit(sym.Abs)<<1|boolBit(raw == "")<<2))
	}
	u(uint64(len(im.lines.files)))
	for _, f := range im.lines.files {
		s(f)
	}
	// Rows, scopes and segments have fixed sizes, so a loaded index is
	// searched where it lies instead of being decoded whole.
	u(uint64(im.lines.len()))
	for i := range im.lines.len() {
		r := im.lines.row(i)
		body = binary.LittleEndian.AppendUint64(body, r.addr)
		body = binary.LittleEndian.AppendUint32(body, r.file)
		body = binary.LittleEndian.AppendUint32(body, r.line<<1|uint32(boolBit(r.end)))
	}
	u(uint64(im.funcs.nscopes()))
	for i := range im.funcs.nscopes() {
		sc := im.funcs.scope(int32(i))
		for _, x := range []string{sc.name, sc.callFile} {
			body = binary.LittleEndian.AppendUint32(body, st.add(x))
			body = binary.LittleEndian.AppendUint32(body, uint32(len(x)))
		}
		body = binary.LittleEndian.AppendUint32(body, uint32(sc.callLine))
		body = binary.LittleEndian.AppendUint32(body, uint32(sc.parent))
		body = binary.LittleEndian.AppendUint32(body, uint32(sc.depth))
		body = binary.LittleEndian.AppendUint64(body, sc.entry)
	}
	segs := im.funcs.segs
	u(uint64(len(segs)))
	nrows := im.lines.len()
	for _, sg := range segs {
		body = binary.LittleEndian.AppendUint64(body, sg.addr)
		body = binary.LittleEndian.AppendUint32(body, uint32(sg.scope))
		// The line rows answering for a segment's addresses lie between
		// its row and the next segment's: Frames searches those few
		// instead of the whole table (segRows).
		r := sort.Search(nrows, func(i int) bool { return im.lines.row(i).addr > sg.addr })
		body = binary.LittleEndian.AppendUint32(body, uint32(r))
	}
	body = appendSegFence(body, segs)

	out := make([]byte, 0, len(indexMagic)+16+len(st.data)+len(body))
	out = append(out, indexMagic...)
	out = binary.AppendUvarint(out, IndexVersion)
	out = binary.AppendUvarint(out, uint64(len(st.data)))
	out = append(out, st.data...)
	return append(out, body...)
}

func boolBit(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

// strtab collects distinct strings into one blob.
type strtab struct {
	data []byte
	idx  map[string]uint32
}

func (t *strtab) add(s string) uint32 {
	if o, ok := t.idx[s]; ok {
		return o
	}
	// A string no longer than a chunk starts in the next chunk rather than
	// cross into it, so reading it copies one chunk (strTable).
	if n := len(t.data); len(s) > 0 && len(s) <= strChunk && n/strChunk != (n+len(s)-1)/strChunk {
		t.data = append(t.data, make([]byte, strChunk-n%strChunk)...)
	}
	o := uint32(len(t.data))
	t.data = append(t.data, s...)
	t.idx[s] = o
	return o
}

var errIndexFormat = errors.New("damaged or foreign index")

// idxReader decodes a saved index; the first failure sticks, so callers
// check once at the end (or before sizing an allocation).
type idxReader struct {
	b   []byte
	str *strTable
	err error
}

func (r *idxReader) u() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errIndexFormat
		return 0
	}
	r.b = r.b[n:]
	return v
}

// count reads a length and checks it against the bytes left (every
// element takes at least min bytes), so a damaged count cannot make the
// decoder allocate more than the file justifies.
func (r *idxReader) count(minBytes int) int {
	n := r.u()
	if r.err == nil && n > uint64(len(r.b)/minBytes) {
		r.err = errIndexFormat
	}
	if r.err != nil {
		return 0
	}
	return int(n)
}

// fixed reads a count and that many records of size bytes, returned as
// they lie in the index.
func (r *idxReader) fixed(size int) []byte {
	n := r.count(size)
	if r.err != nil {
		return nil
	}
	b := r.b[:n*size]
	r.b = r.b[n*size:]
	return b
}

func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// Sizes of the fixed records.
const (
	symSize   = 44 // addr, size, span u64; name off/len, raw name off/len, flags (func, abs, raw same as name) u32
	rowSize   = 16 // addr u64, file u32, line<<1|end u32
	scopeSize = 36 // name off/len, call file off/len, call line, parent, depth (u32 each), entry u64
	segSize   = 16 // addr u64, scope u32, first line row past addr u32
)

func decodeRow(b []byte) lineRow {
	l := binary.LittleEndian.Uint32(b[12:])
	return lineRow{addr: binary.LittleEndian.Uint64(b), file: binary.LittleEndian.Uint32(b[8:]), line: l >> 1, end: l&1 == 1}
}

// decodeSeg decodes a segment; a scope number not below nscopes (damage)
// reads as no function.
func decodeSeg(b []byte, nscopes int) seg {
	sc := int32(binary.LittleEndian.Uint32(b[8:]))
	if sc < -1 || int(sc) >= nscopes {
		sc = -1
	}
	return seg{addr: binary.LittleEndian.Uint64(b), scope: sc}
}

// segRows returns the rows of a table of nrows line rows that the
// search for an address in segment k must cover, [lo, hi], as a saved
// index records them; the whole table when it does not (a built index,
// no segment). Damage cannot make the range leave the table.
func (fx *funcIndex) segRows(k, nrows int) (lo, hi int) {
	n := len(fx.rawSegs) / segSize
	if k < 0 || k >= n {
		return 0, nrows
	}
	row := func(k int) int { return min(int(binary.LittleEndian.Uint32(fx.rawSegs[k*segSize+12:])), nrows) }
	lo, hi = row(k), nrows
	if k+1 < n {
		hi = max(row(k+1), lo)
	}
	return lo, hi
}

// segFenceStep is how many segments of a saved index one entry of its
// fence stands for: the fence (every segFenceStep-th segment's address,
// a few KB) is searched first, then one block of segments, so a lookup
// touches one or two pages of the segments rather than the dozen a search
// of them all crosses (each a page fault on a freshly mapped index).
const segFenceStep = 256

// appendSegFence appends the count and the fence of segs.
func appendSegFence(b []byte, segs []seg) []byte {
	b = binary.AppendUvarint(b, uint64((len(segs)+segFenceStep-1)/segFenceStep))
	for i := 0; i < len(segs); i += segFenceStep {
		b = binary.LittleEndian.AppendUint64(b, segs[i].addr)
	}
	return b
}

// searchRawSegs returns the first segment of raw starting past addr (n,
// their number, if none), given the fence.
func searchRawSegs(raw, fence []byte, addr uint64) int {
	le := binary.LittleEndian
	lo, hi := 0, len(raw)/segSize
	if nf := len(fence) / 8; nf > 0 {
		// fence[k-1] <= addr < fence[k]: the answer is in block k-1.
		k := sort.Search(nf, func(j int) bool { return le.Uint64(fence[j*8:]) > addr })
		lo, hi = max(0, (k-1)*segFenceStep), min(hi, k*segFenceStep)
	}
	return lo + sort.Search(hi-lo, func(j int) bool { return le.Uint64(raw[(lo+j)*segSize:]) > addr })
}

// decodeScope decodes scope i. Damage cannot make a lookup fail or loop:
// strings out of the table read as "", and a parent not before i (parents
// always precede their children) as none.
func decodeScope(b []byte, i int32, str *strTable) scope {
	le := binary.LittleEndian
	s := func(off int) string { return str.ref(b[off:]) }
	sc := scope{name: s(0), callFile: s(8), callLine: int(le.Uint32(b[16:])), parent: int32(le.Uint32(b[20:])), depth: int32(le.Uint32(b[24:])), entry: le.Uint64(b[28:])}
	if sc.parent >= i || sc.parent < -1 {
		sc.parent = -1
	}
	return sc
}

func (r *idxReader) u32() uint32 {
	v := r.u()
	if v > math.MaxUint32 {
		r.err = errIndexFormat
	}
	return uint32(v)
}

func (r *idxReader) s() string {
	off, n := r.u(), r.u()
	if r.err != nil {
		return ""
	}
	if !r.str.has(off, n) {
		r.err = errIndexFormat
		return ""
	}
	return r.str.get(off, n)
}

// unmarshalIndex fills the symbol, line and function index from data
// written by marshalIndex. Every count is checked (damaged data gives an
// error, never a panic or a huge allocation); references inside the
// fixed records are checked as lookups decode them.
func (im *Image) unmarshalIndex(data []byte) error {
	if len(data) < len(indexMagic) || string(data[:len(indexMagic)]) != indexMagic {
		return errIndexFormat
	}
	r := &idxReader{b: data[len(indexMagic):]}
	if v := r.u(); v != IndexVersion {
		if r.err != nil {
			return r.err
		}
		return fmt.Errorf("index format version %d, want %d", v, IndexVersion)
	}
	n := r.u()
	if r.err != nil || n > uint64(len(r.b)) {
		return errIndexFormat
	}
	r.str, r.b = newStrTable(r.b[:n]), r.b[n:]

	var warn []string
	for i, n := 0, r.count(2); i < n; i++ {
		warn = append(warn, r.s())
	}
	maxSize := r.u()
	rawSyms := r.fixed(symSize)
	files := make([]string, r.count(2))
	for i := range files {
		files[i] = r.s()
	}
	rawRows := r.fixed(rowSize)
	rawScopes := r.fixed(scopeSize)
	rawSegs := r.fixed(segSize)
	segFence := r.fixed(8)
	if r.err == nil && len(segFence)/8 != (len(rawSegs)/segSize+segFenceStep-1)/segFenceStep {
		return errIndexFormat
	}
	if r.err != nil {
		return r.err
	}
	if len(r.b) != 0 {
		return errIndexFormat
	}
	im.warn = append(im.warn, warn...)
	// Empty blocks stay non-nil: nil means "not loaded from an index".
	im.rawSyms, im.symStr, im.maxSize = nonNil(rawSyms), r.str, maxSize
	im.lines = lineTable{files: files, raw: nonNil(rawRows)}
	im.funcs = funcIndex{rawScopes: nonNil(rawScopes), rawSegs: nonNil(rawSegs), segFence: segFence, str: r.str}
	return nil
}

// decodeSym decodes symbol record b; strings out of the table (damage)
// read as "".
func decodeSym(b []byte, str *strTable) Symbol {
	le := binary.LittleEndian
	flags := le.Uint32(b[40:])
	s := Symbol{Addr: le.Uint64(b), Size: le.Uint64(b[8:]), Name: str.ref(b[24:]), Func: flags&1 != 0, Abs: flags&2 != 0}
	s.RawName = s.Name
	if flags&4 == 0 {
		s.RawName = str.ref(b[32:])
	}
	return s
}

// decodeSymKey decodes what a search by address reads of symbol record b.
func decodeSymKey(b []byte) symKey {
	le := binary.LittleEndian
	flags := le.Uint32(b[40:])
	return symKey{addr: le.Uint64(b), span: le.Uint64(b[16:]), size: le.Uint64(b[8:]), fn: flags&1 != 0, abs: flags&2 != 0}
}

// strChunk is the unit in which a loaded index's strings are copied out of
// its string table: small, because every page of fresh heap the copies
// fill faults in (4 KiB chunks made 10 lookups in a 26 MB firmware's index
// a third slower), yet longer than almost every name.
const strChunk = 512

// strTable reads the strings of a saved index where they lie, copying a
// chunk of the table to the heap the first time a string in it is read:
// the table is mapped from a file that is unmapped when the Image is
// garbage, and the strings handed out (function and file names) may be
// kept longer. A lookup reads a few names; copying the whole table at
// load cost more than the lookups. marshalIndex keeps every string no
// longer than a chunk inside one; longer ones are copied on their own.
type strTable struct {
	b      []byte
	chunks []atomic.Pointer[string]
	long   sync.Map // [2]uint64{off, len} -> string
}

func newStrTable(b []byte) *strTable {
	return &strTable{b: b, chunks: make([]atomic.Pointer[string], (len(b)+strChunk-1)/strChunk)}
}

// has reports whether [off, off+n) is inside the table.
func (t *strTable) has(off, n uint64) bool {
	return off <= uint64(len(t.b)) && n <= uint64(len(t.b))-off
}

// ref reads the string of an (offset, length) pair of little-endian u32
// at b[0:8]; "" when it is outside the table (damage).
func (t *strTable) ref(b []byte) string {
	return t.get(uint64(binary.LittleEndian.Uint32(b)), uint64(binary.LittleEndian.Uint32(b[4:])))
}

// get returns the string at [off, off+n) of the table, "" when that is
// outside it.
func (t *strTable) get(off, n uint64) string {
	if n == 0 || !t.has(off, n) {
		return ""
	}
	c := off / strChunk
	lo, hi := c*strChunk, min((c+1)*strChunk, uint64(len(t.b)))
	if off+n > hi {
		k := [2]uint64{off, n}
		if s, ok := t.long.Load(k); ok {
			return s.(string)
		}
		s, _ := t.long.LoadOrStore(k, string(t.b[off:off+n]))
		return s.(string)
	}
	p := t.chunks[c].Load()
	if p == nil {
		s := string(t.b[lo:hi])
		if !t.chunks[c].CompareAndSwap(nil, &s) {
			p = t.chunks[c].Load()
		} else {
			p = &s
		}
	}
	return (*p)[off-lo : off-lo+n]
}
