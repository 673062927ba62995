package elfsym

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
	"sync"
)

// The ARM EHABI unwind tables (ARM IHI 0038, "Exception Handling ABI for
// the Arm Architecture"): .ARM.exidx is a sorted index of (function start,
// entry) word pairs; an entry is EXIDX_CANTUNWIND, up to three unwind
// opcodes inline, or a prel31 offset to an .ARM.extab entry holding more
// opcodes (compact models) or a personality routine and its data. The
// opcodes pop the caller's registers as the function's prologue pushed
// them: they are the compiler's rule to find the caller at a call site,
// what C++ built with exceptions and C built with -funwind-tables carry
// where a release build has no DWARF CFI.

// ErrNoExidx is returned (wrapped) by ExidxRule when no index entry covers
// pc, or the entry that does is EXIDX_CANTUNWIND (the compiler's "no
// exception passes through here", not "the chain ends here": clang marks
// every C function so, gcc every function it proved cannot throw).
var ErrNoExidx = errors.New("no .ARM.exidx entry covers pc")

// ErrExidxRefused is returned (wrapped) by ExidxRule when the entry's
// opcodes refuse to unwind (0x80 0x00) or use a spare or reserved
// encoding: the entry gives no rule.
var ErrExidxRefused = errors.New("unwind opcodes give no rule")

// errExidxPanic marks a bug caught by ExidxRule's last resort (tests
// look for it).
var errExidxPanic = errors.New(".ARM.exidx reader failed")

const exidxCantUnwind = 1

// maxExidxBytes bounds the index read (2 M entries): a damaged section
// header must not make a lookup read the whole address space.
const maxExidxBytes = 16 << 20

// An ExidxRule is an EHABI entry's rule for one frame: where the caller's
// SP and registers are. Its offsets are relative to the CFA, the caller's
// SP, which is CFAReg's value in this frame plus CFAOffset.
type ExidxRule struct {
	// Start is where the entry's region begins (the function's first
	// instruction, Thumb bit cleared).
	Start uint64
	// CFAReg is 13 (SP), or the register the opcodes set the virtual SP
	// from first (r7, a frame pointer).
	CFAReg    int
	CFAOffset int32
	// Saved is a mask of r0-r15 the opcodes pop; Slot[r] is where r was
	// saved, relative to the CFA. When r15 was not popped the return
	// address is the caller's LR (popped or left in LR).
	Saved uint16
	Slot  [16]int32
	// Ops are the unwind opcodes, for messages.
	Ops []byte
}

// SavedAt reports the offset from the CFA where reg was saved.
func (r ExidxRule) SavedAt(reg int) (int32, bool) {
	if reg < 0 || reg > 15 || r.Saved&(1<<reg) == 0 {
		return 0, false
	}
	return r.Slot[reg], true
}

// exidxEntry is one index entry: the region's start and the entry word,
// with the address of that word (prel31 offsets are relative to it).
type exidxEntry struct {
	start, word, at uint32
}

type exidxOnce struct {
	once    sync.Once
	entries []exidxEntry
	err     error // the index could not be read
}

// exidxEntries reads .ARM.exidx on first use: it is small (8 bytes per
// function) and only an unwind without DWARF CFI needs it, so it is not
// part of the saved index.
func (im *Image) exidxEntries() ([]exidxEntry, error) {
	im.exidx.once.Do(func() {
		im.exidx.entries, im.exidx.err = im.readExidx()
	})
	return im.exidx.entries, im.exidx.err
}

