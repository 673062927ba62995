package elfsym

import (
	"debug/dwarf"
	"encoding/binary"
	"errors"
	"io"
)

// A lazily built unit's line program is most of the unit's build on a
// firmware of few large units, and debug/dwarf's LineReader fills a
// 120-byte LineEntry through a checked reader for every row. A
// fastLineReader decodes the program where it lies in the mapped
// .debug_line, giving readLines the fields it reads (address, file, line,
// is_stmt, discriminator, end of sequence) and nothing else. It reads
// well-formed programs the way LineReader does (tested on every unit of the test images);
// anything else (DW_LNE_define_file, VLIW op indexes, a program cut short,
// a bad file number) makes it stop with errFastLines, and the unit is read
// again with LineReader, which answers or fails as it always did.

// lineSource is what readLines reads rows from: a dwarf.LineReader or a
// fastLineReader.
type lineSource interface {
	Next(*dwarf.LineEntry) error
}

// errFastLines says a fastLineReader left the program to LineReader.
var errFastLines = errors.New("line program left to debug/dwarf")

// fastLineReader decodes one line program (DWARF 2-5, 32-bit).
type fastLineReader struct {
	prog       []byte // the opcodes, after the header
	i          int
	files      []*dwarf.LineFile // LineReader.Files() of the same program
	addrSize   int
	minInst    int
	lineBase   int
	lineRange  int
	opcodeBase int
	opLens     []byte // standard opcodes' argument counts, from opcode 1

	addr uint64
	file int
	line int
	// stmt is the is_stmt register, defaultStmt the header's
	// default_is_stmt it starts a sequence with.
	stmt, defaultStmt bool
	discr             int // the discriminator of the next row
}

// knownOpLens are the argument counts of standard opcodes 1-12; a header
// saying otherwise is one LineReader refuses.
var knownOpLens = [...]byte{0, 0, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0, 1}

// newFastLineReader reads the header of the program b (a unit's program,
// from its unit_length on) for a unit of addrSize-byte addresses, and
// returns nil when it leaves the program to LineReader.
func newFastLineReader(b []byte, addrSize int, files []*dwarf.LineFile) *fastLineReader {
	le := binary.LittleEndian
	if len(b) < 4 {
		return nil
	}
	n := uint64(le.Uint32(b))
	if n >= 0xfffffff0 || n > uint64(len(b))-4 {
		return nil // 64-bit DWARF or cut short
	}
	b = b[:4+n]
	h := 4
	if len(b) < h+2 {
		return nil
	}
	version := le.Uint16(b[h:])
	h += 2
	if version < 2 || version > 5 {
		return nil
	}
	if version >= 5 {
		if len(b) < h+2 || b[h+1] != 0 { // address size; segment selector size
			return nil
		}
		addrSize = int(b[h])
		h += 2
	}
	if addrSize != 4 && addrSize != 8 {
		return nil
	}
	if len(b) < h+4 {
		return nil
	}
	hlen := uint64(le.Uint32(b[h:]))
	h += 4
	if hlen > uint64(len(b)-h) {
		return nil
	}
	prog := b[h+int(hlen):]
	r := &fastLineReader{prog: prog, files: files, addrSize: addrSize}
	fixed := 4 // minimum_instruction_length, default_is_stmt, line_base, line_range
	if version >= 4 {
		fixed++ // maximum_operations_per_instruction
	}
	if len(b) < h+fixed+1 {
		return nil
	}
	r.minInst = int(b[h])
	h++
	if version >= 4 {
		if b[h] != 1 {
			return nil // VLIW op indexes: LineReader's
		}
		h++
	}
	r.defaultStmt = b[h] != 0
	h++
	r.lineBase, r.lineRange = int(int8(b[h])), int(b[h+1])
	h += 2
	r.opcodeBase = int(b[h])
	h++
	if r.lineRange == 0 || r.opcodeBase == 0 || len(b) < h+r.opcodeBase-1 {
		return nil
	}
	r.opLens = b[h : h+r.opcodeBase-1]
	for op, want := range knownOpLens {
		if op >= 1 && op < r.opcodeBase && r.opLens[op-1] != want {
			return nil
		}
	}
	r.reset()
	return r
}

