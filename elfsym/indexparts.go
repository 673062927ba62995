package elfsym

import (
	"encoding/binary"
	"math"
)

// Indexes built on first use (call sites, the data index) are saved as
// parts of their own when first built, since a command that symbolizes
// never builds them and one that analyses a capture always does. Each
// part has the same key as the main index plus its name, and the same
// encoding conventions (uvarints, one string table).

// Part names (IndexKey.Part).
const (
	partCalls = "calls"
	partData  = "data"
)

// loadPart asks the cache for part and decodes it with dec, reporting
// whether that worked.
func (im *Image) loadPart(part string, dec func(*idxReader) bool) bool {
	if im.cache == nil {
		return false
	}
	k := im.indexKey()
	k.Part = part
	data, err := im.cache.Load(k)
	if err != nil || data == nil {
		return false
	}
	defer release(im.cache, data) // decoded into copies
	r, ok := newPartReader(data)
	if !ok || !dec(r) || r.err != nil || len(r.b) != 0 {
		return false
	}
	return true
}

// storePart saves a part built by enc (best effort, as for the main index).
func (im *Image) storePart(part string, enc func(w *idxWriter)) {
	if im.cache == nil {
		return
	}
	w := &idxWriter{st: strtab{idx: map[string]uint32{}}}
	enc(w)
	k := im.indexKey()
	k.Part = part
	_ = im.cache.Store(k, w.bytes())
}

// idxWriter encodes a part.
type idxWriter struct {
	st   strtab
	body []byte
}

func (w *idxWriter) u(v uint64) { w.body = binary.AppendUvarint(w.body, v) }
func (w *idxWriter) s(x string) { w.u(uint64(w.st.add(x))); w.u(uint64(len(x))) }
func (w *idxWriter) b(v bool)   { w.u(boolBit(v)) }

func (w *idxWriter) bytes() []byte {
	out := make([]byte, 0, len(indexMagic)+16+len(w.st.data)+len(w.body))
	out = append(out, indexMagic...)
	out = binary.AppendUvarint(out, IndexVersion)
	out = binary.AppendUvarint(out, uint64(len(w.st.data)))
	out = append(out, w.st.data...)
	return append(out, w.body...)
}

func newPartReader(data []byte) (*idxReader, bool) {
	if len(data) < len(indexMagic) || string(data[:len(indexMagic)]) != indexMagic {
		return nil, false
	}
	r := &idxReader{b: data[len(indexMagic):]}
	if r.u() != IndexVersion {
		return nil, false
	}
	n := r.u()
	if r.err != nil || n > uint64(len(r.b)) {
		return nil, false
	}
	r.str, r.b = newStrTable(r.b[:n]), r.b[n:]
	return r, true
}

func (r *idxReader) bool() bool { return r.u() == 1 }

// encodeCallSites writes the call-site index.
func encodeCallSites(w *idxWriter, cs *callSites) {
	w.s(cs.warning)
	w.u(uint64(len(cs.byRet)))
	prev := uint64(0)
	for _, c := range cs.byRet {
		w.u(c.ReturnPC - prev) // sorted by ReturnPC
		prev = c.ReturnPC
		w.u(c.Caller)
		w.u(c.Target)
		w.s(c.TargetName)
		w.b(c.Tail)
	}
}

// decodeCallSites fills cs; tails are derived from byRet in its order,
// which is the order buildCallSites gives them.
func decodeCallSites(r *idxReader, cs *callSites) bool {
	warning := r.s()
	byRet := make([]CallSite, r.count(5))
	pc := uint64(0)
	tails := map[uint64][]CallSite{}
	for i := range byRet {
		pc += r.u()
		c := CallSite{ReturnPC: pc, Caller: r.u(), Target: r.u(), TargetName: r.s(), Tail: r.bool()}
		byRet[i] = c
		if c.Tail {
			tails[c.Caller] = append(tails[c.Caller], c)
		}
	}
	if r.err != nil {
		return false
	}
	cs.warning, cs.byRet, cs.tails = warning, byRet, tails
	return true
}

