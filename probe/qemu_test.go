package probe

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/faultline-dev/faultline/capture"
	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/elfsym/elfsymtest"
	"github.com/faultline-dev/faultline/emu"
)

// labBoard is how a lab program is built and run on one QEMU machine.
type labBoard struct {
	machine string
	cpu     string
	memory  string // the linker script's MEMORY block
}

var (
	an385 = labBoard{"mps2-an385", "cortex-m3", `MEMORY {
	FLASH (rx) : ORIGIN = 0x00000000, LENGTH = 4096K
	RAM (rwx)  : ORIGIN = 0x20000000, LENGTH = 4096K
}
`}
	// mps2-an505 boots Secure from SSRAM1's Secure alias at 0x10000000;
	// code and data share it.
	an505 = labBoard{"mps2-an505", "cortex-m33", `MEMORY {
	FLASH (rx) : ORIGIN = 0x10000000, LENGTH = 1024K
	RAM (rwx)  : ORIGIN = 0x10100000, LENGTH = 3072K
}
`}
)

// labELF builds testdata/lab/lab.c for b with the given -D defines.
func labELF(t *testing.T, b labBoard, defines ...string) string {
	t.Helper()
	src, err := os.ReadFile("testdata/lab/lab.c")
	if err != nil {
		t.Fatal(err)
	}
	ld, err := os.ReadFile("testdata/lab/lab.ld")
	if err != nil {
		t.Fatal(err)
	}
	flags := []string{"-g", "-O1", "-mcpu=" + b.cpu, "-mthumb", "-nostdlib", "-ffreestanding"}
	name := "probe-lab-" + b.machine
	for _, d := range defines {
		flags = append(flags, "-D"+d)
		name += "-" + strings.ToLower(d)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	elf, err := elfsymtest.Build(ctx, elfsymtest.Program{
		Name: name, CC: "arm-none-eabi-gcc", Srcs: map[string][]byte{"lab.c": src},
		Flags: flags, LinkerScript: append([]byte(b.memory), ld...),
	})
	if err != nil {
		t.Fatal(err)
	}
	return elf
}

// crashInQEMU boots elf halted on b, runs a session on it (fault catching
// armed the usual way) and returns the first crash's snapshot.
func crashInQEMU(t *testing.T, b labBoard, elf string, opts TargetOptions) (*Session, *capture.Snapshot) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	q, err := emu.StartQEMU(ctx, emu.QEMUConfig{Machine: b.machine, Kernel: elf, Halted: true, Serials: []string{"null"}})
	if errors.Is(err, emu.ErrNoQEMU) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Stop() })
	img, err := elfsym.Open(elf)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { img.Close() })
	opts.Addr, opts.Image = q.GDBAddr, img
	if opts.Board.Name == "" {
		opts.Board = Board{Name: "generic", Core: "v7-M"}
	}
	sess, err := StartSession(ctx, SessionOptions{Target: &opts})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sess.Close() })
	select {
	case c := <-sess.Crashes():
		if c.Err != nil || c.Snapshot == nil {
			t.Fatalf("capture: %v", c.Err)
		}
		return sess, c.Snapshot
	case <-ctx.Done():
		var tl []string
		for _, e := range sess.Timeline().Events() {
			tl = append(tl, e.Text)
		}
		t.Fatalf("no crash caught; target %s; timeline:\n%s", sess.Status().Target, strings.Join(tl, "\n"))
	}
	return nil, nil
}

func symAddr(t *testing.T, elf, name string) uint64 {
	t.Helper()
	img, err := elfsym.Open(elf)
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	s, ok := img.LookupSymbol(name)
	if !ok {
		t.Fatalf("no %s in %s", name, elf)
	}
	return s.Addr
}

