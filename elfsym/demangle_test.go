package elfsym

import (
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// cxxfilt runs binutils' c++filt on one name; without it the test fails
// (scripts/setup.sh installs it with the toolchain).
func cxxfilt(t *testing.T, name string) string {
	t.Helper()
	tool, err := exec.LookPath("arm-none-eabi-c++filt")
	if err != nil {
		if tool, err = exec.LookPath("c++filt"); err != nil {
			t.Fatal("no c++filt to compare with: run scripts/setup.sh")
		}
	}
	out, err := exec.Command(tool, name).Output()
	if err != nil {
		t.Fatalf("%s %s: %v", tool, name, err)
	}
	return strings.TrimSuffix(string(out), "\n")
}

// rustfiltForm turns c++filt's verbose Rust output into rustfilt's: the
// legacy hash ("::h0123456789abcdef" at the end) and the v0 crate
// disambiguators ("core[3a28be56c897b1]") go.
func rustfiltForm(s string) string {
	s = legacyHash.ReplaceAllString(s, "")
	return crateDisambiguator.ReplaceAllString(s, "")
}

var (
	legacyHash         = regexp.MustCompile(`::h[0-9a-f]{16}$`)
	crateDisambiguator = regexp.MustCompile(`\[[0-9a-f]+\]`)
)

func TestDemangleNameMatchesCxxfilt(t *testing.T) {
	tests := []struct {
		name, raw string
		// Rust names are compared with c++filt's text in rustfilt's form
		// (rustfilt is Rust's own tool; c++filt prints hashes too); C and
		// C++ names with c++filt's text exactly.
		rust bool
	}{
		{"plain C with leading underscores stays", "__cortex_m_rt_SVCall", false},
		{"plain C with one underscore stays", "_start", false},
		{"C name starting with _R but not v0 stays", "_Reset_Handler", false},
		{"C name starting with _Z but not mangled stays", "_Zero_bss", false},
		{"C++ function with parameters", "_ZN3net6Server12poll_clientsEv", false},
		{"C++ static function", "_ZL10fill_tablePhj", false},
		{"C++ template", "_ZN5queueIiE4pushERKi", false},
		{"C++ operator", "_ZN4HashclEPKc", false},
		{"Rust legacy without its hash", "_ZN4core9panicking5panic17h0123456789abcdefE", true},
		{"Rust legacy with llvm suffix", "_ZN4core3fmt5write17h0123456789abcdefE.llvm.1234", true},
		{"Rust legacy with leading underscores", "_ZN13nRF52833_xxAA18__cortex_m_rt_main17h8475c52b7dc76dfbE", true},
		{"Rust legacy impl with escapes", "_ZN59_$LT$core..fmt..Arguments$u20$as$u20$core..fmt..Display$GT$3fmt17h0a1b2c3d4e5f6789E", true},
		{"Rust legacy closure", "_ZN4core3ops8function6FnOnce40call_once$u7b$$u7b$vtable.shim$u7d$$u7d$17h0a1b2c3d4e5f6789E", true},
		{"C++ name with a hash-like last part", "_ZN3foo17h0123456789abcdefEv", false},
		{"Rust v0 path", "_RNvNtCs1cYx8cHbZl_4core9panicking5panic", true},
		{"Rust v0 generic", "_RINvCs1234_7mycrate3fooNtNtCs1cYx8cHbZl_4core3fmt9ArgumentsEB4_", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want := cxxfilt(t, tc.raw)
			if tc.rust {
				want = rustfiltForm(want)
			}
			if got := demangleName(tc.raw); got != want {
				t.Errorf("demangleName(%q) = %q, c++filt says %q", tc.raw, got, want)
			}
		})
	}
}
