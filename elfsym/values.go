package elfsym

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// A MemReader reads target memory, io.ReaderAt-style (a capture snapshot,
// a live target, or the Image itself for initial values).
type MemReader interface {
	ReadMemory(buf []byte, addr uint64) (int, error)
}

// ReadUint reads a little-endian unsigned value of size 1, 2, 4 or 8 bytes.
func ReadUint(mem MemReader, addr uint64, size uint64) (uint64, error) {
	if size == 0 || size > 8 {
		return 0, fmt.Errorf("read %d-byte value at 0x%08x: unsupported size", size, addr)
	}
	var b [8]byte
	n, err := mem.ReadMemory(b[:size], addr)
	if uint64(n) < size {
		if err == nil {
			err = fmt.Errorf("short read")
		}
		return 0, fmt.Errorf("read 0x%08x: %w", addr, err)
	}
	return binary.LittleEndian.Uint64(b[:]), nil
}

// FormatOptions bound FormatValue's output.
type FormatOptions struct {
	MaxDepth    int // nested aggregates shown before "{...}"; 0 means 6
	MaxElements int // array elements shown before "..."; 0 means 32
	// Name, when set, names the address a pointer holds ("heap block
	// 0x20001a40 (free)"); its text is appended as a comment.
	Name func(addr uint64) string
}

// FormatValue prints the object of type t at addr the way gdb's print does:
// {port = 7123, clients = {0x20001a40, 0x0}}. Bytes that cannot be read
// print as <unreadable>.
func (im *Image) FormatValue(mem MemReader, addr uint64, t *Type, opt FormatOptions) string {
	if opt.MaxDepth == 0 {
		opt.MaxDepth = 6
	}
	if opt.MaxElements == 0 {
		opt.MaxElements = 32
	}
	var b strings.Builder
	im.format(&b, mem, addr, t, opt, 0)
	return b.String()
}

func (im *Image) format(b *strings.Builder, mem MemReader, addr uint64, t *Type, opt FormatOptions, depth int) {
	if t == nil {
		b.WriteString("<no type>")
		return
	}
	switch t.Kind {
	case KindStruct, KindUnion:
		if depth >= opt.MaxDepth {
			b.WriteString("{...}")
			return
		}
		b.WriteString("{")
		first := true
		for _, f := range t.Fields {
			if !first {
				b.WriteString(", ")
			}
			first = false
			name := f.Name
			if f.Base {
				name = "<" + f.Name + ">"
			}
			b.WriteString(name + " = ")
			if f.BitSize > 0 {
				b.WriteString("<bit-field>")
				continue
			}
			im.format(b, mem, addr+f.Offset, f.Type, opt, depth+1)
		}
		b.WriteString("}")
	case KindArray:
		if t.Elem == nil || t.Count < 0 {
			b.WriteString("{...}")
			return
		}
		if t.Elem.Kind == KindBase && t.Elem.Char && t.Elem.Size == 1 {
			im.formatString(b, mem, addr, t.Count)
			return
		}
		if depth >= opt.MaxDepth {
			b.WriteString("{...}")
			return
		}
		b.WriteString("{")
		for i := int64(0); i < t.Count; i++ {
			if i > 0 {
				b.WriteString(", ")
			}
			if i >= int64(opt.MaxElements) {
				b.WriteString("...")
				break
			}
			im.format(b, mem, addr+uint64(i)*t.Elem.Size, t.Elem, opt, depth+1)
		}
		b.WriteString("}")
	case KindPointer:
		v, err := ReadUint(mem, addr, t.Size)
		if err != nil {
			b.WriteString("<unreadable>")
			return
		}
		fmt.Fprintf(b, "0x%08x", v)
		if v == 0 {
			return
		}
		if s, off, ok := im.SymbolAt(v); ok {
			if off == 0 {
				fmt.Fprintf(b, " <%s>", s.Name)
			} else {
				fmt.Fprintf(b, " <%s+%d>", s.Name, off)
			}
		} else if opt.Name != nil {
			if n := opt.Name(v); n != "" {
				fmt.Fprintf(b, " <%s>", n)
			}
		}
	case KindBase, KindEnum:
		size := t.Size
		if size == 0 || size > 8 {
			b.WriteString("?")
			return
		}
		v, err := ReadUint(mem, addr, size)
		if err != nil {
			b.WriteString("<unreadable>")
			return
		}
		switch {
		case t.Float && size == 4:
			b.WriteString(strconv.FormatFloat(float64(math.Float32frombits(uint32(v))), 'g', -1, 32))
		case t.Float && size == 8:
			b.WriteString(strconv.FormatFloat(math.Float64frombits(v), 'g', -1, 64))
		case t.Signed:
			shift := 64 - 8*size
			b.WriteString(strconv.FormatInt(int64(v<<shift)>>shift, 10))
		default:
			b.WriteString(strconv.FormatUint(v, 10))
		}
		if t.Char && size == 1 && v >= 0x20 && v < 0x7f {
			fmt.Fprintf(b, " '%c'", rune(v))
		}
	default:
		b.WriteString("?")
	}
}

func (im *Image) formatString(b *strings.Builder, mem MemReader, addr uint64, n int64) {
	buf := make([]byte, min(n, 256))
	got, _ := mem.ReadMemory(buf, addr)
	buf = buf[:got]
	if i := strings.IndexByte(string(buf), 0); i >= 0 {
		buf = buf[:i]
	}
	b.WriteString(strconv.Quote(string(buf)))
	if int64(got) < min(n, 256) && len(buf) == got {
		b.WriteString(" <truncated>")
	}
}
