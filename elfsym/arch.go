package elfsym

import (
	"debug/elf"
	"encoding/binary"
)

// Build attribute tags of the "aeabi" subsection (ARM IHI 0045).
const (
	tagFile            = 1
	tagCPURawName      = 4
	tagCPUName         = 5
	tagCPUArch         = 6
	tagCPUArchProfile  = 7
	tagCompatibility   = 32
	tagAlsoCompatible  = 65
	tagConformance     = 67
	maxAttributesBytes = 1 << 16
)

// cpuArchName gives the name CPUArch returns for a Tag_CPU_arch; v7 (10)
// needs the profile as well. A switch, not a map: a map literal is built
// by package init, in every command's start.
func cpuArchName(arch uint64) string {
	switch arch {
	case 11, 12: // 12 is v6S-M: v6-M with the SVC instruction (the OS extension)
		return "v6-M"
	case 13:
		return "v7E-M"
	case 16:
		return "v8-M.base"
	case 17:
		return "v8-M.main"
	case 21:
		return "v8.1-M.main"
	}
	return ""
}

// loadArch reads Tag_CPU_arch and Tag_CPU_arch_profile from the file-wide
// attributes of .ARM.attributes. A missing or damaged section leaves the
// architecture unknown: callers fall back to CPUID.
func (im *Image) loadArch(f *elf.File) {
	sec := f.Section(".ARM.attributes")
	if sec == nil || sec.Size > maxAttributesBytes {
		return
	}
	data, err := sec.Data()
	if err != nil {
		return
	}
	arch, profile, ok := parseAttributes(data)
	if !ok {
		return
	}
	name := cpuArchName(arch)
	if arch == 10 && profile == 'M' {
		name = "v7-M"
	}
	im.arch = name
}

// parseAttributes walks the build attributes section: a format byte 'A',
// then vendor subsections (length, name, then tagged sub-subsections).
func parseAttributes(data []byte) (arch, profile uint64, ok bool) {
	if len(data) < 1 || data[0] != 'A' {
		return 0, 0, false
	}
	data = data[1:]
	for len(data) >= 4 {
		n := binary.LittleEndian.Uint32(data)
		if n < 4 || uint64(n) > uint64(len(data)) {
			return 0, 0, false
		}
		sub := data[4:n]
		data = data[n:]
		vendor := &cfiReader{b: sub}
		if vendor.cstring() != "aeabi" || vendor.err != nil {
			continue
		}
		for rest := sub[vendor.pos:]; len(rest) >= 5; {
			tag := rest[0]
			size := binary.LittleEndian.Uint32(rest[1:])
			if size < 5 || uint64(size) > uint64(len(rest)) {
				return 0, 0, false
			}
			if tag == tagFile {
				arch, profile, ok = fileAttributes(rest[5:size])
				if ok {
					return arch, profile, true
				}
			}
			rest = rest[size:]
		}
	}
	return 0, 0, false
}

// fileAttributes reads the tag/value pairs of a Tag_File sub-subsection:
// values are ULEB128 except for the few string tags (odd tags above 32
// are strings too).
func fileAttributes(b []byte) (arch, profile uint64, ok bool) {
	r := &cfiReader{b: b}
	for r.pos < len(r.b) && r.err == nil {
		tag := r.uleb()
		switch {
		case tag == tagCPURawName || tag == tagCPUName || tag == tagAlsoCompatible || tag == tagConformance:
			r.cstring()
		case tag == tagCompatibility:
			r.uleb()
			r.cstring()
		case tag > 32 && tag%2 == 1:
			r.cstring()
		default:
			v := r.uleb()
			switch tag {
			case tagCPUArch:
				arch, ok = v, r.err == nil
			case tagCPUArchProfile:
				profile = v
			}
		}
	}
	return arch, profile, ok
}

// CPUArch returns the architecture the ELF was built for, from the
// Tag_CPU_arch build attribute: "v6-M", "v7-M", "v7E-M", "v8-M.base",
// "v8-M.main", "v8.1-M.main", or "" when the attribute is missing or names
// something else (an A or R profile).
func (im *Image) CPUArch() string { return im.arch }
