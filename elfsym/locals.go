package elfsym

import (
	"debug/dwarf"
	"errors"
	"fmt"
)

// A Local is a function's parameter or local variable as DWARF places it
// at one PC.
type Local struct {
	Name     string
	Param    bool
	Function string // the scope's function
	TypeName string
	Size     int64
	// Location is the location expression that holds at the PC; nil when
	// the variable has no location there (optimised out).
	Location []byte
	// FrameBase is the function's DW_AT_frame_base expression.
	FrameBase []byte
}

// LocalAt finds the parameter or local variable name visible at pc (the
// innermost scope that declares it, inlined functions included) and its
// location expression at pc. ok is false when no scope at pc has it.
func (im *Image) LocalAt(pc uint64, name string) (l Local, ok bool, err error) {
	d := im.dwarfData()
	if d == nil {
		return Local{}, false, errors.New("no DWARF")
	}
	defer func() {
		if p := recover(); p != nil {
			l, ok, err = Local{}, false, fmt.Errorf("DWARF for 0x%08x: %v", pc, p)
		}
	}()
	r := d.Reader()
	cu, err := r.SeekPC(pc)
	if err != nil {
		return Local{}, false, fmt.Errorf("no unit covers 0x%08x: %w", pc, err)
	}
	cuBase, _ := cu.Val(dwarf.AttrLowpc).(uint64)
	addrBase := unitAddrBase(cu)
	// scopes is the chain of entries (with children) r is inside; in[i]
	// says whether scope i covers pc.
	type scope struct {
		covers    bool
		fn        string
		frameBase []byte
	}
	stack := []scope{{covers: true}}
	var best *dwarf.Entry
	var bestScope scope
	for {
		e, err := r.Next()
		if err != nil {
			return Local{}, false, err
		}
		if e == nil {
			break
		}
		if e.Tag == 0 {
			stack = stack[:len(stack)-1]
			if len(stack) == 0 {
				break
			}
			continue
		}
		parent := stack[len(stack)-1]
		switch e.Tag {
		case dwarf.TagFormalParameter, dwarf.TagVariable:
			if parent.covers && parent.fn != "" && im.entryName(d, e) == name {
				best, bestScope = e, parent
			}
		}
		if !e.Children {
			continue
		}
		sc := scope{covers: parent.covers, fn: parent.fn, frameBase: parent.frameBase}
		switch e.Tag {
		case dwarf.TagSubprogram, dwarf.TagInlinedSubroutine, dwarf.TagLexDwarfBlock:
			if sc.covers {
				sc.covers = false
				if rs, err := d.Ranges(e); err == nil {
					for _, rg := range rs {
						if pc >= rg[0] && pc < rg[1] {
							sc.covers = true
						}
					}
				}
			}
			if e.Tag != dwarf.TagLexDwarfBlock {
				sc.fn = im.entryName(d, e)
			}
			if fb, ok := e.Val(dwarf.AttrFrameBase).([]byte); ok {
				sc.frameBase = fb
			}
		}
		stack = append(stack, sc)
	}
	if best == nil {
		return Local{}, false, nil
	}
	l = Local{Name: name, Param: best.Tag == dwarf.TagFormalParameter, Function: bestScope.fn, FrameBase: bestScope.frameBase}
	if off, ok := im.entryAttr(d, best, dwarf.AttrType).(dwarf.Offset); ok {
		if t, err := d.Type(off); err == nil {
			l.TypeName, l.Size = t.String(), t.Size()
		}
	}
	f := best.AttrField(dwarf.AttrLocation)
	if f == nil {
		return l, true, nil
	}
	switch f.Class {
	case dwarf.ClassExprLoc:
		l.Location, _ = f.Val.([]byte)
	case dwarf.ClassLocList:
		if off, ok := f.Val.(int64); ok {
			l.Location = im.loclist5(uint64(off), pc, cuBase, addrBase)
		}
	case dwarf.ClassLocListPtr:
		// debug/dwarf calls a DWARF 5 unit's sec_offset list a pointer
		// too: the section says which format it is.
		if off, ok := f.Val.(int64); ok {
			if im.section(".debug_loc") != nil {
				l.Location = im.loclist4(uint64(off), pc, cuBase)
			} else {
				l.Location = im.loclist5(uint64(off), pc, cuBase, addrBase)
			}
		}
	}
	return l, true, nil
}

