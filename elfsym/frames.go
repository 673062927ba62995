package elfsym

// A Frame is one function in the inlined call chain at an address.
type Frame struct {
	Function string // demangled, e.g. "net::Server::poll_clients()"
	File     string // as recorded in DWARF (comp dir joined if relative)
	Line     int
	Inlined  bool   // true for a frame that is inlined into the next one
	Entry    uint64 // low_pc of the function (inlined: of its out-of-line copy, else of this inlined copy), Thumb bit cleared; 0 if unknown
}

// maxInlineDepth bounds the parent walk; a cycle can only come from a
// damaged index, but a bound costs nothing.
const maxInlineDepth = 64

// Frames gives the inlined chain at addr, innermost first (addr2line -fi
// order): frame 0 has addr's own line; each following frame has the call site
// of the previous one. nil when addr is in no function. Thumb bit ignored.
//
// Cost: two binary searches and one allocation. Without DWARF for addr the
// function comes from the symbol table (one frame, File "" and Line 0 unless
// the line table knows addr).
func (im *Image) Frames(addr uint64) []Frame { return im.AppendFrames(nil, addr) }

// AppendFrames appends Frames(addr) to dst and returns it: a caller
// answering many addresses reuses one slice instead of allocating one
// per address.
func (im *Image) AppendFrames(dst []Frame, addr uint64) []Frame {
	addr &^= 1
	lines, funcs := im.dwarfAt(addr)
	s, k := funcs.innermostSeg(addr)
	lo, hi := funcs.segRows(k, lines.len()) // a saved index narrows the line search
	if s < 0 {
		sym, ok := im.funcSymbolAt(addr)
		if !ok {
			return dst
		}
		f := Frame{Function: sym.Name, Entry: sym.Addr}
		f.File, f.Line, _ = lines.atIn(addr, lo, hi)
		return append(dst, f)
	}
	// Each frame is appended as its scope is reached: a chain gathered
	// first (64 scopes, zeroed per call) was a third of a lookup.
	if dst == nil {
		dst = make([]Frame, 0, 4) // one allocation for all but deep inlining
	}
	file, line, _ := lines.atIn(addr, lo, hi)
	for i, n := s, 0; i >= 0 && n < maxInlineDepth; n++ {
		sc := funcs.scope(i)
		dst = append(dst, Frame{Function: sc.name, File: file, Line: line, Inlined: sc.parent >= 0, Entry: sc.entry})
		file, line, i = sc.callFile, sc.callLine, sc.parent
	}
	return dst
}

// HasDWARFFunction reports whether a DWARF subprogram (not just the symbol
// table) covers addr, i.e. whether Frames for addr come from debug info.
func (im *Image) HasDWARFFunction(addr uint64) bool {
	_, funcs := im.dwarfAt(addr &^ 1)
	return funcs.innermost(addr&^1) >= 0
}
