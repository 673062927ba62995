// Package memrange holds a range of target addresses and parses the
// ADDR:SIZE form of --mem and of faultline.toml's mem key. It is apart from
// probe so that reading the config file does not link the whole probe (GDB
// remote, serial ports, captures) into every program that reads it.
package memrange

import (
	"fmt"
	"strconv"
	"strings"
)

// Syntax is the form Parse accepts, for usage messages.
const Syntax = "ADDR:SIZE (hex or decimal, SIZE may end in K or M: 0x10000000:64K)"

// A Range is a range of target addresses.
type Range struct {
	Name string
	Addr uint64
	Size uint64
}

// End is the first address past the range.
func (r Range) End() uint64 { return r.Addr + r.Size }

// Parse parses a --mem value "ADDR:SIZE". ADDR and SIZE are hex
// (0x...) or decimal; SIZE may end in K or M (KiB, MiB). The range must be
// non-empty and inside the 32-bit address space. The range is named "mem".
func Parse(s string) (Range, error) {
	a, sz, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok {
		return Range{}, fmt.Errorf("%q: want %s", s, Syntax)
	}
	addr, err := strconv.ParseUint(strings.TrimSpace(a), 0, 64)
	if err != nil {
		return Range{}, fmt.Errorf("%q: address %q is not a number: want %s", s, a, Syntax)
	}
	size, err := parseSize(strings.TrimSpace(sz))
	if err != nil {
		return Range{}, fmt.Errorf("%q: size %q: %v: want %s", s, sz, err, Syntax)
	}
	if size == 0 {
		return Range{}, fmt.Errorf("%q: size is 0: want %s", s, Syntax)
	}
	if addr > 1<<32-1 || size > 1<<32-addr {
		return Range{}, fmt.Errorf("%q: range 0x%x+0x%x leaves the 32-bit address space", s, addr, size)
	}
	return Range{Name: "mem", Addr: addr, Size: size}, nil
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

// String gives the range in Parse's form.
func (r Range) String() string { return fmt.Sprintf("0x%08x:0x%x", r.Addr, r.Size) }