// encodeData writes the data index: every type reachable from a variable
// or the complete-type table once (the graph may be cyclic), then the
// variables and the table referring to types by number.
func encodeData(w *idxWriter, d *dataIndex) {
	ids := map[*Type]uint64{}
	var order []*Type
	var visit func(t *Type)
	visit = func(t *Type) {
		if t == nil {
			return
		}
		if _, ok := ids[t]; ok {
			return
		}
		ids[t] = uint64(len(order)) + 1 // 0 is nil
		order = append(order, t)
		visit(t.Elem)
		for _, f := range t.Fields {
			visit(f.Type)
		}
		for _, b := range t.Bases {
			visit(b)
		}
	}
	for _, v := range d.vars {
		visit(v.Type)
	}
	names := make([]string, 0, len(d.types))
	for name, t := range d.types {
		visit(t)
		names = append(names, name)
	}
	id := func(t *Type) uint64 {
		if t == nil {
			return 0
		}
		return ids[t]
	}
	w.s(d.warning)
	w.u(uint64(len(order)))
	for _, t := range order {
		w.u(uint64(t.Kind))
		w.s(t.Name)
		w.u(t.Size)
		w.u(id(t.Elem))
		w.u(uint64(t.Count + 1)) // -1: unknown
		w.b(t.Polymorphic)
		w.b(t.Signed)
		w.b(t.Float)
		w.b(t.Char)
		w.u(uint64(len(t.Fields)))
		for _, f := range t.Fields {
			w.s(f.Name)
			w.u(f.Offset)
			w.u(id(f.Type))
			w.b(f.Base)
			w.u(uint64(f.BitSize))
		}
		w.u(uint64(len(t.Bases)))
		for _, b := range t.Bases {
			w.u(id(b))
		}
	}
	w.u(uint64(len(d.vars)))
	for _, v := range d.vars {
		w.s(v.Name)
		w.u(v.Addr)
		w.u(v.Size)
		w.u(id(v.Type))
		w.s(v.File)
	}
	w.u(uint64(len(names)))
	for _, n := range names {
		w.s(n)
		w.u(id(d.types[n]))
	}
}

// decodeData rebuilds a data index written by encodeData.
func decodeData(r *idxReader) (*dataIndex, bool) {
	d := &dataIndex{warning: r.s(), byName: map[string]int{}, types: map[string]*Type{}}
	types := make([]Type, r.count(11))
	ref := func() *Type {
		i := r.u()
		if i > uint64(len(types)) {
			r.err = errIndexFormat
			return nil
		}
		if i == 0 {
			return nil
		}
		return &types[i-1]
	}
	for i := range types {
		t := &types[i]
		t.Kind = TypeKind(r.u32())
		t.Name = r.s()
		t.Size = r.u()
		t.Elem = ref()
		if c := r.u(); c <= math.MaxInt64 {
			t.Count = int64(c) - 1
		} else {
			r.err = errIndexFormat
		}
		t.Polymorphic, t.Signed, t.Float, t.Char = r.bool(), r.bool(), r.bool(), r.bool()
		if n := r.count(5); n > 0 {
			t.Fields = make([]Field, n)
			for j := range t.Fields {
				f := &t.Fields[j]
				f.Name = r.s()
				f.Offset = r.u()
				f.Type = ref()
				f.Base = r.bool()
				f.BitSize = int(r.u32())
			}
		}
		if n := r.count(1); n > 0 {
			t.Bases = make([]*Type, n)
			for j := range t.Bases {
				t.Bases[j] = ref()
			}
		}
	}
	d.vars = make([]Variable, r.count(5))
	for i := range d.vars {
		v := &d.vars[i]
		v.Name = r.s()
		v.Addr = r.u()
		v.Size = r.u()
		v.Type = ref()
		v.File = r.s()
		if _, ok := d.byName[v.Name]; !ok {
			d.byName[v.Name] = i
		}
	}
	for i, n := 0, r.count(3); i < n; i++ {
		name := r.s()
		if t := ref(); t != nil {
			d.types[name] = t
		}
	}
	return d, r.err == nil
}

// partSeen marks an ELF opened lazily before (see Options.Lazy).
const partSeen = "seen"

func (im *Image) seenBefore() bool {
	return im.loadPart(partSeen, func(*idxReader) bool { return true })
}

func (im *Image) markSeen() { im.storePart(partSeen, func(*idxWriter) {}) }
