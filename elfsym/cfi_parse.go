package elfsym

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
)

// elfsym parses call frame information itself instead of running delve's
// pkg/dwarf/frame parser (v1.27), which misreads what LLVM and Arm
// toolchains write: it does not skip the address_size and
// segment_selector_size bytes of a version 4 CIE (clang, armclang and Rust
// emit v4), so every rule after them comes out shifted; it reads
// DW_CFA_set_loc as 8 bytes on a 32-bit target; DW_CFA_restore ignores the
// CIE's initial rules; DW_CFA_val_offset is not factored; and a
// DW_CFA_restore_state without a matching remember, or a program running
// off its end, panics. The rows are still returned as delve's
// *frame.FrameContext, which is what faultdecode reads.

// A cie is one Common Information Entry.
type cie struct {
	off       int // section offset, for errors
	version   uint8
	aug       string
	addrSize  int // bytes of an address (initial_location, set_loc)
	codeAlign uint64
	dataAlign int64
	raReg     uint64
	ptrEnc    byte // .eh_frame 'R': how FDE addresses are encoded
	initial   []byte
}

// An fde is one Frame Description Entry: the CFI program for [begin, end).
type fde struct {
	off        int
	cie        *cie
	begin, end uint64
	insns      []byte
}

// Pointer encodings of .eh_frame (DW_EH_PE_*).
const (
	peAbsptr  = 0x00
	peULEB    = 0x01
	peUdata2  = 0x02
	peUdata4  = 0x03
	peUdata8  = 0x04
	peSLEB    = 0x09
	peSdata2  = 0x0a
	peSdata4  = 0x0b
	peSdata8  = 0x0c
	pePCRel   = 0x10
	peDataRel = 0x30
	peFuncRel = 0x40
	peAligned = 0x50
	peIndir   = 0x80
	peOmit    = 0xff
)

// cfiReader reads one bounded record; the first error sticks.
type cfiReader struct {
	b   []byte
	pos int
	err error
}

func (r *cfiReader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf(format, args...)
	}
}

func (r *cfiReader) u8() uint8 {
	if r.err != nil || r.pos >= len(r.b) {
		r.fail("record ends early")
		return 0
	}
	r.pos++
	return r.b[r.pos-1]
}

func (r *cfiReader) uint(n int) uint64 {
	if r.err != nil || n > len(r.b)-r.pos {
		r.fail("record ends early")
		return 0
	}
	var v uint64
	for i := n - 1; i >= 0; i-- {
		v = v<<8 | uint64(r.b[r.pos+i])
	}
	r.pos += n
	return v
}

// uleb reads an unsigned LEB128. Most in DWARF are one byte (attribute
// and form codes, small offsets): that case is inlined, the rest is
// ulebLong.
func (r *cfiReader) uleb() uint64 {
	if p := r.pos; uint(p) < uint(len(r.b)) && r.b[p] < 0x80 && r.err == nil {
		r.pos = p + 1
		return uint64(r.b[p])
	}
	return r.ulebLong()
}

func (r *cfiReader) ulebLong() uint64 {
	var v uint64
	for shift := uint(0); ; shift += 7 {
		c := r.u8()
		if r.err != nil {
			return 0
		}
		if shift < 64 {
			v |= uint64(c&0x7f) << shift
		}
		if c&0x80 == 0 {
			return v
		}
		if shift > 70 {
			r.fail("LEB128 too long")
			return 0
		}
	}
}

func (r *cfiReader) sleb() int64 {
	var v int64
	var shift uint
	for {
		c := r.u8()
		if r.err != nil {
			return 0
		}
		if shift < 64 {
			v |= int64(c&0x7f) << shift
		}
		shift += 7
		if c&0x80 == 0 {
			if shift < 64 && c&0x40 != 0 {
				v |= -1 << shift
			}
			return v
		}
		if shift > 70 {
			r.fail("LEB128 too long")
			return 0
		}
	}
}

func (r *cfiReader) cstring() string {
	for i := r.pos; i < len(r.b); i++ {
		if r.b[i] == 0 {
			s := string(r.b[r.pos:i])
			r.pos = i + 1
			return s
		}
	}
	r.fail("unterminated string")
	return ""
}

