// Package importtest holds the checks the tests of the dump importers
// (capture/crashcatcher, capture/probers, capture/zephyrdump) share: the
// contract every importer's Decode keeps, whatever its format.
package importtest

import (
	"errors"
	"strings"
	"testing"

	"github.com/faultline-dev/faultline/capture"
	"github.com/faultline-dev/faultline/faultdecode"
)

// CheckDecoded fails t when what an importer returned for arbitrary input
// breaks the contract: a nil Snapshot without an error, a Snapshot that
// does not validate, or one the analysis cannot explain without
// panicking. Fuzz targets call it on every input.
func CheckDecoded(t testing.TB, snap *capture.Snapshot, err error) {
	t.Helper()
	if snap == nil && err == nil {
		t.Fatal("nil snapshot without an error")
	}
	if snap != nil {
		if verr := snap.Validate(); verr != nil {
			t.Fatalf("decoded snapshot invalid: %v", verr)
		}
		// Whatever an importer lets through, the analysis explains
		// without panicking.
		faultdecode.Analyze(snap, nil)
	}
}

// WantRefused fails t unless the importer refused data that is not its
// format: no Snapshot and an error of type E (the importer's FormatError)
// saying want.
func WantRefused[E error](t testing.TB, snap *capture.Snapshot, err error, want string) {
	t.Helper()
	var fe E
	if snap != nil || !errors.As(err, &fe) || !strings.Contains(err.Error(), want) {
		t.Fatalf("got %v, %v; want a FormatError saying %q", snap, err, want)
	}
}

// WantDamaged fails t unless the importer read a damaged dump in part: a
// Snapshot, an error of type E (the importer's DamagedError) saying want,
// and the damage also in the Snapshot's Meta.Missing.
func WantDamaged[E error](t testing.TB, snap *capture.Snapshot, err error, want string) {
	t.Helper()
	var de E
	if snap == nil || !errors.As(err, &de) || !strings.Contains(err.Error(), want) {
		t.Fatalf("got %v, %v; want a partial snapshot and a DamagedError saying %q", snap, err, want)
	}
	if !strings.Contains(strings.Join(snap.Meta.Missing, ";"), "damaged") {
		t.Errorf("Missing %v does not carry the damage", snap.Meta.Missing)
	}
}

// WantSameRead fails t unless the binary dump and the console text it was
// printed as read the same: the same registers with the same values and as
// many memory regions.
func WantSameRead(t testing.TB, fromBin, fromText *capture.Snapshot) {
	t.Helper()
	if len(fromBin.Memory) != len(fromText.Memory) || len(fromBin.Registers) != len(fromText.Registers) {
		t.Fatalf("binary: %d regions %d registers; text: %d, %d", len(fromBin.Memory), len(fromBin.Registers), len(fromText.Memory), len(fromText.Registers))
	}
	for n, v := range fromText.Registers {
		if fromBin.Registers[n] != v {
			t.Errorf("%s: binary %#x, text %#x", n, fromBin.Registers[n], v)
		}
	}
}
