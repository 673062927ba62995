package elfsym

import (
	"bytes"
	"compress/zlib"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"io"
	"strings"
)

// GNU's older compressed DWARF (gcc -gz=zlib-gnu, binutils before 2.26
// with --compress-debug-sections): each .debug_X becomes .zdebug_X holding
// "ZLIB", the uncompressed size (8 bytes, big-endian) and a zlib stream.
// gdb reads it; debug/elf's DWARF decompresses it, but the sections read
// by name here (CFI, .debug_addr, location lists) need the same.

// debugSection is the named DWARF section (".debug_frame") or its
// .zdebug_ twin, nil when the file has neither.
func debugSection(f *elf.File, name string) *elf.Section {
	if s := f.Section(name); s != nil {
		return s
	}
	if rest, ok := strings.CutPrefix(name, ".debug_"); ok {
		return f.Section(".zdebug_" + rest)
	}
	return nil
}

// debugSectionData is a debug section's contents, decompressed
// (SHF_COMPRESSED by debug/elf, a .zdebug_ section here).
func debugSectionData(s *elf.Section) ([]byte, error) {
	raw, err := s.Data()
	if err != nil || !strings.HasPrefix(s.Name, ".zdebug_") {
		return raw, err
	}
	if len(raw) < 12 || string(raw[:4]) != "ZLIB" {
		return raw, nil // GNU leaves a section uncompressed when that is smaller
	}
	size := binary.BigEndian.Uint64(raw[4:12])
	if size > maxInflated {
		return nil, fmt.Errorf("%s claims %d bytes uncompressed", s.Name, size)
	}
	zr, err := zlib.NewReader(bytes.NewReader(raw[12:]))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.Name, err)
	}
	b := make([]byte, size)
	if _, err := io.ReadFull(zr, b); err != nil {
		return nil, fmt.Errorf("%s: decompress: %w", s.Name, err)
	}
	return b, nil
}
