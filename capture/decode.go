package capture

import (
	"debug/elf"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// A FormatError says the file is not a capture this package can read (not
// an ELF file, not a 32-bit little-endian ARM core). Decode returns it with
// a nil Snapshot.
type FormatError struct {
	Off int64 // byte offset of the problem in the file
	Msg string
}

func (e *FormatError) Error() string {
	if e.Off > 0 {
		return fmt.Sprintf("not a faultline capture: %s (at offset %#x)", e.Msg, e.Off)
	}
	return "not a faultline capture: " + e.Msg
}

// A TruncatedError says the file ends before the data its headers
// describe: a write that was cut short, or a copy that was. Decode returns
// it together with a Snapshot holding everything that was complete.
type TruncatedError struct {
	Size int64    // bytes in the file
	Want int64    // bytes the headers describe
	Lost []string // what is incomplete or absent, in words
}

func (e *TruncatedError) Error() string {
	return fmt.Sprintf("capture truncated: file has %d of %d bytes: %s", e.Size, e.Want, strings.Join(e.Lost, "; "))
}

// A CorruptError says parts of an otherwise readable capture make no sense
// (a FAULTLINE note that is not JSON, overlapping segments, ...). Decode
// returns it together with a Snapshot holding the parts that do.
type CorruptError struct {
	Problems []string
}

func (e *CorruptError) Error() string {
	return "capture damaged: " + strings.Join(e.Problems, "; ")
}

// Read reads the capture file at path. See Decode for the results on a
// damaged or truncated file.
func Read(path string) (*Snapshot, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read capture: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read capture: %w", err)
	}
	s, err := Decode(f, st.Size())
	if err != nil {
		return s, fmt.Errorf("read capture %s: %w", path, err)
	}
	return s, nil
}

// Decode reads a capture file of size bytes from r.
//
// It returns (s, nil) for a sound file; (nil, *FormatError) for a file
// that is not a 32-bit little-endian ARM ELF core; and, for a core that is
// truncated or partly damaged, a non-nil s holding everything complete
// together with a *TruncatedError and/or a *CorruptError (use errors.As;
// both are joined when both apply). Each problem is also appended to
// s.Meta.Missing so that a report made from s says what is gone.
//
// Registers come from the FAULTLINE note, or from NT_PRSTATUS when the
// note is absent or damaged, so cores written by gdb's gcore decode too.
// Decode never panics and allocates at most about size bytes for data.
func Decode(r io.ReaderAt, size int64) (*Snapshot, error) {
	if size < 0 {
		return nil, &FormatError{Msg: fmt.Sprintf("negative size %d", size)}
	}
	sr := io.NewSectionReader(r, 0, size)
	const ehsize = 52
	hdrBytes := make([]byte, ehsize)
	n, _ := sr.ReadAt(hdrBytes, 0) // a short read is judged by n
	if n < 4 || string(hdrBytes[:4]) != elf.ELFMAG {
		return nil, &FormatError{Msg: "not an ELF file (bad magic number)"}
	}
	if n > int(elf.EI_CLASS) && elf.Class(hdrBytes[elf.EI_CLASS]) != elf.ELFCLASS32 {
		return nil, &FormatError{Msg: fmt.Sprintf("ELF class %v, want ELFCLASS32", elf.Class(hdrBytes[elf.EI_CLASS]))}
	}
	if n > int(elf.EI_DATA) && elf.Data(hdrBytes[elf.EI_DATA]) != elf.ELFDATA2LSB {
		return nil, &FormatError{Msg: fmt.Sprintf("ELF data encoding %v, want little-endian", elf.Data(hdrBytes[elf.EI_DATA]))}
	}
	if n > int(elf.EI_VERSION) && elf.Version(hdrBytes[elf.EI_VERSION]) != elf.EV_CURRENT {
		return nil, &FormatError{Msg: fmt.Sprintf("ELF version %d, want 1", hdrBytes[elf.EI_VERSION])}
	}
	if n < ehsize {
		d := &decoder{snap: &Snapshot{}, size: size, want: ehsize}
		d.lose("the ELF header")
		return d.finish()
	}
	var hdr elf.Header32
	if _, err := binary.Decode(hdrBytes, binary.LittleEndian, &hdr); err != nil {
		return nil, &FormatError{Msg: fmt.Sprintf("ELF header: %v", err)}
	}
	if t := elf.Type(hdr.Type); t != elf.ET_CORE {
		return nil, &FormatError{Off: 16, Msg: fmt.Sprintf("ELF type %v, want ET_CORE (is this the firmware ELF rather than a capture?)", t)}
	}
	if m := elf.Machine(hdr.Machine); m != elf.EM_ARM {
		return nil, &FormatError{Off: 18, Msg: fmt.Sprintf("ELF machine %v, want EM_ARM", m)}
	}
	if hdr.Phnum > 0 && hdr.Phentsize != 32 {
		return nil, &FormatError{Off: 42, Msg: fmt.Sprintf("program header size %d, want 32", hdr.Phentsize)}
	}

	d := &decoder{snap: &Snapshot{}, size: size, want: ehsize, budget: size}
	phnum := int64(hdr.Phnum)
	phEnd := int64(hdr.Phoff) + 32*phnum
	d.want = max(d.want, phEnd)
	if phEnd > size {
		fits := max(0, (size-int64(hdr.Phoff))/32)
		d.lose(fmt.Sprintf("program headers (%d of %d complete)", fits, phnum))
		phnum = fits
	}

	// debug/elf reads the program headers. It is shown a header with no
	// section table (a core's content is its segments, and gdb's gcore
	// puts section headers at the end of the file, where truncation hits
	// first) and with only the program headers that are present.
	binary.LittleEndian.PutUint32(hdrBytes[32:], 0) // e_shoff
	binary.LittleEndian.PutUint16(hdrBytes[44:], uint16(phnum))
	binary.LittleEndian.PutUint16(hdrBytes[46:], 0) // e_shentsize
	binary.LittleEndian.PutUint16(hdrBytes[48:], 0) // e_shnum
	binary.LittleEndian.PutUint16(hdrBytes[50:], 0) // e_shstrndx
	f, err := elf.NewFile(&patchedReader{r: sr, head: hdrBytes})
	if err != nil {
		return nil, &FormatError{Msg: fmt.Sprintf("ELF header: %v", err)}
	}
	var notes []note
	for i, p := range f.Progs {
		switch p.Type {
		case elf.PT_NOTE:
			what := fmt.Sprintf("notes (segment %d)", i)
			data, ok := d.segment(p, what)
			if !ok {
				continue
			}
			ns, used := parseNotes(data, int64(p.Off))
			notes = append(notes, ns...)
			switch {
			case uint64(len(data)) < p.Filesz:
				d.lose(fmt.Sprintf("%s: %d of %d bytes, %d complete notes", what, len(data), p.Filesz, len(ns)))
			case used < len(data):
				d.corrupt(fmt.Sprintf("notes segment %d: a note at offset %#x runs past the segment", i, int64(p.Off)+int64(used)))
			}
		case elf.PT_LOAD:
			d.load(p, i)
		}
	}
	d.applyNotes(notes)
	d.placeRegions()
	d.plainMemoryMissing()
	return d.finish()
}

