package fault

import "testing"

// Every register Set records reads back under its report name, into its
// own field: no two registers share a field and none is dropped.
func TestSetRegistersReadBackEachInItsField(t *testing.T) {
	var f FaultRegs
	want := map[string]uint32{}
	for i, r := range faultRegNames {
		v := 0x11110000 + uint32(i)
		f.Set(r.addr, v)
		want[r.name] = v
	}
	got := f.Registers()
	if len(got) != len(faultRegNames) {
		t.Fatalf("Registers() has %d entries, want %d: %v", len(got), len(faultRegNames), got)
	}
	for name, v := range want {
		if got[name] != v {
			t.Errorf("%s = %#x, want %#x", name, got[name], v)
		}
	}
	if uint32(f.CFSR) != want["cfsr"] || uint32(f.BFAR) != want["bfar"] || f.VTOR != want["vtor"] {
		t.Errorf("fields: CFSR %#x BFAR %#x VTOR %#x, want %#x %#x %#x", f.CFSR, f.BFAR, f.VTOR, want["cfsr"], want["bfar"], want["vtor"])
	}
}
