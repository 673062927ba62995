package elfsym

import (
	"debug/dwarf"
	"slices"
)

// CompDirs returns the directories the ELF's compilation units were
// compiled in (DW_AT_comp_dir), each once, in unit order; nil without
// DWARF. Source paths under one of them can be shown relative to it.
// Linear in the number of units: it reads only each unit's first entry.
func (im *Image) CompDirs() []string {
	d := im.dwarfData()
	if d == nil {
		return nil
	}
	var dirs []string
	r := d.Reader()
	for {
		e, err := r.Next()
		if err != nil || e == nil {
			return dirs
		}
		if e.Tag == dwarf.TagCompileUnit || e.Tag == dwarf.TagPartialUnit {
			if dir, ok := e.Val(dwarf.AttrCompDir).(string); ok && dir != "" && !slices.Contains(dirs, dir) {
				dirs = append(dirs, dir)
			}
		}
		r.SkipChildren()
	}
}