// entryName is e's name, through its abstract origin or specification
// (an inlined or out-of-line instance names nothing itself).
func (im *Image) entryName(d *dwarf.Data, e *dwarf.Entry) string {
	n, _ := im.entryAttr(d, e, dwarf.AttrName).(string)
	return n
}

// entryAttr is e's attribute a, or its abstract origin's.
func (im *Image) entryAttr(d *dwarf.Data, e *dwarf.Entry, a dwarf.Attr) any {
	for range 4 {
		if v := e.Val(a); v != nil {
			return v
		}
		off, ok := e.Val(dwarf.AttrAbstractOrigin).(dwarf.Offset)
		if !ok {
			if off, ok = e.Val(dwarf.AttrSpecification).(dwarf.Offset); !ok {
				return nil
			}
		}
		r := d.Reader()
		r.Seek(off)
		next, err := r.Next()
		if err != nil || next == nil {
			return nil
		}
		e = next
	}
	return nil
}

// section reads a whole ELF section, nil if absent.
func (im *Image) section(name string) []byte {
	im.loadDWARFData()
	if im.dw.f == nil {
		return nil
	}
	s := debugSection(im.dw.f, name)
	if s == nil || s.Size > uint64(im.size) {
		return nil
	}
	b, err := debugSectionData(s)
	if err != nil {
		return nil
	}
	return b
}

// loclist5 is the expression of the DWARF 5 location list at off
// (.debug_loclists) that covers pc, nil if none does.
func (im *Image) loclist5(off, pc, base, addrBase uint64) []byte {
	sec := im.section(".debug_loclists")
	if off >= uint64(len(sec)) {
		return nil
	}
	addrs := im.debugAddrs()
	r := &cfiReader{b: sec, pos: int(off)}
	addr := func(i uint64) uint64 { v, _ := addrs.at(addrBase, i); return v }
	for r.err == nil {
		var lo, hi uint64
		switch kind := r.u8(); kind {
		case 0: // DW_LLE_end_of_list
			return nil
		case 1: // base_addressx
			base = addr(r.uleb())
			continue
		case 2: // startx_endx
			lo, hi = addr(r.uleb()), addr(r.uleb())
		case 3: // startx_length
			lo = addr(r.uleb())
			hi = lo + r.uleb()
		case 4: // offset_pair
			lo, hi = base+r.uleb(), base+r.uleb()
		case 5: // default_location
		case 6: // base_address
			base = r.uint(4)
			continue
		case 7: // start_end
			lo, hi = r.uint(4), r.uint(4)
		case 8: // start_length
			lo = r.uint(4)
			hi = lo + r.uleb()
		default:
			return nil
		}
		n := r.uleb()
		if r.err != nil || n > uint64(len(sec)-r.pos) {
			return nil
		}
		expr := sec[r.pos : r.pos+int(n)]
		r.pos += int(n)
		if pc >= lo && pc < hi {
			return expr
		}
	}
	return nil
}

// loclist4 is loclist5 for a DWARF 4 list in .debug_loc.
func (im *Image) loclist4(off, pc, base uint64) []byte {
	sec := im.section(".debug_loc")
	if off >= uint64(len(sec)) {
		return nil
	}
	r := &cfiReader{b: sec, pos: int(off)}
	for r.err == nil {
		lo, hi := r.uint(4), r.uint(4)
		switch {
		case lo == 0 && hi == 0:
			return nil
		case lo == 0xffffffff:
			base = hi
			continue
		}
		n := r.uint(2)
		if r.err != nil || n > uint64(len(sec)-r.pos) {
			return nil
		}
		expr := sec[r.pos : r.pos+int(n)]
		r.pos += int(n)
		if pc >= base+lo && pc < base+hi {
			return expr
		}
	}
	return nil
}

// A LocalValue is where a variable's value was found, or why not.
type LocalValue struct {
	Value uint64
	Where string // "in r4", "at 0x20001f08 (the frame)", "a constant"
	OK    bool
	Why   string // when not OK
}

// LocalFrame is what evaluating a location needs of a frame: the
// registers the frame's code can rely on, its CFA and memory.
type LocalFrame struct {
	Reg func(n int) (uint32, bool)
	CFA func() (uint32, bool)
	Mem MemReader
}

