package symbolize

import (
	"fmt"
	"testing"
)

func TestHexAddrPrintsLikePrintf(t *testing.T) {
	for _, a := range []uint64{0, 1, 0x8000a12, 0x0800a12f, 0xffffffff, 0x123456789, 1<<64 - 1} {
		if got, want := hexAddr(a), fmt.Sprintf("0x%08x", a); got != want {
			t.Errorf("hexAddr(%#x) = %q, want %q", a, got, want)
		}
	}
}

func TestRelPathShowsPathsUnderTheFirstDirTheyAreUnder(t *testing.T) {
	tests := []struct {
		file string
		dirs []string
		want string
	}{
		{"/w/fw/src/a.cpp", []string{"/w/fw"}, "src/a.cpp"},
		{"/w/fw/src/a.cpp", []string{"/home/me", "/w/fw"}, "src/a.cpp"}, // the compile dir when not under the working dir
		{"/w/fw/src/a.cpp", []string{"/w", "/w/fw"}, "fw/src/a.cpp"},    // the working dir first
		{"/usr/lib/gcc/x.h", []string{"/w/fw"}, "/usr/lib/gcc/x.h"},     // under none: as recorded
		{"/w/fw2/a.cpp", []string{"/w/fw"}, "/w/fw2/a.cpp"},             // a sibling with the same prefix
		{"src/a.cpp", []string{"/w/fw"}, "src/a.cpp"},                   // relative already
		{"/w/fw/a.cpp", []string{"", "./build", "/w/fw"}, "a.cpp"},      // unusable dirs skipped
		{"/w/fw/..x/a.cpp", []string{"/w/fw"}, "..x/a.cpp"},             // a directory named ..x is under
	}
	for _, tc := range tests {
		if got := RelPath(tc.file, tc.dirs...); got != tc.want {
			t.Errorf("RelPath(%q, %q) = %q, want %q", tc.file, tc.dirs, got, tc.want)
		}
	}
}