// encoded reads a pointer in encoding enc; here is the target address of
// the byte at r.pos (for pc-relative values).
func (r *cfiReader) encoded(enc byte, addrSize int, here uint64) uint64 {
	if enc == peOmit {
		return 0
	}
	var v uint64
	switch enc & 0x0f {
	case peAbsptr:
		v = r.uint(addrSize)
	case peULEB:
		v = r.uleb()
	case peUdata2:
		v = r.uint(2)
	case peUdata4:
		v = r.uint(4)
	case peUdata8:
		v = r.uint(8)
	case peSLEB:
		v = uint64(r.sleb())
	case peSdata2:
		v = uint64(int16(r.uint(2)))
	case peSdata4:
		v = uint64(int32(r.uint(4)))
	case peSdata8:
		v = r.uint(8)
	default:
		r.fail("pointer encoding %#x not supported", enc)
		return 0
	}
	switch enc & 0x70 {
	case 0:
	case pePCRel:
		v += here
	default:
		// text-, data- and function-relative pointers need bases an ELF
		// for Cortex-M does not use in unwind tables.
		r.fail("pointer encoding %#x not supported", enc)
	}
	if addrSize == 4 {
		v &= 0xffffffff
	}
	return v
}

// errCFIFraming means a record's length does not fit the section: nothing
// after it can be trusted.
var errCFIFraming = errors.New("record length runs past the section")

// cfiParser parses .debug_frame or .eh_frame.
type cfiParser struct {
	data []byte
	eh   bool
	addr uint64 // section address (.eh_frame's pc-relative pointers)
	cies map[int]*cie
	bad  map[int]error // CIEs that failed to parse
}