// reset is the state at the start of a sequence.
func (r *fastLineReader) reset() { r.addr, r.file, r.line, r.stmt = 0, 1, 1, r.defaultStmt }

// Next is LineReader.Next for the fields readLines reads.
func (r *fastLineReader) Next(le *dwarf.LineEntry) error {
	b := r.prog
	for {
		if r.i >= len(b) {
			return io.EOF
		}
		op := int(b[r.i])
		r.i++
		if op >= r.opcodeBase {
			adj := op - r.opcodeBase
			r.addr += uint64(r.minInst * (adj / r.lineRange))
			r.line += r.lineBase + adj%r.lineRange
			return r.emit(le, false)
		}
		var v uint64
		switch op {
		case 0: // extended
			if v, r.i = readULEB(b, r.i); r.i < 0 || v == 0 || v > uint64(len(b)-r.i) {
				return errFastLines
			}
			end := r.i + int(v)
			switch b[r.i] {
			case 1: // DW_LNE_end_sequence
				err := r.emit(le, true)
				r.reset()
				r.i = end
				return err
			case 2: // DW_LNE_set_address
				if int(v)-1 < r.addrSize {
					return errFastLines
				}
				if r.addrSize == 4 {
					r.addr = uint64(binary.LittleEndian.Uint32(b[r.i+1:]))
				} else {
					r.addr = binary.LittleEndian.Uint64(b[r.i+1:])
				}
			case 3: // DW_LNE_define_file
				return errFastLines
			case 4: // DW_LNE_set_discriminator: its operand must fit
				d, j := readULEB(b[:end], r.i+1)
				if j < 0 {
					return errFastLines
				}
				r.discr = int(d)
			}
			r.i = end
		case 1: // DW_LNS_copy
			return r.emit(le, false)
		case 2: // DW_LNS_advance_pc
			if v, r.i = readULEB(b, r.i); r.i < 0 {
				return errFastLines
			}
			r.addr += uint64(r.minInst * int(v))
		case 3: // DW_LNS_advance_line
			var d int64
			if d, r.i = readSLEB(b, r.i); r.i < 0 {
				return errFastLines
			}
			r.line += int(d)
		case 4: // DW_LNS_set_file
			if v, r.i = readULEB(b, r.i); r.i < 0 || v > 1<<30 {
				return errFastLines
			}
			r.file = int(v)
		case 6: // DW_LNS_negate_stmt
			r.stmt = !r.stmt
		case 8: // DW_LNS_const_add_pc
			r.addr += uint64(r.minInst * ((255 - r.opcodeBase) / r.lineRange))
		case 9: // DW_LNS_fixed_advance_pc
			if r.i+2 > len(b) {
				return errFastLines
			}
			r.addr += uint64(binary.LittleEndian.Uint16(b[r.i:]))
			r.i += 2
		default: // arguments skipped: column, ISA, unknown opcodes' own
			for range r.opLens[op-1] {
				if _, r.i = readULEB(b, r.i); r.i < 0 {
					return errFastLines
				}
			}
		}
	}
}

// emit sets le's fields that readLines reads to the current row.
func (r *fastLineReader) emit(le *dwarf.LineEntry, end bool) error {
	le.Address, le.Line, le.EndSequence, le.IsStmt, le.Discriminator = r.addr, r.line, end, r.stmt, r.discr
	r.discr = 0
	le.File = nil
	if r.file < len(r.files) {
		le.File = r.files[r.file]
	}
	return nil
}

// readSLEB decodes the signed LEB128 at b[i:], returning it and the index
// after it; -1 when b ends inside it.
func readSLEB(b []byte, i int) (int64, int) {
	var v int64
	var shift uint
	for i < len(b) {
		c := b[i]
		i++
		if shift < 64 {
			v |= int64(c&0x7f) << shift
		}
		shift += 7
		if c < 0x80 {
			if shift < 64 && c&0x40 != 0 {
				v |= -1 << shift
			}
			return v, i
		}
	}
	return 0, -1
}
