package elfsym

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// The saved index holds what building costs: the demangled symbol table,
// the merged line table and the function/inline partition. Everything else
// (sections, CFI, build attributes) is cheap to read from the ELF again, and
// the DWARF data index is still built on first use.
//
// Layout: the magic, the format version, a string table, then the parts,
// every integer a uvarint (addresses delta-coded where sorted), every string
// a (offset, length) pair into the table. Decoding allocates one string for
// the whole table and slices it, so a load costs a few allocations however
// many names there are.

// IndexVersion is the format version of MarshalIndex. Bump it whenever the
// layout or the meaning of what is saved changes (including a change to how
// buildDWARF or loadSymbols compute their answers), so old saved indexes
// are ignored instead of giving old answers.
const IndexVersion = 1

const indexMagic = "FLIDX\x00"

// An IndexKey names the ELF an index was built from.
type IndexKey struct {
	BuildID string // hex NT_GNU_BUILD_ID, "" if none
	SHA256  string // hex SHA-256 of the whole file
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

// indexKey is the key of this image's index.
func (im *Image) indexKey() IndexKey {
	return IndexKey{BuildID: im.buildID, SHA256: im.sha, Version: IndexVersion}
}

// marshalIndex encodes the built symbol, line and function index and the
// warnings building it gave.
func (im *Image) marshalIndex(warn []string) []byte {
	var st strtab
	st.idx = map[string]uint32{}
	var body []byte
	u := func(v uint64) { body = binary.AppendUvarint(body, v) }
	s := func(x string) { u(uint64(st.add(x))); u(uint64(len(x))) }

	u(uint64(len(warn)))
	for _, w := range warn {
		s(w)
	}
	u(uint64(len(im.syms)))
	prev := uint64(0)
	for i, sym := range im.syms {
		s(sym.Name)
		if sym.RawName == sym.Name {
			u(0) // most C names need no demangling: no second string
		} else {
			u(1)
			s(sym.RawName)
		}
		u(sym.Addr - prev) // sorted by Addr
		prev = sym.Addr
		u(sym.Size)
		u(im.spans[i])
		u(boolBit(sym.Func))
	}
	u(uint64(len(im.lines.files)))
	for _, f := range im.lines.files {
		s(f)
	}
	u(uint64(len(im.lines.rows)))
	prev = 0
	for _, r := range im.lines.rows {
		u(r.addr - prev) // sorted by addr
		prev = r.addr
		u(uint64(r.file))
		u(uint64(r.line)<<1 | boolBit(r.end))
	}
	u(uint64(len(im.funcs.scopes)))
	for _, sc := range im.funcs.scopes {
		s(sc.name)
		s(sc.callFile)
		u(uint64(sc.callLine))
		u(uint64(sc.parent + 1)) // -1 for an outermost function
		u(uint64(sc.depth))
		u(sc.entry)
	}
	u(uint64(len(im.funcs.segs)))
	prev = 0
	for _, sg := range im.funcs.segs {
		u(sg.addr - prev) // sorted by addr
		prev = sg.addr
		u(uint64(sg.scope + 1))
	}

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
	str string
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
	if off > uint64(len(r.str)) || n > uint64(len(r.str))-off {
		r.err = errIndexFormat
		return ""
	}
	return r.str[off : off+n]
}

// unmarshalIndex fills the symbol, line and function index from data
// written by marshalIndex. Every count and reference is checked: damaged
// data gives an error, never a panic or a huge allocation.
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
	r.str, r.b = string(r.b[:n]), r.b[n:]

	var warn []string
	for i, n := 0, r.count(2); i < n; i++ {
		warn = append(warn, r.s())
	}
	nsyms := r.count(7)
	syms := make([]Symbol, nsyms)
	spans := make([]uint64, nsyms)
	var addr, maxSize uint64
	for i := range syms {
		sym := &syms[i]
		sym.Name = r.s()
		sym.RawName = sym.Name
		if r.u() == 1 {
			sym.RawName = r.s()
		}
		addr += r.u()
		sym.Addr = addr
		sym.Size = r.u()
		spans[i] = r.u()
		sym.Func = r.u() == 1
		maxSize = max(maxSize, spans[i])
	}
	files := make([]string, r.count(2))
	for i := range files {
		files[i] = r.s()
	}
	rows := make([]lineRow, r.count(3))
	addr = 0
	for i := range rows {
		addr += r.u()
		f := r.u32()
		ln := r.u()
		if r.err == nil && (f >= uint32(len(files)) || ln>>1 > math.MaxUint32) {
			r.err = errIndexFormat
		}
		rows[i] = lineRow{addr: addr, file: f, line: uint32(ln >> 1), end: ln&1 == 1}
	}
	scopes := make([]scope, r.count(7))
	for i := range scopes {
		sc := &scopes[i]
		sc.name = r.s()
		sc.callFile = r.s()
		sc.callLine = int(r.u32())
		p := r.u()
		// Parents precede their children, so a parent walk always ends.
		if r.err == nil && p > uint64(i) {
			r.err = errIndexFormat
		}
		sc.parent = int32(p) - 1
		sc.depth = int32(r.u32())
		sc.entry = r.u()
	}
	segs := make([]seg, r.count(2))
	addr = 0
	for i := range segs {
		addr += r.u()
		sc := r.u()
		if r.err == nil && sc > uint64(len(scopes)) {
			r.err = errIndexFormat
		}
		segs[i] = seg{addr: addr, scope: int32(sc) - 1}
	}
	if r.err != nil {
		return r.err
	}
	if len(r.b) != 0 {
		return errIndexFormat
	}
	im.warn = append(im.warn, warn...)
	im.syms, im.spans, im.maxSize = syms, spans, maxSize
	im.lines = lineTable{rows: rows, files: files}
	im.funcs = funcIndex{scopes: scopes, segs: segs}
	return nil
}
