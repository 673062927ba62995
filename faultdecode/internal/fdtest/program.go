package fdtest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/faultline-dev/faultline/elfsym/elfsymtest"
)

// A Program is a small firmware for QEMU's netduino2 built from the
// sources in Dir with arm-none-eabi-gcc (elfsymtest.Build caches it outside the
// tree by a hash of the sources and flags).
type Program struct {
	Dir   string // the testdata directory holding the sources; "testdata" when empty
	Name  string
	Units map[string][]string // source under Dir -> its own compile flags
	LD    string              // linker script under Dir
	Flags []string            // every compile and the link
	Libs  []string
}

// Build returns the program's ELF, building it if no cached copy exists.
func (p Program) Build(t testing.TB) string {
	t.Helper()
	NeedTool(t, "arm-none-eabi-gcc")
	dir := p.Dir
	if dir == "" {
		dir = "testdata"
	}
	read := func(f string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	prog := elfsymtest.Program{Name: p.Name, CC: "arm-none-eabi-gcc", Flags: p.Flags, Libs: p.Libs,
		Srcs: map[string][]byte{}, UnitFlags: map[string][]string{}, LinkerScript: read(p.LD)}
	for src, flags := range p.Units {
		prog.Srcs[filepath.Base(src)] = read(src)
		prog.UnitFlags[filepath.Base(src)] = flags
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	out, err := elfsymtest.Build(ctx, prog)
	if err != nil {
		t.Fatalf("build test program %s: %v", p.Name, err)
	}
	return out
}

// NeedTool is the path of a tool the test needs; the test fails without it.
func NeedTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s not found: run scripts/setup.sh (CI has the ARM toolchain, QEMU and gdb-multiarch)", name)
	}
	return p
}

// UnwindCFlags are the compile flags of the unwinder's test firmware.
var UnwindCFlags = []string{"-mcpu=cortex-m3", "-mthumb", "-O0", "-ffreestanding", "-nostdlib", "-fno-common"}

// UnwindELF builds (cached across runs) the unwinder's test firmware from
// faultdecode's testdata, found at dir from the calling test's package.
func UnwindELF(t testing.TB, dir string) string {
	t.Helper()
	return Program{
		Dir:   dir,
		Name:  "unwind",
		Units: map[string][]string{"startup.c": {"-g"}, "unwind/chain.c": {"-g"}, "unwind/nocfi.c": {"-g0"}},
		LD:    "unwind/link.ld",
		Flags: UnwindCFlags,
		Libs:  []string{"-lgcc"},
	}.Build(t)
}