// readExidx finds the index by its section type (GNU ld names the
// output section after the linker script: STM32CubeIDE's scripts call it
// ".ARM", where gdb, which looks for ".ARM.exidx" by name, misses it), or,
// where a script put the entries inside another section, between the
// __exidx_start and __exidx_end symbols libgcc's unwinder itself uses.
func (im *Image) readExidx() ([]exidxEntry, error) {
	var sec *Section
	for i := range im.sections {
		if im.sections[i].exidx || im.sections[i].Name == ".ARM.exidx" {
			sec = &im.sections[i]
			break
		}
	}
	if sec == nil {
		return im.readExidxBetweenSymbols()
	}
	if sec.Size == 0 {
		return nil, nil
	}
	// SHT_ARM_EXIDX, not SHT_PROGBITS: not among the loaded contents
	// ReadMemory serves, so it is read from the file.
	size := sec.Size &^ 7
	if size > maxExidxBytes {
		return nil, fmt.Errorf("section %s is %d bytes, more than %d", sec.Name, sec.Size, maxExidxBytes)
	}
	if sec.Offset > uint64(im.size) || size > uint64(im.size)-sec.Offset {
		return nil, fmt.Errorf("section %s lies past the end of the file (offset %#x size %#x)", sec.Name, sec.Offset, sec.Size)
	}
	data := make([]byte, size)
	if n, err := im.r.ReadAt(data, int64(sec.Offset)); n < len(data) {
		return nil, fmt.Errorf("read %s: %w", sec.Name, err)
	}
	return parseExidx(data, uint32(sec.Addr)), nil
}

// readExidxBetweenSymbols reads the index from the loaded contents
// between __exidx_start and __exidx_end, if the image has both.
func (im *Image) readExidxBetweenSymbols() ([]exidxEntry, error) {
	start, ok1 := im.LookupSymbol("__exidx_start")
	end, ok2 := im.LookupSymbol("__exidx_end")
	if !ok1 || !ok2 || end.Addr <= start.Addr {
		return nil, nil
	}
	size := (end.Addr - start.Addr) &^ 7
	if size > maxExidxBytes || start.Addr > 0xFFFFFFFF {
		return nil, fmt.Errorf("__exidx_start %#x to __exidx_end %#x is no index", start.Addr, end.Addr)
	}
	data := make([]byte, size)
	if n, err := im.ReadMemory(data, start.Addr); n < len(data) {
		return nil, fmt.Errorf("read the index between __exidx_start and __exidx_end: %w", err)
	}
	return parseExidx(data, uint32(start.Addr)), nil
}

// parseExidx decodes index words at addr into entries sorted by start
// (the linker sorts them; a damaged table is sorted here so lookups stay
// binary searches). Entries whose first word has bit 31 set are not
// prel31 offsets and are dropped.
func parseExidx(data []byte, addr uint32) []exidxEntry {
	out := make([]exidxEntry, 0, len(data)/8)
	for i := 0; i+8 <= len(data); i += 8 {
		w0 := binary.LittleEndian.Uint32(data[i:])
		if w0&0x80000000 != 0 {
			continue
		}
		at := addr + uint32(i)
		out = append(out, exidxEntry{
			start: prel31(w0, at),
			word:  binary.LittleEndian.Uint32(data[i+4:]),
			at:    at + 4,
		})
	}
	if !sort.SliceIsSorted(out, func(a, b int) bool { return out[a].start < out[b].start }) {
		sort.SliceStable(out, func(a, b int) bool { return out[a].start < out[b].start })
	}
	return out
}

// prel31 resolves a 31-bit place-relative offset stored at address at.
func prel31(w, at uint32) uint32 {
	off := int32(w<<1) >> 1 // sign-extend bit 30
	return at + uint32(off)
}

// gnuPersonalities are the personality routines whose data starts with
// unwind opcodes in the compact format (a word count in the first byte),
// as gdb's arm_exidx_new_objfile lists them (a switch: a map literal is
// built by package init, in every command's start).
func isGNUPersonality(name string) bool {
	switch name {
	case "__gcc_personality_v0", "__gxx_personality_v0", "__gcj_personality_v0", "__gnu_objc_personality_v0":
		return true
	}
	return false
}

