package faultdecode

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/faultline-dev/faultline/elfsym/elfsymtest"
)

// A testProgram is a small firmware for QEMU's netduino2 built from
// testdata with arm-none-eabi-gcc (elfsymtest.Build caches it outside the
// tree by a hash of the sources and flags).
type testProgram struct {
	name  string
	units map[string][]string // source under testdata -> its own compile flags
	ld    string              // linker script under testdata
	flags []string            // every compile and the link
	libs  []string
}

// build returns the program's ELF, building it if no cached copy exists.
func (p testProgram) build(t testing.TB) string {
	t.Helper()
	needTool(t, "arm-none-eabi-gcc")
	read := func(f string) []byte {
		b, err := os.ReadFile(filepath.Join("testdata", f))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	prog := elfsymtest.Program{Name: p.name, CC: "arm-none-eabi-gcc", Flags: p.flags, Libs: p.libs,
		Srcs: map[string][]byte{}, UnitFlags: map[string][]string{}, LinkerScript: read(p.ld)}
	for src, flags := range p.units {
		prog.Srcs[filepath.Base(src)] = read(src)
		prog.UnitFlags[filepath.Base(src)] = flags
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	out, err := elfsymtest.Build(ctx, prog)
	if err != nil {
		t.Fatalf("build test program %s: %v", p.name, err)
	}
	return out
}
