package elfsym

import (
	"debug/dwarf"
	"debug/elf"
	"fmt"
	"io"
	"strings"
)

// readDWARF is elf.File.DWARF for what elfsym reads: it loads only the
// sections debug/dwarf uses (not .debug_loclists, .debug_frame,
// .debug_aranges, .debug_macro, ...), which in a large C++ firmware is a
// tenth of the debug data less to copy. Anything unusual (a relocatable
// file, compressed sections) goes to elf.File.DWARF, which handles it.
func readDWARF(f *elf.File, fileSize int64) (d *dwarf.Data, err error) {
	defer func() {
		if p := recover(); p != nil {
			d, err = nil, fmt.Errorf("DWARF parser failed: %v", p)
		}
	}()
	secs, ok, err := readDWARFSections(f, fileSize, true, true)
	if err != nil {
		return nil, err
	}
	if !ok {
		return f.DWARF()
	}
	return secs.data(secs.info)
}

// dwarfSections are the sections debug/dwarf reads.
type dwarfSections struct {
	abbrev, info, str, line, ranges []byte
	extra                           map[string][]byte // DWARF 5: .debug_addr, ...
}

// data makes a dwarf.Data over info (the whole .debug_info, or one unit).
func (s *dwarfSections) data(info []byte) (*dwarf.Data, error) {
	return s.dataWithLine(info, s.line)
}

// dataWithLine is data with line as .debug_line (lazy.go gives a unit
// its own line program alone).
func (s *dwarfSections) dataWithLine(info, line []byte) (*dwarf.Data, error) {
	d, err := dwarf.New(s.abbrev, nil, nil, info, line, nil, s.ranges, s.str)
	if err != nil {
		return nil, err
	}
	for name, b := range s.extra {
		if err := d.AddSection(name, b); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// readDWARFSections reads the sections debug/dwarf uses, .debug_info only
// if withInfo and .debug_line only if withLine. ok is false when the file needs elf.File.DWARF (relocatable,
// compressed sections, DWARF 4 type units).
func readDWARFSections(f *elf.File, fileSize int64, withInfo, withLine bool) (secs *dwarfSections, ok bool, err error) {
	return readDWARFSectionsWith(f, withInfo, withLine, false, func(s *elf.Section) ([]byte, error) { return sectionBytes(s, fileSize) })
}

// readDWARFSectionsWith is readDWARFSections with read giving a section's
// bytes (a lazy image slices them from a mapping of the file). lazy says
// the caller is the lazy path: its read decompresses SHF_COMPRESSED
// sections (inflateSection), and it needs no DWARF 4 type units (it
// indexes functions and lines, which name their types only by DW_AT_type
// and DW_AT_signature; see crossUnitRefs).
func readDWARFSectionsWith(f *elf.File, withInfo, withLine, lazy bool, read func(*elf.Section) ([]byte, error)) (secs *dwarfSections, ok bool, err error) {
	if f.Type != elf.ET_EXEC {
		return nil, false, nil
	}
	for _, s := range f.Sections {
		if strings.HasPrefix(s.Name, ".zdebug_") || (strings.HasPrefix(s.Name, ".debug_") && s.Flags&elf.SHF_COMPRESSED != 0 && !lazy) {
			return nil, false, nil
		}
		if s.Name == ".debug_types" && !lazy {
			return nil, false, nil // DWARF 4 type units: rare on this target, handled there
		}
	}
	secs = &dwarfSections{extra: map[string][]byte{}}
	for _, s := range f.Sections {
		if s.Type == elf.SHT_NOBITS {
			continue
		}
		var dst *[]byte
		switch s.Name {
		case ".debug_abbrev":
			dst = &secs.abbrev
		case ".debug_info":
			if !withInfo {
				continue
			}
			dst = &secs.info
		case ".debug_str":
			dst = &secs.str
		case ".debug_line":
			if !withLine {
				continue
			}
			dst = &secs.line
		case ".debug_ranges":
			dst = &secs.ranges
		case ".debug_addr", ".debug_line_str", ".debug_str_offsets", ".debug_rnglists":
		default:
			continue
		}
		b, err := read(s)
		if err != nil {
			return nil, false, fmt.Errorf("section %s: %w", s.Name, err)
		}
		if dst != nil {
			*dst = b
		} else {
			secs.extra[s.Name] = b
		}
	}
	return secs, true, nil
}

// maxInflated bounds a compressed section's claimed size: a damaged or
// hostile header must not become an allocation (firmware DWARF is tens of
// megabytes).
const maxInflated = 1 << 30

// inflateSection decompresses an SHF_COMPRESSED section (-gz, ld
// --compress-debug-sections) into one buffer of its uncompressed size.
func inflateSection(s *elf.Section) ([]byte, error) {
	if s.Size > maxInflated {
		return nil, fmt.Errorf("compressed section claims %d bytes uncompressed", s.Size)
	}
	b := make([]byte, s.Size)
	if _, err := io.ReadFull(s.Open(), b); err != nil {
		return nil, fmt.Errorf("decompress: %w", err)
	}
	return b, nil
}

// sectionBytes reads an uncompressed section in one read into a buffer of
// its size (Section.Data reads a large one in chunks and copies it as it
// grows). A size past the end of the file is damage, not an allocation.
func sectionBytes(s *elf.Section, fileSize int64) ([]byte, error) {
	if s.Size > uint64(fileSize) || s.Offset > uint64(fileSize)-s.Size {
		return nil, fmt.Errorf("%d bytes at %#x lie past the end of the file", s.Size, s.Offset)
	}
	b := make([]byte, s.Size)
	if _, err := s.ReadAt(b, 0); err != nil {
		return nil, err
	}
	return b, nil
}
