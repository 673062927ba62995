package capture

import (
	"bufio"
	"debug/elf"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Write stores s in a capture file at path, atomically: it writes a
// temporary file (".<name>.tmp-*") in the same directory, syncs it, and
// renames it over path, so a crash or an error never leaves a half file
// under the final name. On error the temporary file is removed. The
// directory is created if missing.
func Write(path string, s *Snapshot) error {
	return writeFile(path, s, nil)
}

// writeFile is Write with a hook that wraps the file's writer; tests use it
// to fail part-way through.
func writeFile(path string, s *Snapshot, wrap func(io.Writer) io.Writer) (err error) {
	if s == nil {
		return fmt.Errorf("write capture %s: nil snapshot", path)
	}
	// Validate before touching the disk: a bad snapshot must not even
	// leave a temp file behind.
	if err := s.Validate(); err != nil {
		return fmt.Errorf("write capture %s: %w", path, err)
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write capture: %w", err)
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("write capture: %w", err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close() // may already be closed; the error is not news
			os.Remove(tmp)
		}
	}()
	var w io.Writer = f
	if wrap != nil {
		w = wrap(f)
	}
	if err := Encode(w, s); err != nil {
		return fmt.Errorf("write capture %s: %w", path, err)
	}
	// CreateTemp makes 0600; a capture is a report to share, not a secret.
	if err := f.Chmod(0o644); err != nil {
		return fmt.Errorf("write capture %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("write capture %s: sync: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write capture %s: close: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write capture: %w", err)
	}
	// Make the rename itself durable. Not every file system can sync a
	// directory, and the file is complete either way, so this is best
	// effort.
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// Encode writes s as a capture file (an ELF core, see the package
// documentation) to w. It fails without writing anything when s does not
// pass Validate.
func Encode(w io.Writer, s *Snapshot) error {
	if s == nil {
		return fmt.Errorf("encode capture: nil snapshot")
	}
	if err := s.Validate(); err != nil {
		return fmt.Errorf("encode capture: %w", err)
	}
	notes, err := buildNotes(s)
	if err != nil {
		return fmt.Errorf("encode capture: %w", err)
	}
	if err := writeCore(w, notes, s.Memory); err != nil {
		return fmt.Errorf("encode capture: %w", err)
	}
	return nil
}

// writeCore writes the ELF core: header, program headers, the notes
// segment, then each region's bytes, each at a 4-byte aligned offset.
func writeCore(w io.Writer, notes []byte, mem []Region) error {
	// debug/elf only reads ELF, and a core file is a header, a table of
	// program headers and blobs, so it is written by hand here.
	phnum := 1 + len(mem)
	if phnum > 0xffff {
		return fmt.Errorf("%d regions, an ELF file holds at most %d", len(mem), 0xffff-1)
	}
	const ehsize, phentsize = 52, 32
	off := uint64(ehsize + phnum*phentsize)
	phdrs := make([]elf.Prog32, 0, phnum)
	phdrs = append(phdrs, elf.Prog32{
		Type:   uint32(elf.PT_NOTE),
		Off:    uint32(off),
		Filesz: uint32(len(notes)),
		Flags:  uint32(elf.PF_R),
		Align:  4,
	})
	off += uint64(len(notes)) // notes are padded to 4 bytes
	for _, r := range mem {
		if off+uint64(len(r.Data)) > 1<<32-1 {
			return fmt.Errorf("regions add up to more than 4 GiB")
		}
		phdrs = append(phdrs, elf.Prog32{
			Type:   uint32(elf.PT_LOAD),
			Off:    uint32(off),
			Vaddr:  r.Addr,
			Paddr:  r.Addr,
			Filesz: uint32(len(r.Data)),
			Memsz:  uint32(len(r.Data)),
			Flags:  uint32(regionFlags(r)),
			Align:  4,
		})
		off = align4(off + uint64(len(r.Data)))
	}

	hdr := elf.Header32{
		Type:      uint16(elf.ET_CORE),
		Machine:   uint16(elf.EM_ARM),
		Version:   uint32(elf.EV_CURRENT),
		Phoff:     ehsize,
		Ehsize:    ehsize,
		Phentsize: phentsize,
		Phnum:     uint16(phnum),
		Shentsize: 40,
	}
	copy(hdr.Ident[:], elf.ELFMAG)
	hdr.Ident[elf.EI_CLASS] = byte(elf.ELFCLASS32)
	hdr.Ident[elf.EI_DATA] = byte(elf.ELFDATA2LSB)
	hdr.Ident[elf.EI_VERSION] = byte(elf.EV_CURRENT)
	hdr.Ident[elf.EI_OSABI] = byte(elf.ELFOSABI_NONE)

	bw := bufio.NewWriterSize(w, 64<<10)
	if err := binary.Write(bw, binary.LittleEndian, &hdr); err != nil {
		return fmt.Errorf("header: %w", err)
	}
	if err := binary.Write(bw, binary.LittleEndian, phdrs); err != nil {
		return fmt.Errorf("program headers: %w", err)
	}
	if _, err := bw.Write(notes); err != nil {
		return fmt.Errorf("notes: %w", err)
	}
	var pad [3]byte
	for i, r := range mem {
		if _, err := bw.Write(r.Data); err != nil {
			return fmt.Errorf("region %q: %w", r.Name, err)
		}
		// No padding after the last region: the file ends with data, so
		// any cut is visible as a short segment.
		if i == len(mem)-1 {
			break
		}
		if _, err := bw.Write(pad[:align4(uint64(len(r.Data)))-uint64(len(r.Data))]); err != nil {
			return fmt.Errorf("region %q: %w", r.Name, err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("%w", err)
	}
	return nil
}

// regionFlags gives a segment's permissions: a flash sample is code (read
// and execute, as gdb's own gcore marks flash); everything else a capture
// reads is read-write, wherever it lies: RAM in the Code region too (an
// STM32F4's CCM at 0x10000000, block RAM, Kinetis SRAM_L), the
// peripherals and the System Control Space.
func regionFlags(r Region) elf.ProgFlag {
	if r.Name == "flash-sample" {
		return elf.PF_R | elf.PF_X
	}
	return elf.PF_R | elf.PF_W
}

func align4(n uint64) uint64 { return (n + 3) &^ 3 }

// noteDoc is the JSON in the FAULTLINE note: Meta's fields at the top level
// plus what the ELF structure cannot say by itself.
type noteDoc struct {
	Meta
	Registers map[string]uint32 `json:"registers,omitempty"`
	Regions   []regionDoc       `json:"regions,omitempty"`
}

// regionDoc names a PT_LOAD segment (ELF program headers have no names).
type regionDoc struct {
	Name string `json:"name"`
	Addr uint32 `json:"addr"`
	Size uint32 `json:"size"`
}

func buildNotes(s *Snapshot) ([]byte, error) {
	doc := noteDoc{Meta: s.Meta, Registers: s.Registers}
	doc.Schema = SchemaV1
	for _, r := range s.Memory {
		doc.Regions = append(doc.Regions, regionDoc{Name: r.Name, Addr: r.Addr, Size: uint32(len(r.Data))})
	}
	js, err := json.Marshal(&doc)
	if err != nil {
		return nil, fmt.Errorf("FAULTLINE note: %w", err)
	}
	var b []byte
	b = appendNote(b, noteNameCore, uint32(elf.NT_PRSTATUS), prstatus(s.Registers))
	// Most valuable first, for a file cut short: the FAULTLINE note holds
	// everything; the target description only helps gdb.
	b = appendNote(b, noteNameFaultline, NoteTypeFaultline, js)
	b = appendNote(b, noteNameGDB, ntGDBTdesc, []byte(tdescXML(s.Registers)+"\x00"))
	return b, nil
}

// appendNote appends one ELF note: namesz, descsz, type, the name with its
// NUL, the descriptor, each padded to 4 bytes.
func appendNote(b []byte, name string, typ uint32, desc []byte) []byte {
	b = binary.LittleEndian.AppendUint32(b, uint32(len(name)+1))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(desc)))
	b = binary.LittleEndian.AppendUint32(b, typ)
	b = append(b, name...)
	b = append(b, 0)
	b = padTo4(b)
	b = append(b, desc...)
	return padTo4(b)
}

func padTo4(b []byte) []byte {
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}
