package capture

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestReadMemory(t *testing.T) {
	s := &Snapshot{Memory: []Region{
		{Addr: 0x100, Data: []byte{1, 2, 3, 4}, Name: "a"},
		{Addr: 0x104, Data: []byte{5, 6}, Name: "b"}, // adjacent, other name
		{Addr: 0x200, Data: []byte{9, 9}, Name: "c"},
	}}
	tests := []struct {
		name      string
		addr      uint64
		n         int
		want      []byte
		wantErr   bool
		missingAt uint64
	}{
		{"inside one region", 0x101, 2, []byte{2, 3}, false, 0},
		{"across adjacent regions", 0x102, 4, []byte{3, 4, 5, 6}, false, 0},
		{"runs off the end", 0x104, 4, []byte{5, 6}, true, 0x106},
		{"starts in a gap", 0x1ff, 2, []byte{}, true, 0x1ff},
		{"before everything", 0x0, 1, []byte{}, true, 0x0},
		{"after everything", 0x202, 1, []byte{}, true, 0x202},
		{"above 32 bits", 1 << 40, 4, []byte{}, true, 1 << 40},
		{"empty buffer", 0x5000, 0, []byte{}, false, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			buf := make([]byte, tc.n)
			n, err := s.ReadMemory(buf, tc.addr)
			if diff := cmp.Diff(tc.want, buf[:n]); diff != "" {
				t.Errorf("bytes (-want +got):\n%s", diff)
			}
			var nc *NotCapturedError
			switch {
			case !tc.wantErr && err != nil:
				t.Errorf("err = %v", err)
			case tc.wantErr && (!errors.As(err, &nc) || nc.Addr != tc.missingAt):
				t.Errorf("err = %v, want not captured at %#x", err, tc.missingAt)
			}
		})
	}
}

func TestAddRegion(t *testing.T) {
	tests := []struct {
		name    string
		add     []Region
		want    []Region
		wantErr string
	}{
		{"sorts", []Region{{0x300, []byte{3}, "c"}, {0x100, []byte{1}, "a"}, {0x200, []byte{2}, "b"}},
			[]Region{{0x100, []byte{1}, "a"}, {0x200, []byte{2}, "b"}, {0x300, []byte{3}, "c"}}, ""},
		{"merges chunks in order", []Region{{0x100, []byte{1, 2}, "ram"}, {0x102, []byte{3}, "ram"}},
			[]Region{{0x100, []byte{1, 2, 3}, "ram"}}, ""},
		{"merges a chunk before", []Region{{0x102, []byte{3}, "ram"}, {0x100, []byte{1, 2}, "ram"}},
			[]Region{{0x100, []byte{1, 2, 3}, "ram"}}, ""},
		{"fills a hole between two", []Region{{0x100, []byte{1}, "ram"}, {0x102, []byte{3}, "ram"}, {0x101, []byte{2}, "ram"}},
			[]Region{{0x100, []byte{1, 2, 3}, "ram"}}, ""},
		{"keeps other names apart", []Region{{0x100, []byte{1}, "ram"}, {0x101, []byte{2}, "stack"}},
			[]Region{{0x100, []byte{1}, "ram"}, {0x101, []byte{2}, "stack"}}, ""},
		{"ignores empty", []Region{{0x100, nil, "ram"}}, nil, ""},
		{"overlap after", []Region{{0x100, []byte{1, 2}, "ram"}, {0x101, []byte{9}, "scb"}}, nil,
			`region "ram" 0x00000100-0x00000102 overlaps region "scb" 0x00000101-0x00000102`},
		{"overlap before", []Region{{0x101, []byte{1, 2}, "ram"}, {0x100, []byte{9, 9}, "scb"}}, nil,
			`region "scb" 0x00000100-0x00000102 overlaps region "ram" 0x00000101-0x00000103`},
		{"past 4 GiB", []Region{{0xffffffff, []byte{1, 2}, "x"}}, nil, "32-bit"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var s Snapshot
			var err error
			for _, r := range tc.add {
				if err = s.AddRegion(r); err != nil {
					break
				}
			}
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, s.Memory); diff != "" {
				t.Errorf("Memory (-want +got):\n%s", diff)
			}
			if err := s.Validate(); err != nil {
				t.Errorf("AddRegion left an invalid snapshot: %v", err)
			}
		})
	}
}

func TestRegionByName(t *testing.T) {
	s := fullSnapshot()
	r, ok := s.Region("scb")
	if !ok || r.Addr != 0xE000ED00 {
		t.Errorf("Region(scb) = %v, %v", r.Addr, ok)
	}
	if _, ok := s.Region("nope"); ok {
		t.Error("Region(nope) found something")
	}
}

func TestRegisterByAnyName(t *testing.T) {
	s := &Snapshot{Registers: map[string]uint32{"r13": 0x20001000, "lr": 0x0800_0101, "cpsr": 0x01000000, "msp": 7}}
	tests := []struct {
		name string
		want uint32
		ok   bool
	}{
		{"sp", 0x20001000, true}, {"SP", 0x20001000, true}, {"r13", 0x20001000, true},
		{"r14", 0x08000101, true}, {"xpsr", 0x01000000, true}, {"MSP", 7, true},
		{"pc", 0, false}, {"psp", 0, false},
	}
	for _, tc := range tests {
		if v, ok := s.Register(tc.name); v != tc.want || ok != tc.ok {
			t.Errorf("Register(%q) = %#x, %v; want %#x, %v", tc.name, v, ok, tc.want, tc.ok)
		}
	}
}