// ValueOf evaluates l's location in frame fr: registers, frame-base and
// register-relative memory, constants and DW_OP_stack_value. A value
// known only at the function's entry (DW_OP_entry_value) or in a register
// the frame does not keep is not recoverable, and Why says so.
func (l Local) ValueOf(fr LocalFrame) LocalValue {
	if l.Location == nil {
		return LocalValue{Why: "optimised out at this point"}
	}
	size := l.Size
	if size <= 0 || size > 8 {
		size = 4
	}
	var stack []uint64
	r := &cfiReader{b: l.Location}
	regVal := func(n int) (uint64, bool) {
		v, ok := fr.Reg(n)
		return uint64(v), ok
	}
	for r.pos < len(r.b) && r.err == nil {
		op := r.u8()
		switch {
		case op >= 0x50 && op <= 0x6f: // DW_OP_regN
			v, ok := regVal(int(op - 0x50))
			if !ok {
				return LocalValue{Why: fmt.Sprintf("in r%d, which is not kept across the call", op-0x50)}
			}
			return LocalValue{Value: v & mask(size), Where: fmt.Sprintf("in r%d", op-0x50), OK: true}
		case op >= 0x70 && op <= 0x8f: // DW_OP_bregN
			v, ok := regVal(int(op - 0x70))
			if !ok {
				return LocalValue{Why: fmt.Sprintf("relative to r%d, which is not kept across the call", op-0x70)}
			}
			stack = append(stack, uint64(int64(v)+r.sleb()))
		case op == 0x91: // DW_OP_fbreg
			off := r.sleb()
			fb, ok := l.frameBase(fr)
			if !ok {
				return LocalValue{Why: "its frame base is not known"}
			}
			stack = append(stack, uint64(int64(fb)+off))
		case op >= 0x30 && op <= 0x4f: // DW_OP_litN
			stack = append(stack, uint64(op-0x30))
		case op == 0x08:
			stack = append(stack, r.uint(1))
		case op == 0x09:
			stack = append(stack, uint64(int8(r.uint(1))))
		case op == 0x0a:
			stack = append(stack, r.uint(2))
		case op == 0x0b:
			stack = append(stack, uint64(int16(r.uint(2))))
		case op == 0x0c:
			stack = append(stack, r.uint(4))
		case op == 0x0d:
			stack = append(stack, uint64(int32(r.uint(4))))
		case op == 0x10:
			stack = append(stack, r.uleb())
		case op == 0x11:
			stack = append(stack, uint64(r.sleb()))
		case op == opAddr:
			stack = append(stack, r.uint(4))
		case op == opPlusUconst && len(stack) > 0:
			stack[len(stack)-1] += r.uleb()
		case op == 0x9f && len(stack) > 0: // DW_OP_stack_value
			return LocalValue{Value: stack[len(stack)-1] & mask(size), Where: "a value the compiler computed", OK: true}
		case op == 0xa3 || op == 0xf3: // DW_OP_entry_value, GNU_entry_value
			return LocalValue{Why: "known only as the value it had on entry to the function"}
		default:
			return LocalValue{Why: fmt.Sprintf("its location (DWARF op 0x%02x) is not evaluated", op)}
		}
	}
	if r.err != nil || len(stack) == 0 {
		return LocalValue{Why: "its location cannot be read"}
	}
	at := stack[len(stack)-1]
	v, err := ReadUint(fr.Mem, at, uint64(size))
	if err != nil {
		return LocalValue{Why: fmt.Sprintf("at 0x%08x, which is not in the capture", at)}
	}
	return LocalValue{Value: v, Where: fmt.Sprintf("at 0x%08x in the frame", at), OK: true}
}

// frameBase evaluates DW_AT_frame_base: DW_OP_call_frame_cfa or a
// register, optionally plus an offset.
func (l Local) frameBase(fr LocalFrame) (uint32, bool) {
	r := &cfiReader{b: l.FrameBase}
	if len(l.FrameBase) == 0 {
		return 0, false
	}
	switch op := r.u8(); {
	case op == 0x9c: // DW_OP_call_frame_cfa
		return fr.CFA()
	case op >= 0x50 && op <= 0x6f:
		return fr.Reg(int(op - 0x50))
	case op >= 0x70 && op <= 0x8f:
		v, ok := fr.Reg(int(op - 0x70))
		return uint32(int64(v) + r.sleb()), ok && r.err == nil
	}
	return 0, false
}

func mask(size int64) uint64 {
	if size >= 8 {
		return ^uint64(0)
	}
	return 1<<(8*uint(size)) - 1
}
