package memrange

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in         string
		addr, size uint64
		err        string
	}{
		{"0x10000000:64K", 0x10000000, 64 << 10, ""},
		{"0x20000000:0x400", 0x20000000, 0x400, ""},
		{"536870912:1M", 0x20000000, 1 << 20, ""},
		{"0x24000000:512k", 0x24000000, 512 << 10, ""},
		{" 0x30000000 : 4096 ", 0x30000000, 4096, ""},
		{"0xFFFFF000:4K", 0xFFFFF000, 4096, ""},
		{"0x10000000", 0, 0, "want ADDR:SIZE"},
		{"0x10000000:", 0, 0, "no number"},
		{"zz:64K", 0, 0, "not a number"},
		{"0x10000000:64Q", 0, 0, "not a number"},
		{"0x10000000:0", 0, 0, "size is 0"},
		{"0xFFFFF000:8K", 0, 0, "32-bit address space"},
		{"0x100000000:4", 0, 0, "32-bit address space"},
		{"0x0:5000M", 0, 0, "larger than 4 GiB"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			r, err := Parse(tc.in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("Parse(%q) = %+v, %v; want an error saying %q", tc.in, r, err, tc.err)
				}
				if !strings.Contains(err.Error(), "ADDR:SIZE") && !strings.Contains(err.Error(), "address space") {
					t.Errorf("error %q does not say the expected form", err)
				}
				return
			}
			if err != nil || r.Addr != tc.addr || r.Size != tc.size || r.Name != "mem" {
				t.Fatalf("Parse(%q) = %+v, %v; want mem %#x+%#x", tc.in, r, err, tc.addr, tc.size)
			}
		})
	}
}