// decoder collects a Snapshot and the problems met while reading one.
type decoder struct {
	snap     *Snapshot
	size     int64
	want     int64 // bytes the headers describe
	budget   int64 // bytes left to allocate for segment data
	lost     []string
	short    []shortLoad
	names    map[uint32]string // region names from the FAULTLINE note
	problems []string
	regions  []Region // as found, before names and sorting
	plain    bool     // no FAULTLINE note: a core from another tool
	tdesc    []string // register names of its NT_GDB_TDESC, if any
}

func (d *decoder) lose(what string)    { d.lost = append(d.lost, what) }
func (d *decoder) corrupt(what string) { d.problems = append(d.problems, what) }

// segment reads a segment's file bytes, or as many as the file holds
// (len(data) < p.Filesz: the file is truncated). ok is false when the
// segment was not read at all because the file cannot hold it (recorded as
// corrupt).
func (d *decoder) segment(p *elf.Prog, what string) (data []byte, ok bool) {
	end := int64(p.Off) + int64(p.Filesz)
	d.want = max(d.want, end)
	n := int64(p.Filesz)
	if int64(p.Off) >= d.size {
		n = 0
	} else {
		n = min(n, d.size-int64(p.Off))
	}
	// Segments may share file bytes, so a small file could otherwise make
	// Decode allocate its size once per program header.
	if n > d.budget {
		d.corrupt(fmt.Sprintf("%s: segments claim more bytes than the file holds", what))
		return nil, false
	}
	d.budget -= n
	data = make([]byte, n)
	got, _ := p.ReadAt(data, 0) // short reads are judged by got
	return data[:got], true
}

func (d *decoder) load(p *elf.Prog, i int) {
	if p.Filesz == 0 {
		return
	}
	what := fmt.Sprintf("memory 0x%08x-0x%08x (segment %d)", p.Vaddr, p.Vaddr+p.Filesz, i)
	if p.Vaddr+p.Filesz > 1<<32 {
		d.corrupt(what + ": runs past the 32-bit address space")
		return
	}
	data, ok := d.segment(p, what)
	if !ok {
		return
	}
	if uint64(len(data)) < p.Filesz {
		d.short = append(d.short, shortLoad{addr: uint32(p.Vaddr), got: len(data), want: p.Filesz})
	}
	if len(data) > 0 {
		d.regions = append(d.regions, Region{Addr: uint32(p.Vaddr), Data: data})
	}
}

// A shortLoad is a PT_LOAD the file ends inside; it is described once the
// notes have named the regions.
type shortLoad struct {
	addr uint32
	got  int
	want uint64
}