// TestQEMUCatchesThroughARelocatedVectorTable: the firmware copies its
// table to RAM with a different HardFault handler and sets VTOR after
// faultline armed catching: the fault is still caught, in the new handler.
func TestQEMUCatchesThroughARelocatedVectorTable(t *testing.T) {
	t.Parallel()
	elf := labELF(t, an385, "VTOR_RELOC")
	sess, snap := crashInQEMU(t, an385, elf, TargetOptions{})
	want := symAddr(t, elf, "ram_hardfault")
	if pc := snap.Registers["pc"]; uint64(pc) != want {
		t.Errorf("caught at pc 0x%08x, want ram_hardfault 0x%08x", pc, want)
	}
	if tr := snap.Meta.Trigger; tr.Kind != "fault-handler" || !strings.Contains(tr.Detail, "HardFault") {
		t.Errorf("trigger %+v", tr)
	}
	moved := false
	for _, e := range sess.Timeline().Events() {
		moved = moved || strings.Contains(e.Text, "VTOR moved")
	}
	if !moved {
		t.Error("no re-arm on the timeline")
	}
}

// TestQEMUCapturesAStackAtTheTopOfA4MiBRAM: main's stack at 0x203fffxx,
// 4 MiB above .data/.bss, is read as its own region up to _estack, the
// sections as theirs; nothing in between.
func TestQEMUCapturesAStackAtTheTopOfA4MiBRAM(t *testing.T) {
	t.Parallel()
	elf := labELF(t, an385)
	_, snap := crashInQEMU(t, an385, elf, TargetOptions{})
	msp := snap.Registers["msp"]
	if msp < 0x203f0000 || msp >= 0x20400000 {
		t.Fatalf("msp 0x%08x: the program did not run on its high stack", msp)
	}
	r, ok := snap.Region("stack-msp")
	if !ok || uint64(r.Addr) > uint64(msp)-stackBelow || r.End() != 0x20400000 {
		t.Errorf("stack-msp %#x..%#x (found %v), want from below 0x%08x to 0x20400000", r.Addr, r.End(), ok, msp)
	}
	for _, name := range []string{"section .data", "section .bss"} {
		if _, ok := snap.Region(name); !ok {
			t.Errorf("no %q region", name)
		}
	}
	var total int
	for _, r := range snap.Memory {
		total += len(r.Data)
	}
	if total > 64<<10 {
		t.Errorf("captured %d bytes: the gap between .bss and the stack was read", total)
	}
	if len(snap.Meta.Missing) > 0 {
		t.Errorf("missing: %q", snap.Meta.Missing)
	}
}

// TestQEMUv8MStackLimitRegisters: on mps2-an505 (Cortex-M33, Secure) the
// snapshot holds msp, psp, msplim and psplim by those names. QEMU 10's
// target description has them in org.gnu.gdb.arm.m-system (the current
// security state's), and the banked msp_s/msp_ns/... in
// org.gnu.gdb.arm.secext.
func TestQEMUv8MStackLimitRegisters(t *testing.T) {
	t.Parallel()
	elf := labELF(t, an505, "V8M_LIMITS")
	_, snap := crashInQEMU(t, an505, elf, TargetOptions{Board: Board{Name: "mps2-an505", Core: "v8-M"}})
	for name, want := range map[string]uint32{"msplim": 0x10300000, "psplim": 0x10200000} {
		if got, ok := snap.Registers[name]; !ok || got != want {
			t.Errorf("%s = %#x (present %v), want %#x", name, got, ok, want)
		}
	}
	if msp := snap.Registers["msp"]; msp < 0x10300000 || msp >= 0x10400000 {
		t.Errorf("msp = %#x, want on the stack below 0x10400000", msp)
	}
	if snap.Registers["msp_s"] != snap.Registers["msp"] {
		t.Errorf("msp %#x is not the Secure bank's %#x", snap.Registers["msp"], snap.Registers["msp_s"])
	}
	if _, ok := snap.Registers["d0"]; ok {
		t.Error("a 64-bit FP register was kept as a 32-bit one")
	}
}
