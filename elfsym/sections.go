package elfsym

import (
	"debug/elf"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"sort"
)

// shtARMExidx is SHT_ARM_EXIDX (ARM ELF ABI; debug/elf does not name it).
const shtARMExidx = elf.SectionType(0x70000001)

// A Section describes one ELF section.
type Section struct {
	Name               string
	Addr, Size         uint64
	Exec, Write, Alloc bool
	Loaded             bool // SHT_PROGBITS alloc section with content in the file (flash image)
	Offset             uint64
	exidx              bool // SHT_ARM_EXIDX: the EHABI index, whatever its name (exidx.go)
}

// A Segment describes one PT_LOAD program header: Vaddr is where it runs,
// Paddr where it is stored (flash for .data's initial values).
type Segment struct {
	Vaddr, Paddr, Memsz, Filesz uint64
	Exec, Write                 bool
}

// memChunk maps target addresses [addr, addr+size) to file bytes at off.
type memChunk struct {
	addr, size, off uint64
}

func (im *Image) loadSections(f *elf.File) error {
	for _, s := range f.Sections {
		if s.Type == elf.SHT_NULL {
			continue
		}
		sec := Section{
			Name:   s.Name,
			Addr:   s.Addr,
			Size:   s.Size,
			Exec:   s.Flags&elf.SHF_EXECINSTR != 0,
			Write:  s.Flags&elf.SHF_WRITE != 0,
			Alloc:  s.Flags&elf.SHF_ALLOC != 0,
			Offset: s.Offset,
			exidx:  s.Type == shtARMExidx,
		}
		sec.Loaded = sec.Alloc && s.Type == elf.SHT_PROGBITS && s.Size > 0
		if sec.Loaded && (s.Offset > uint64(im.size) || s.Size > uint64(im.size)-s.Offset) {
			im.warnf("section %s lies past the end of the file (offset %#x size %#x, file %d bytes): its contents are not readable", s.Name, s.Offset, s.Size, im.size)
			sec.Loaded = false
		}
		im.sections = append(im.sections, sec)
	}
	for i, s := range im.sections {
		if s.Alloc && s.Size > 0 {
			im.allocIdx = append(im.allocIdx, i)
		}
		if s.Loaded {
			im.mem = append(im.mem, memChunk{addr: s.Addr, size: s.Size, off: s.Offset})
		}
	}
	sort.SliceStable(im.allocIdx, func(a, b int) bool {
		return im.sections[im.allocIdx[a]].Addr < im.sections[im.allocIdx[b]].Addr
	})
	for _, p := range f.Progs {
		if p.Type != elf.PT_LOAD {
			continue
		}
		im.segments = append(im.segments, Segment{
			Vaddr: p.Vaddr, Paddr: p.Paddr, Memsz: p.Memsz, Filesz: p.Filesz,
			Exec: p.Flags&elf.PF_X != 0, Write: p.Flags&elf.PF_W != 0,
		})
		// The load address (LMA) view: .data's initial values as they sit
		// in flash. Sections only give the run address.
		if p.Filesz > 0 && p.Paddr != p.Vaddr && p.Off <= uint64(im.size) && p.Filesz <= uint64(im.size)-p.Off {
			im.mem = append(im.mem, memChunk{addr: p.Paddr, size: p.Filesz, off: p.Off})
		}
	}
	sort.SliceStable(im.mem, func(a, b int) bool { return im.mem[a].addr < im.mem[b].addr })
	if len(im.allocIdx) == 0 {
		im.warnf("no allocated sections: no code or data addresses")
	}
	im.buildID = findBuildID(f)
	return nil
}

// findBuildID reads NT_GNU_BUILD_ID from any note section. Notes are parsed
// here because debug/elf does not expose them.
func findBuildID(f *elf.File) string {
	for _, s := range f.Sections {
		if s.Type != elf.SHT_NOTE || s.Size > 1<<20 {
			continue
		}
		data, err := s.Data()
		if err != nil {
			continue
		}
		for len(data) >= 12 {
			namesz := uint64(binary.LittleEndian.Uint32(data[0:]))
			descsz := uint64(binary.LittleEndian.Uint32(data[4:]))
			typ := binary.LittleEndian.Uint32(data[8:])
			data = data[12:]
			nameEnd := (namesz + 3) &^ 3
			descEnd := (descsz + 3) &^ 3
			if nameEnd > uint64(len(data)) || descEnd > uint64(len(data))-nameEnd {
				break
			}
			name := data[:namesz]
			desc := data[nameEnd : nameEnd+descsz]
			data = data[nameEnd+descEnd:]
			if typ == 3 && string(name) == "GNU\x00" && len(desc) > 0 { // NT_GNU_BUILD_ID
				return hex.EncodeToString(desc)
			}
		}
	}
	return ""
}

// Sections returns every section in file order.
func (im *Image) Sections() []Section { return append([]Section(nil), im.sections...) }

// Segments returns the PT_LOAD segments in file order.
func (im *Image) Segments() []Segment { return append([]Segment(nil), im.segments...) }

// SectionAt returns the allocated section holding addr.
func (im *Image) SectionAt(addr uint64) (Section, bool) {
	i := sort.Search(len(im.allocIdx), func(i int) bool { return im.sections[im.allocIdx[i]].Addr > addr })
	// Sections can share a start address (an empty one before a full one);
	// walk back over the few candidates.
	for j := i - 1; j >= 0; j-- {
		s := im.sections[im.allocIdx[j]]
		if addr-s.Addr < s.Size {
			return s, true
		}
		if j < i-4 {
			break
		}
	}
	return Section{}, false
}

// SegmentAt returns the PT_LOAD segment whose run address range holds addr
// (linear: there are only a few segments).
func (im *Image) SegmentAt(addr uint64) (Segment, bool) {
	for _, s := range im.segments {
		if addr >= s.Vaddr && addr-s.Vaddr < s.Memsz {
			return s, true
		}
	}
	return Segment{}, false
}

// IsCode reports whether addr (Thumb bit ignored) is inside an executable
// allocated section.
func (im *Image) IsCode(addr uint64) bool {
	s, ok := im.SectionAt(addr &^ 1)
	return ok && s.Exec
}

// ReadMemory reads the image's loaded contents at target address addr, like
// io.ReaderAt: n < len(buf) comes with an error when the range leaves the
// loaded sections. Both run addresses (sections) and, for segments stored
// elsewhere, load addresses (.data's initial values in flash) are readable.
func (im *Image) ReadMemory(buf []byte, addr uint64) (int, error) {
	n := 0
	for n < len(buf) {
		a := addr + uint64(n)
		c, ok := im.chunkAt(a)
		if !ok {
			return n, fmt.Errorf("elfsym: read %d bytes at %#x: %#x: %w", len(buf), addr, a, errNotLoaded)
		}
		want := uint64(len(buf) - n)
		if rest := c.size - (a - c.addr); want > rest {
			want = rest
		}
		m, err := im.r.ReadAt(buf[n:n+int(want)], int64(c.off+(a-c.addr)))
		n += m
		if err != nil && !(err == io.EOF && m == int(want)) {
			return n, fmt.Errorf("elfsym: read %d bytes at %#x: %w", len(buf), addr, err)
		}
	}
	return n, nil
}

func (im *Image) chunkAt(addr uint64) (memChunk, bool) {
	i := sort.Search(len(im.mem), func(i int) bool { return im.mem[i].addr > addr })
	for j := i - 1; j >= 0 && j >= i-4; j-- {
		if c := im.mem[j]; addr-c.addr < c.size {
			return c, true
		}
	}
	return memChunk{}, false
}
