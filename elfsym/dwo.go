package elfsym

import (
	"bytes"
	"debug/dwarf"
	"debug/elf"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
)

// Split DWARF (gcc/clang -gsplit-dwarf, DWARF 5): a skeleton unit in the
// ELF keeps the line program and the address table; the unit's DIEs (its
// functions and inlined calls) are in the .dwo file DW_AT_dwo_name names,
// next to the objects it was built from. gdb reads them from there; so do
// the units built here (buildUnit), each from its own .dwo.

// errNoDwo says a skeleton's .dwo file is not where it says.
var errNoDwo = errors.New(".dwo file not found")

// dwoPath finds the .dwo file of skeleton unit e: DW_AT_dwo_name as is,
// under DW_AT_comp_dir, or beside the ELF (elfPath, "" if unknown).
func dwoPath(e *dwarf.Entry, elfPath string) (string, error) {
	name, _ := e.Val(dwarf.AttrDwoName).(string)
	if name == "" {
		return "", errNoDwo
	}
	var try []string
	if filepath.IsAbs(name) {
		try = append(try, name)
	} else if dir, _ := e.Val(dwarf.AttrCompDir).(string); dir != "" {
		try = append(try, filepath.Join(dir, name))
	}
	if elfPath != "" {
		try = append(try, filepath.Join(filepath.Dir(elfPath), filepath.Base(name)))
	}
	for _, p := range try {
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p, nil
		}
	}
	return "", fmt.Errorf("%w: %s", errNoDwo, name)
}

// dwoData makes a dwarf.Data of the split unit in skeleton unit u's .dwo
// file (e: u's skeleton DIE). debug/dwarf resolves a split unit's indexed
// forms from bases it does not have (DW_AT_addr_base is the skeleton's,
// the string offsets and range lists bases are implied), so each section
// is given from where its base points: the ELF's .debug_addr from the
// skeleton's base, the .dwo's offset tables after their headers.
func (lz *lazyDWARF) dwoData(u *lazyUnit, e *dwarf.Entry) (d *dwarf.Data, infoSize int, err error) {
	elfPath := ""
	if lz.file != nil {
		elfPath = lz.file.Name()
	}
	path, err := dwoPath(e, elfPath)
	if err != nil {
		return nil, 0, err
	}
	f, err := elf.Open(path)
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w", path, err)
	}
	defer f.Close()
	sec := func(name string) ([]byte, error) {
		s := f.Section(name)
		if s == nil || s.Type == elf.SHT_NOBITS {
			return nil, nil
		}
		if s.Size > maxInflated {
			return nil, fmt.Errorf("%s: %s claims %d bytes", path, name, s.Size)
		}
		return s.Data()
	}
	var info, abbrev, str, offs, rngs []byte
	for _, x := range []struct {
		name string
		dst  *[]byte
	}{{".debug_info.dwo", &info}, {".debug_abbrev.dwo", &abbrev}, {".debug_str.dwo", &str},
		{".debug_str_offsets.dwo", &offs}, {".debug_rnglists.dwo", &rngs}} {
		if *x.dst, err = sec(x.name); err != nil {
			return nil, 0, err
		}
	}
	// The split unit must be the skeleton's: same DWO id (a stale .dwo
	// describes other code).
	if len(info) < 20 || len(u.bytes) < 20 || !bytes.Equal(info[12:20], u.bytes[12:20]) {
		return nil, 0, fmt.Errorf("%s: not the split unit of this skeleton (DWO id)", path)
	}
	d, err = dwarf.New(abbrev, nil, nil, info, nil, nil, nil, str)
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w", path, err)
	}
	add := func(name string, b []byte, header int) error {
		if len(b) < header {
			return nil
		}
		return d.AddSection(name, b[header:])
	}
	addrBase, _ := e.Val(dwarf.AttrAddrBase).(int64)
	addr := lz.secs.extra[".debug_addr"]
	if addrBase < 0 || uint64(addrBase) > uint64(len(addr)) {
		return nil, 0, fmt.Errorf("%s: DW_AT_addr_base %d past .debug_addr", path, addrBase)
	}
	for _, err := range []error{
		add(".debug_addr", addr, int(addrBase)),
		add(".debug_str_offsets", offs, 8), // unit length, version, padding
		add(".debug_rnglists", rngs, 12),   // unit length, version, sizes, offset count
		add(".debug_line_str", lz.secs.extra[".debug_line_str"], 0),
	} {
		if err != nil {
			return nil, 0, fmt.Errorf("%s: %w", path, err)
		}
	}
	return d, len(info), nil
}