// parseCFI returns the FDEs of a .debug_frame (eh false) or .eh_frame
// section at address addr. A damaged record is skipped and counted in
// skipped (first holds its error); a framing error stops the parse and is
// returned with the FDEs read before it.
func parseCFI(data []byte, eh bool, addr uint64) (fdes []fde, skipped int, first, fatal error) {
	p := &cfiParser{data: data, eh: eh, addr: addr, cies: map[int]*cie{}, bad: map[int]error{}}
	for off := 0; off < len(data); {
		if len(data)-off < 4 {
			if allZero(data[off:]) {
				break // alignment padding
			}
			return fdes, skipped, first, fmt.Errorf("offset %#x: %w", off, errCFIFraming)
		}
		length := uint64(binary.LittleEndian.Uint32(data[off:]))
		if length == 0 {
			if eh {
				break // .eh_frame terminator
			}
			off += 4
			continue
		}
		if length >= 0xfffffff0 {
			return fdes, skipped, first, fmt.Errorf("offset %#x: 64-bit DWARF CFI not supported", off)
		}
		if length < 4 || length > uint64(len(data)-off-4) {
			return fdes, skipped, first, fmt.Errorf("offset %#x: length %#x: %w", off, length, errCFIFraming)
		}
		body := data[off+4 : off+4+int(length)]
		id := binary.LittleEndian.Uint32(body)
		next := off + 4 + int(length)
		if p.isCIE(id) {
			if _, err := p.cie(off); err != nil {
				skipped++
				if first == nil {
					first = err
				}
			}
			off = next
			continue
		}
		f, err := p.fde(off, body, id)
		if err != nil {
			skipped++
			if first == nil {
				first = err
			}
		} else if f.end > f.begin {
			fdes = append(fdes, f)
		}
		off = next
	}
	return fdes, skipped, first, nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

func (p *cfiParser) isCIE(id uint32) bool {
	if p.eh {
		return id == 0
	}
	return id == 0xffffffff
}

// cie parses (once) the CIE whose record starts at off.
func (p *cfiParser) cie(off int) (*cie, error) {
	if c, ok := p.cies[off]; ok {
		return c, nil
	}
	if err, ok := p.bad[off]; ok {
		return nil, err
	}
	c, err := p.parseCIE(off)
	if err != nil {
		err = fmt.Errorf("CIE at %#x: %w", off, err)
		p.bad[off] = err
		return nil, err
	}
	p.cies[off] = c
	return c, nil
}

func (p *cfiParser) parseCIE(off int) (*cie, error) {
	if off < 0 || len(p.data)-off < 8 {
		return nil, errors.New("not in the section")
	}
	length := int(binary.LittleEndian.Uint32(p.data[off:]))
	if length < 4 || length > len(p.data)-off-4 || !p.isCIE(binary.LittleEndian.Uint32(p.data[off+4:])) {
		return nil, errors.New("not a CIE")
	}
	r := &cfiReader{b: p.data[off+8 : off+4+length]}
	c := &cie{off: off, addrSize: 4}
	c.version = r.u8()
	switch c.version {
	case 1, 3, 4:
	default:
		return nil, fmt.Errorf("version %d not supported", c.version)
	}
	c.aug = r.cstring()
	if len(c.aug) >= 2 && c.aug[:2] == "eh" {
		r.uint(c.addrSize) // old GNU eh_data pointer
	}
	if c.version == 4 {
		// DWARF 4 added these two bytes; a parser that does not skip them
		// reads every later field one or two bytes off.
		c.addrSize = int(r.u8())
		if seg := r.u8(); seg != 0 {
			return nil, fmt.Errorf("segment selectors (%d bytes) not supported", seg)
		}
		if c.addrSize != 4 && c.addrSize != 8 {
			return nil, fmt.Errorf("address size %d not supported", c.addrSize)
		}
	}
	c.codeAlign = r.uleb()
	c.dataAlign = r.sleb()
	if c.version == 1 {
		c.raReg = uint64(r.u8())
	} else {
		c.raReg = r.uleb()
	}
	if len(c.aug) > 0 && c.aug[0] == 'z' {
		n := r.uleb()
		if r.err == nil && n > uint64(len(r.b)-r.pos) {
			return nil, errors.New("augmentation data runs past the record")
		}
		end := r.pos + int(n)
	augLoop:
		for _, ch := range c.aug[1:] {
			switch ch {
			case 'R':
				c.ptrEnc = r.u8()
			case 'L':
				r.u8() // LSDA encoding: exception tables, not unwinding
			case 'P':
				enc := r.u8()
				r.encoded(enc&^peIndir, c.addrSize, 0) // personality routine
			case 'S', 'B':
			default:
				break augLoop // the length skips what we do not know
			}
		}
		if r.err == nil {
			r.pos = end
		}
	} else if c.aug != "" && c.aug != "eh" && !strings.HasPrefix(c.aug, "armcc") {
		// ARM Compiler 5 and 6 write "armcc" and one-letter options
		// ("armcc+"): they add no fields, only say which quirks the
		// program has (realview.go), so they are skipped as gdb does.
		return nil, fmt.Errorf("augmentation %q not supported", c.aug)
	}
	if r.err != nil {
		return nil, r.err
	}
	if c.codeAlign == 0 {
		return nil, errors.New("code alignment factor 0")
	}
	c.initial = r.b[r.pos:]
	return c, nil
}

// fde parses the FDE record at off whose body (after the length) is body
// and whose CIE id/pointer field is id.
func (p *cfiParser) fde(off int, body []byte, id uint32) (fde, error) {
	cieOff := int(id)
	if p.eh {
		// .eh_frame: the distance back from this field to the CIE.
		cieOff = off + 4 - int(id)
	}
	c, err := p.cie(cieOff)
	if err != nil {
		return fde{}, fmt.Errorf("FDE at %#x: %w", off, err)
	}
	r := &cfiReader{b: body, pos: 4}
	f := fde{off: off, cie: c}
	if p.eh {
		enc := c.ptrEnc
		f.begin = r.encoded(enc, c.addrSize, p.addr+uint64(off+4+r.pos))
		f.end = f.begin + r.encoded(enc&0x0f, c.addrSize, 0)
		if len(c.aug) > 0 && c.aug[0] == 'z' {
			n := r.uleb()
			if r.err == nil && n > uint64(len(body)-r.pos) {
				return fde{}, fmt.Errorf("FDE at %#x: augmentation data runs past the record", off)
			}
			r.pos += int(n)
		}
	} else {
		f.begin = r.uint(c.addrSize)
		f.end = f.begin + r.uint(c.addrSize)
	}
	if r.err != nil {
		return fde{}, fmt.Errorf("FDE at %#x: %w", off, r.err)
	}
	if f.end < f.begin || (c.addrSize == 4 && f.end > 1<<32) {
		return fde{}, fmt.Errorf("FDE at %#x: range %#x+%#x wraps", off, f.begin, f.end-f.begin)
	}
	f.begin &^= 1 // a Thumb function's address may carry bit 0
	f.insns = body[r.pos:]
	return f, nil
}
