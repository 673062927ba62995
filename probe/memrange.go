package probe

import (
	"fmt"
	"strconv"
	"strings"
)

// MemRangeSyntax is the form ParseMemRange accepts, for usage messages.
const MemRangeSyntax = "ADDR:SIZE (hex or decimal, SIZE may end in K or M: 0x10000000:64K)"

// ParseMemRange parses a --mem value "ADDR:SIZE". ADDR and SIZE are hex
// (0x...) or decimal; SIZE may end in K or M (KiB, MiB). The range must be
// non-empty and inside the 32-bit address space. The range is named "mem".
func ParseMemRange(s string) (MemRange, error) {
	a, sz, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok {
		return MemRange{}, fmt.Errorf("%q: want %s", s, MemRangeSyntax)
	}
	addr, err := strconv.ParseUint(strings.TrimSpace(a), 0, 64)
	if err != nil {
		return MemRange{}, fmt.Errorf("%q: address %q is not a number: want %s", s, a, MemRangeSyntax)
	}
	size, err := parseSize(strings.TrimSpace(sz))
	if err != nil {
		return MemRange{}, fmt.Errorf("%q: size %q: %v: want %s", s, sz, err, MemRangeSyntax)
	}
	if size == 0 {
		return MemRange{}, fmt.Errorf("%q: size is 0: want %s", s, MemRangeSyntax)
	}
	if addr > 1<<32-1 || size > 1<<32-addr {
		return MemRange{}, fmt.Errorf("%q: range 0x%x+0x%x leaves the 32-bit address space", s, addr, size)
	}
	return MemRange{Name: "mem", Addr: addr, Size: size}, nil
}

// parseSize reads "4096", "0x1000", "64K", "1M" (K = 1024).
func parseSize(s string) (uint64, error) {
	mult := uint64(1)
	switch {
	case strings.HasSuffix(s, "K"), strings.HasSuffix(s, "k"):
		mult, s = 1<<10, s[:len(s)-1]
	case strings.HasSuffix(s, "M"), strings.HasSuffix(s, "m"):
		mult, s = 1<<20, s[:len(s)-1]
	}
	if s == "" {
		return 0, fmt.Errorf("no number")
	}
	n, err := strconv.ParseUint(s, 0, 64)
	if err != nil {
		return 0, fmt.Errorf("not a number")
	}
	if n > (1<<32)/mult {
		return 0, fmt.Errorf("larger than 4 GiB")
	}
	return n * mult, nil
}

// String gives the range in ParseMemRange's form.
func (r MemRange) String() string { return fmt.Sprintf("0x%08x:0x%x", r.Addr, r.Size) }