// ExidxRule decodes the EHABI entry covering pc (Thumb bit ignored) into a
// frame rule. ErrNoExidx (errors.Is) when no entry covers pc or it is
// EXIDX_CANTUNWIND, ErrExidxRefused when its opcodes give no rule; other
// errors describe a damaged entry. Like CFI it is exact only where the
// function's prologue has run and its epilogue has not (at a call, or in
// the body): the caller must make sure of that for an interrupted frame.
func (im *Image) ExidxRule(pc uint64) (rule ExidxRule, err error) {
	pc &^= 1
	defer func() {
		// Everything here is bounds-checked; this is the last resort that
		// keeps a bug from crossing the package boundary.
		if p := recover(); p != nil {
			rule, err = ExidxRule{}, fmt.Errorf("elfsym: pc %#x: %w: %v", pc, errExidxPanic, p)
		}
	}()
	entries, err := im.exidxEntries()
	if err != nil {
		return ExidxRule{}, fmt.Errorf("elfsym: pc %#x: %w", pc, err)
	}
	if pc > 0xFFFFFFFF {
		return ExidxRule{}, fmt.Errorf("elfsym: pc %#x: %w", pc, ErrNoExidx)
	}
	i := sort.Search(len(entries), func(i int) bool { return uint64(entries[i].start) > pc }) - 1
	if i < 0 || entries[i].word == exidxCantUnwind {
		return ExidxRule{}, fmt.Errorf("elfsym: pc %#x: %w", pc, ErrNoExidx)
	}
	e := entries[i]
	ops, err := im.exidxOps(e)
	if err != nil {
		return ExidxRule{}, fmt.Errorf("elfsym: pc %#x: .ARM.exidx entry at %#x for %#x: %w", pc, e.at-4, e.start, err)
	}
	// The index gives only starts: code without an entry of its own (an
	// assembly function the linker gave no EXIDX_CANTUNWIND) would be
	// covered by the entry before it. The linker merges only identical
	// inline entries of adjacent functions, so an .ARM.extab entry that
	// starts before the function holding pc is someone else's (gdb's
	// arm_exidx_unwind_sniffer makes the same check).
	if e.word&0x80000000 == 0 {
		if sym, ok := im.funcSymbolAt(pc); ok && sym.Addr > uint64(e.start) {
			return ExidxRule{}, fmt.Errorf("elfsym: pc %#x: %w (the entry at %#x belongs to code before %s)", pc, ErrNoExidx, e.start, sym.Name)
		}
	}
	rule, err = DecodeExidxOps(ops)
	if err != nil {
		return ExidxRule{}, fmt.Errorf("elfsym: pc %#x: entry for %#x: %w", pc, e.start, err)
	}
	rule.Start = uint64(e.start)
	return rule, nil
}

// exidxOps extracts an entry's unwind opcodes, most significant byte of
// each word first.
func (im *Image) exidxOps(e exidxEntry) ([]byte, error) {
	if e.word&0x80000000 != 0 {
		// Inline: compact model, personality routine 0 only.
		if e.word&0x7F000000 != 0 {
			return nil, fmt.Errorf("inline entry %#08x: personality index %d, only 0 may be inline", e.word, e.word>>24&0x7F)
		}
		return wordBytes(nil, e.word, 3), nil
	}
	at := prel31(e.word, e.at)
	w, err := im.word32(at)
	if err != nil {
		return nil, fmt.Errorf(".ARM.extab entry: %w", err)
	}
	var ops []byte
	var more uint32
	switch {
	case w&0xFF000000 == 0x80000000: // su16: three opcode bytes
		ops = wordBytes(nil, w, 3)
	case w&0xFF000000 == 0x81000000, w&0xFF000000 == 0x82000000: // lu16, lu32
		more = w >> 16 & 0xFF
		ops = wordBytes(nil, w, 2)
	case w&0x80000000 != 0:
		return nil, fmt.Errorf(".ARM.extab entry at %#x: compact model index %d is not defined", at, w>>24&0x7F)
	default:
		// The generic model: a prel31 personality routine, then its
		// data. GNU personality routines start theirs with the opcodes
		// in the compact format.
		pers := prel31(w, at) &^ 1
		sym, ok := im.funcSymbolAt(uint64(pers))
		if !ok || sym.Addr != uint64(pers) || !isGNUPersonality(sym.RawName) {
			name := fmt.Sprintf("%#x", pers)
			if ok {
				name = sym.RawName
			}
			return nil, fmt.Errorf("%w: personality routine %s: its data format is unknown", ErrExidxRefused, name)
		}
		at += 4
		if w, err = im.word32(at); err != nil {
			return nil, fmt.Errorf("%s data: %w", sym.RawName, err)
		}
		more = w >> 24
		ops = wordBytes(nil, w, 3)
	}
	for k := uint32(1); k <= more; k++ {
		w, err := im.word32(at + 4*k)
		if err != nil {
			return nil, fmt.Errorf(".ARM.extab word %d of %d: %w", k, more, err)
		}
		ops = wordBytes(ops, w, 4)
	}
	return ops, nil
}