// applyNotes fills registers and Meta from the notes: the FAULTLINE note,
// or NT_PRSTATUS for registers when that note is absent or unreadable.
func (d *decoder) applyNotes(notes []note) {
	var doc *noteDoc
	var prs map[string]uint32
	var tdesc []string
	for _, n := range notes {
		switch {
		case n.name == noteNameGDB && n.typ == ntGDBTdesc && tdesc == nil:
			tdesc = tdescRegisters(n.desc)
		case n.name == noteNameFaultline && n.typ == NoteTypeFaultline && doc == nil:
			var nd noteDoc
			if err := json.Unmarshal(n.desc, &nd); err != nil {
				d.corrupt(fmt.Sprintf("FAULTLINE note at offset %#x: %v", n.off, err))
				continue
			}
			doc = &nd
		case n.name == noteNameCore && n.typ == uint32(elf.NT_PRSTATUS) && prs == nil:
			regs, err := parsePrstatus(n.desc)
			if err != nil {
				d.corrupt(fmt.Sprintf("note at offset %#x: %v", n.off, err))
				continue
			}
			prs = regs
		}
	}
	if doc != nil {
		d.snap.Meta = doc.Meta
		d.snap.Registers = doc.Registers
		if !strings.HasPrefix(doc.Schema, "faultline.capture/") {
			d.corrupt(fmt.Sprintf("FAULTLINE note has schema %q, want %q", doc.Schema, SchemaV1))
		}
		d.nameRegions(doc.Regions)
	} else {
		d.snap.Meta.Missing = append(d.snap.Meta.Missing,
			"no FAULTLINE note (a core written by another tool, such as gdb's gcore, or the note is lost): no board, trigger, ELF identity, console or timeline")
		d.plain = true
		d.tdesc = tdesc
	}
	// The FAULTLINE note's map is the whole truth when it is there (a
	// serial-only capture has no registers, and NT_PRSTATUS then holds
	// zeros, not values).
	if doc == nil {
		if prs != nil {
			d.snap.Registers = prs
			d.snap.Meta.Missing = append(d.snap.Meta.Missing, plainRegistersMissing(tdesc))
		} else {
			d.snap.Meta.Missing = append(d.snap.Meta.Missing, "no registers in the capture")
		}
	}
}

// nameRegions gives the PT_LOAD regions the names the note records, and
// records regions the note lists that have no program header (a region
// the file ends inside is recorded as a shortLoad).
func (d *decoder) nameRegions(docs []regionDoc) {
	for _, rd := range docs {
		found := false
		if d.names == nil {
			d.names = make(map[uint32]string)
		}
		d.names[rd.Addr] = rd.Name
		for i := range d.regions {
			if d.regions[i].Addr == rd.Addr {
				d.regions[i].Name = rd.Name
				found = true
				break
			}
		}
		if !found && !d.isShort(rd.Addr) {
			d.snap.Meta.Missing = append(d.snap.Meta.Missing,
				fmt.Sprintf("region %q 0x%08x-0x%08x is not in the file", rd.Name, rd.Addr, uint64(rd.Addr)+uint64(rd.Size)))
		}
	}
}

func (d *decoder) isShort(addr uint32) bool {
	for _, sl := range d.short {
		if sl.addr == addr {
			return true
		}
	}
	return false
}

// placeRegions sorts the regions and drops any that overlap an earlier one
// (a foreign or damaged core), so Snapshot's invariant holds.
func (d *decoder) placeRegions() {
	sort.SliceStable(d.regions, func(i, j int) bool { return d.regions[i].Addr < d.regions[j].Addr })
	for _, r := range d.regions {
		if m := len(d.snap.Memory); m > 0 && uint64(r.Addr) < d.snap.Memory[m-1].End() {
			d.corrupt(overlapError(d.snap.Memory[m-1], r).Error() + ": later region dropped")
			continue
		}
		d.snap.Memory = append(d.snap.Memory, r)
	}
}

func (d *decoder) finish() (*Snapshot, error) {
	var errs []error
	for _, sl := range d.short {
		what := "memory"
		if n := d.names[sl.addr]; n != "" {
			what = fmt.Sprintf("region %q", n)
		}
		d.lose(fmt.Sprintf("%s 0x%08x-0x%08x: %d of %d bytes", what, sl.addr, uint64(sl.addr)+sl.want, sl.got, sl.want))
	}
	if len(d.lost) > 0 {
		te := &TruncatedError{Size: d.size, Want: max(d.want, d.size), Lost: d.lost}
		d.snap.Meta.Missing = append(d.snap.Meta.Missing, te.Error())
		errs = append(errs, te)
	}
	if len(d.problems) > 0 {
		ce := &CorruptError{Problems: d.problems}
		d.snap.Meta.Missing = append(d.snap.Meta.Missing, ce.Error())
		errs = append(errs, ce)
	}
	switch len(errs) {
	case 0:
		return d.snap, nil
	case 1:
		return d.snap, errs[0]
	}
	return d.snap, errors.Join(errs...)
}

// patchedReader reads r with its first len(head) bytes replaced by head.
type patchedReader struct {
	r    io.ReaderAt
	head []byte
}

func (p *patchedReader) ReadAt(b []byte, off int64) (int, error) {
	n, err := p.r.ReadAt(b, off)
	if off < int64(len(p.head)) {
		copy(b[:n], p.head[off:])
	}
	return n, err
}
