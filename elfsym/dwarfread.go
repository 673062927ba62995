package elfsym

import (
	"debug/dwarf"
	"debug/elf"
	"fmt"
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
	if f.Type != elf.ET_EXEC {
		return f.DWARF()
	}
	base := map[string][]byte{"abbrev": nil, "info": nil, "str": nil, "line": nil, "ranges": nil}
	extra := map[string][]byte{"addr": nil, "line_str": nil, "str_offsets": nil, "rnglists": nil}
	for _, s := range f.Sections {
		if strings.HasPrefix(s.Name, ".zdebug_") || (strings.HasPrefix(s.Name, ".debug_") && s.Flags&elf.SHF_COMPRESSED != 0) {
			return f.DWARF()
		}
		if s.Name == ".debug_types" {
			return f.DWARF() // DWARF 4 type units: rare on this target, handled there
		}
	}
	for _, s := range f.Sections {
		suffix, ok := strings.CutPrefix(s.Name, ".debug_")
		if !ok || s.Type == elf.SHT_NOBITS {
			continue
		}
		m := base
		if _, want := base[suffix]; !want {
			if _, want := extra[suffix]; !want {
				continue
			}
			m = extra
		}
		b, err := sectionBytes(s, fileSize)
		if err != nil {
			return nil, fmt.Errorf("section %s: %w", s.Name, err)
		}
		m[suffix] = b
	}
	d, err = dwarf.New(base["abbrev"], nil, nil, base["info"], base["line"], nil, base["ranges"], base["str"])
	if err != nil {
		return nil, err
	}
	for suffix, b := range extra {
		if b != nil {
			if err := d.AddSection(".debug_"+suffix, b); err != nil {
				return nil, err
			}
		}
	}
	return d, nil
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