func (im *Image) word32(addr uint32) (uint32, error) {
	var b [4]byte
	if n, err := im.ReadMemory(b[:], uint64(addr)); n < 4 {
		return 0, err
	}
	return binary.LittleEndian.Uint32(b[:]), nil
}

// wordBytes appends the low n bytes of w, most significant first.
func wordBytes(dst []byte, w uint32, n int) []byte {
	for k := n - 1; k >= 0; k-- {
		dst = append(dst, byte(w>>(8*k)))
	}
	return dst
}

// DecodeExidxOps turns EHABI unwind opcodes (ARM IHI 0038 section 10.3)
// into a rule, running them over a virtual SP (vsp) that starts at the
// frame's SP: vsp += / -=, pops of r0-r15 and of VFP registers (which only
// move vsp: the rule covers core registers), and vsp = r[n]. The end of
// the bytes is an implicit finish (0xb0). A "refuse to unwind", a spare or
// reserved opcode gives ErrExidxRefused; an opcode cut short or a rule
// this form cannot hold (SP popped from the stack, vsp set from a register
// already popped) gives another error.
func DecodeExidxOps(ops []byte) (ExidxRule, error) {
	r := ExidxRule{CFAReg: 13, Ops: ops}
	var vsp int64 // relative to CFAReg's value
	var at [16]int64
	pop := func(reg int) {
		if r.Saved&(1<<reg) == 0 {
			r.Saved |= 1 << reg
			at[reg] = vsp
		}
		vsp += 4
	}
	refuse := func(i int, what string) (ExidxRule, error) {
		return ExidxRule{}, fmt.Errorf("%w: opcode %#02x at byte %d: %s", ErrExidxRefused, ops[i], i, what)
	}
	next := func(i int) (byte, error) {
		if i+1 >= len(ops) {
			return 0, fmt.Errorf("unwind opcode %#02x at byte %d is cut short", ops[i], i)
		}
		return ops[i+1], nil
	}
	i := 0
loop:
	for ; i < len(ops); i++ {
		op := ops[i]
		switch {
		case op&0xC0 == 0x00: // vsp += (x << 2) + 4
			vsp += int64(op&0x3F)<<2 + 4
		case op&0xC0 == 0x40: // vsp -= (x << 2) + 4
			vsp -= int64(op&0x3F)<<2 + 4
		case op&0xF0 == 0x80: // pop r4-r15 under a 12-bit mask
			b, err := next(i)
			if err != nil {
				return ExidxRule{}, err
			}
			mask := uint16(op&0x0F)<<8 | uint16(b)
			if mask == 0 {
				return refuse(i, "refuse to unwind")
			}
			if mask&(1<<(13-4)) != 0 {
				return ExidxRule{}, fmt.Errorf("opcode %#02x %#02x at byte %d pops SP: vsp would come from memory", op, b, i)
			}
			for reg := 4; reg <= 15; reg++ {
				if mask&(1<<(reg-4)) != 0 {
					pop(reg)
				}
			}
			i++
		case op&0xF0 == 0x90: // vsp = r[n]
			n := int(op & 0x0F)
			if n == 13 || n == 15 {
				return refuse(i, "reserved")
			}
			if r.Saved != 0 {
				return ExidxRule{}, fmt.Errorf("opcode %#02x at byte %d sets vsp from r%d after registers were popped", op, i, n)
			}
			r.CFAReg, vsp = n, 0
		case op&0xF8 == 0xA0, op&0xF8 == 0xA8: // pop r4-r[4+n], and r14 with 0xa8
			for reg := 4; reg <= 4+int(op&7); reg++ {
				pop(reg)
			}
			if op&0x08 != 0 {
				pop(14)
			}
		case op == 0xB0: // finish
			break loop
		case op == 0xB1: // pop r0-r3 under mask
			b, err := next(i)
			if err != nil {
				return ExidxRule{}, err
			}
			if b == 0 || b&0xF0 != 0 {
				return refuse(i, "spare mask")
			}
			for reg := 0; reg < 4; reg++ {
				if b&(1<<reg) != 0 {
					pop(reg)
				}
			}
			i++
		case op == 0xB2: // vsp += 0x204 + (uleb128 << 2)
			v, j := readULEB(ops, i+1)
			if j < 0 {
				return ExidxRule{}, fmt.Errorf("unwind opcode 0xb2 at byte %d: ULEB128 cut short", i)
			}
			if j-(i+1) > 5 { // more than 32 bits: no stack is that deep
				return ExidxRule{}, fmt.Errorf("unwind opcode 0xb2 at byte %d: ULEB128 too long", i)
			}
			vsp += 0x204 + int64(v)<<2
			i = j - 1
		case op == 0xB3, op == 0xC8, op == 0xC9: // pop VFP D[s]-D[s+c] (FSTMFDX; D16+; VPUSH)
			b, err := next(i)
			if err != nil {
				return ExidxRule{}, err
			}
			s, c := int(b>>4), int(b&0x0F)
			if op != 0xC9 && s+c >= 16 {
				return refuse(i, "registers past D15 (D31)")
			}
			if op == 0xC9 && s+c >= 32 {
				return refuse(i, "registers past D31")
			}
			vsp += int64(c+1) * 8
			if op == 0xB3 {
				vsp += 4 // FSTMFDX's extra word
			}
			i++
		case op&0xFC == 0xB4: // spare
			return refuse(i, "spare")
		case op&0xF8 == 0xB8: // pop VFP D[8]-D[8+n] saved by FSTMFDX
			vsp += int64(op&7+1)*8 + 4
		case op&0xF8 == 0xC0 && op&7 < 6: // pop iWMMXt wR[10]-wR[10+n]
			vsp += int64(op&7+1) * 8
		case op == 0xC6: // pop iWMMXt wR[s]-wR[s+c]
			b, err := next(i)
			if err != nil {
				return ExidxRule{}, err
			}
			if int(b>>4)+int(b&0x0F) >= 16 {
				return refuse(i, "registers past wR15")
			}
			vsp += int64(b&0x0F+1) * 8
			i++
		case op == 0xC7: // pop iWMMXt wCGR0-3 under mask
			b, err := next(i)
			if err != nil {
				return ExidxRule{}, err
			}
			if b == 0 || b&0xF0 != 0 {
				return refuse(i, "spare mask")
			}
			for k := 0; k < 4; k++ {
				if b&(1<<k) != 0 {
					vsp += 4
				}
			}
			i++
		case op&0xF8 == 0xD0: // pop VFP D[8]-D[8+n] saved by VPUSH
			vsp += int64(op&7+1) * 8
		default: // 0xca-0xcf, 0xd8-0xff
			return refuse(i, "spare")
		}
		if vsp > 1<<31 || vsp < -(1<<31) {
			return ExidxRule{}, fmt.Errorf("unwind opcodes move vsp by %d bytes", vsp)
		}
	}
	r.CFAOffset = int32(vsp)
	for reg := 0; reg < 16; reg++ {
		if r.Saved&(1<<reg) != 0 {
			r.Slot[reg] = int32(at[reg] - vsp)
		}
	}
	return r, nil
}
