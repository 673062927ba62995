package fault

// RegionName names an address by the ARMv7-M default memory map.
func RegionName(v uint32) string {
	switch {
	case v < 0x20000000:
		return "code region"
	case v < 0x40000000:
		return "SRAM region"
	case v < 0x60000000:
		return "peripheral region"
	case v < 0xA0000000:
		return "external RAM region"
	case v < 0xE0000000:
		return "device region"
	default:
		return "system region"
	}
}

// NeverExecutable reports addresses the default memory map marks
// execute-never, so they are not code even without an ELF to ask.
func NeverExecutable(v uint32) bool {
	return (v >= 0x40000000 && v < 0x60000000) || v >= 0xA0000000
}