// missingDwo counts the skeleton units whose .dwo file is not found (of
// how many), naming the first; their functions are then missing.
func (lz *lazyDWARF) missingDwo() (missing, total int, first string) {
	elfPath := ""
	if lz.file != nil {
		elfPath = lz.file.Name()
	}
	for i := range lz.units {
		u := &lz.units[i]
		if !u.skel {
			continue
		}
		total++
		d, err := lz.unitData(u)
		if err != nil {
			missing++
			continue
		}
		e, err := d.Reader().Next()
		if err != nil || e == nil {
			missing++
			continue
		}
		if _, err := dwoPath(e, elfPath); err != nil {
			if missing == 0 {
				first, _ = e.Val(dwarf.AttrDwoName).(string)
			}
			missing++
		}
	}
	return missing, total, first
}

// splitDWARFWarning says which .dwo files a split-DWARF firmware lacks.
func splitDWARFWarning(missing, total int, first string) string {
	return fmt.Sprintf("split DWARF (-gsplit-dwarf): %d of %d .dwo files not found (first: %s): their functions and inlined calls are missing, file:line from the line program, names from the symbol table", missing, total, first)
}

// walkDwoDIEs walks the DIEs of every split unit whose .dwo file is found,
// as walkDIEs walks .debug_info, for walks that key DIEs by offset (call
// sites): each file's offsets, and the references to them, are moved past
// the ELF's .debug_info and the files before it, and its unit
// DIE is given the skeleton's DW_AT_addr_base, which DW_OP_addrx in its
// expressions counts from.
func (im *Image) walkDwoDIEs(enter func(e *dwarf.Entry), leave func()) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf(".dwo: parser failed: %v", p)
		}
	}()
	lz := im.lazy
	if lz == nil {
		if im.dw.f == nil {
			return nil
		}
		osf, _ := im.r.(*os.File)
		if lz = newLazyDWARF(im.dw.f, osf, im.size); lz == nil {
			return nil
		}
	}
	next := dwarf.Offset(lz.info.Size) // where the next file's offsets start
	for i := range lz.units {
		u := &lz.units[i]
		if !u.skel {
			continue
		}
		d, err := lz.unitData(u)
		if err != nil {
			continue
		}
		skel, err := d.Reader().Next()
		if err != nil || skel == nil {
			continue
		}
		dd, size, err := lz.dwoData(u, skel)
		if err != nil {
			continue // said at open
		}
		if uint64(next)+uint64(size) > math.MaxUint32 {
			return fmt.Errorf(".dwo: more DWARF than 32-bit offsets hold")
		}
		bias := next
		next += dwarf.Offset(size)
		addrBase, _ := skel.Val(dwarf.AttrAddrBase).(int64)
		r := dd.Reader()
		for budget := 1 << 30; ; budget-- {
			if budget < 0 {
				return fmt.Errorf(".dwo: walk did not advance")
			}
			e, err := r.Next()
			if err != nil {
				return fmt.Errorf(".dwo: %w", err)
			}
			if e == nil {
				break
			}
			if e.Tag == 0 {
				leave()
				continue
			}
			e.Offset += bias
			for j := range e.Field {
				if o, ok := e.Field[j].Val.(dwarf.Offset); ok && e.Field[j].Class == dwarf.ClassReference {
					e.Field[j].Val = o + bias
				}
			}
			if e.Tag == dwarf.TagCompileUnit {
				e.Field = append(e.Field, dwarf.Field{Attr: dwarf.AttrAddrBase, Val: addrBase, Class: dwarf.ClassAddrPtr})
			}
			enter(e)
		}
	}
	return nil
}
