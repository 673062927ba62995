package crashlab

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/faultline-dev/faultline/emu"
)

// cfsrBits maps the CFSR cause bits to their ARM names (FACTS.md section 1).
var cfsrBits = []struct {
	bit  uint
	name string
}{
	{0, "IACCVIOL"}, {1, "DACCVIOL"}, {3, "MUNSTKERR"}, {4, "MSTKERR"}, {5, "MLSPERR"},
	{8, "IBUSERR"}, {9, "PRECISERR"}, {10, "IMPRECISERR"}, {11, "UNSTKERR"}, {12, "STKERR"}, {13, "LSPERR"},
	{16, "UNDEFINSTR"}, {17, "INVSTATE"}, {18, "INVPC"}, {19, "NOCP"}, {24, "UNALIGNED"}, {25, "DIVBYZERO"},
}

var (
	stopLine  = regexp.MustCompile(`(?m)^Breakpoint \d+(?:\.\d+)?, (\w+) \(`)
	regsLine  = regexp.MustCompile(`CFSR=([0-9a-f]{8}) HFSR=([0-9a-f]{8}) MMFAR=([0-9a-f]{8}) BFAR=([0-9a-f]{8})`)
	frameLine = regexp.MustCompile(`(?m)^#(\d+)\s+(?:0x[0-9a-f]+ in )?(\S+) \(`)
)

// gdbName is how gdb's bt prints a function: without the parameter list.
func gdbName(name string) string {
	if i := strings.IndexByte(name, '('); i > 0 {
		return name[:i]
	}
	return name
}

// TestExpectedMatchesQEMUUnderGDB boots every program halted, lets stock
// gdb-multiarch stop it in a fault handler, and checks expected.json against
// what gdb reads: the handler, CFSR/HFSR/MMFAR/BFAR, the backtrace and the
// console. It keeps expected.json honest without using faultline's own code.
func TestExpectedMatchesQEMUUnderGDB(t *testing.T) {
	for _, tool := range []string{"qemu-system-arm", "gdb-multiarch"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not found on PATH: run scripts/setup.sh", tool)
		}
	}
	exp, err := Expected()
	if err != nil {
		t.Fatal(err)
	}
	sem := make(chan struct{}, 4)
	for _, prog := range Programs() {
		for _, board := range Boards() {
			e, ok := exp[prog][board]
			if !ok {
				continue // TestExpectedCoversEveryProgramOnEveryBoard reports it
			}
			t.Run(prog+"/"+board, func(t *testing.T) {
				t.Parallel()
				sem <- struct{}{}
				defer func() { <-sem }()
				verifyUnderGDB(t, board, prog, e)
			})
		}
	}
}

func verifyUnderGDB(t *testing.T, board, prog string, e Expectation) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	elf, err := ELF(ctx, board, prog)
	if err != nil {
		t.Fatal(err)
	}
	console := filepath.Join(t.TempDir(), "console.txt")
	q, err := emu.StartQEMU(ctx, emu.QEMUConfig{Machine: board, Kernel: elf, Halted: true, Serials: []string{"file:" + console}})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Stop()

	if !e.Faults() {
		// No fault to stop at: let it run and only check the console.
		out, err := exec.CommandContext(ctx, "gdb-multiarch", "-q", "-nx", "-batch", elf,
			"-ex", "target remote "+q.GDBAddr, "-ex", "detach").CombinedOutput()
		if err != nil {
			t.Fatalf("gdb: %v\n%s", err, out)
		}
		checkConsole(t, console, e.Console)
		return
	}
	args := []string{"-q", "-nx", "-batch", elf, "-ex", "set pagination off", "-ex", "target remote " + q.GDBAddr}
	for _, h := range []string{"HardFault_Handler", "MemManage_Handler", "BusFault_Handler", "UsageFault_Handler", "NMI_Handler"} {
		args = append(args, "-ex", "break "+h)
	}
	args = append(args, "-ex", "continue",
		"-ex", `printf "CFSR=%08x HFSR=%08x MMFAR=%08x BFAR=%08x\n", *(unsigned*)0xE000ED28, *(unsigned*)0xE000ED2C, *(unsigned*)0xE000ED34, *(unsigned*)0xE000ED38`,
		"-ex", "bt")
	cmd := exec.CommandContext(ctx, "gdb-multiarch", args...)
	outb, err := cmd.CombinedOutput()
	out := string(outb)
	if err != nil {
		t.Fatalf("gdb: %v\n%s", err, out)
	}
	m := stopLine.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("gdb did not stop in a fault handler:\n%s", out)
	}
	if m[1] != e.Handler {
		t.Errorf("stopped in %s, expected.json says %s", m[1], e.Handler)
	}
	if got := strings.TrimSuffix(m[1], "_Handler"); got != e.Exception {
		t.Errorf("exception %s, expected.json says %s", got, e.Exception)
	}
	r := regsLine.FindStringSubmatch(out)
	if r == nil {
		t.Fatalf("no fault registers in gdb output:\n%s", out)
	}
	reg := func(i int) uint32 { v, _ := strconv.ParseUint(r[i], 16, 32); return uint32(v) }
	cfsr, hfsr, mmfar, bfar := reg(1), reg(2), reg(3), reg(4)
	var causes []string
	for _, b := range cfsrBits {
		if cfsr&(1<<b.bit) != 0 {
			causes = append(causes, b.name)
		}
	}
	want := slices.Clone(e.Causes)
	slices.Sort(want)
	slices.Sort(causes)
	if !slices.Equal(causes, want) {
		t.Errorf("CFSR %#08x causes %v, expected.json says %v", cfsr, causes, e.Causes)
	}
	if forced := hfsr&(1<<30) != 0; forced != e.Forced {
		t.Errorf("HFSR %#08x forced=%v, expected.json says %v", hfsr, forced, e.Forced)
	}
	var addr *string
	switch {
	case cfsr&(1<<7) != 0:
		s := fmt.Sprintf("0x%08x", mmfar)
		addr = &s
	case cfsr&(1<<15) != 0:
		s := fmt.Sprintf("0x%08x", bfar)
		addr = &s
	}
	if (addr == nil) != (e.FaultAddress == nil) || (addr != nil && *addr != *e.FaultAddress) {
		t.Errorf("fault address %v, expected.json says %v", deref(addr), deref(e.FaultAddress))
	}
	var frames []string
	for _, f := range frameLine.FindAllStringSubmatch(out, -1) {
		if f[1] == "0" { // the handler
			continue
		}
		frames = append(frames, f[2])
	}
	var wantFrames []string
	for _, f := range e.Frames {
		wantFrames = append(wantFrames, gdbName(f))
	}
	if len(frames) < len(wantFrames) || !slices.Equal(frames[:len(wantFrames)], wantFrames) {
		t.Errorf("gdb frames %q, expected.json says %q\n%s", frames, wantFrames, out)
	}
	// gdb detached at exit, so the handler ran on and printed its line.
	checkConsole(t, console, e.Console)
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

// checkConsole waits for the console file to hold the expected lines.
func checkConsole(t *testing.T, path string, want []string) {
	t.Helper()
	var pats []*regexp.Regexp
	for _, w := range want {
		p := regexp.QuoteMeta(w)
		p = strings.ReplaceAll(p, regexp.QuoteMeta("<10 digits>"), `\d{10}`)
		pats = append(pats, regexp.MustCompile("^"+p+"$"))
	}
	var got []string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		got = nil
		for _, l := range strings.Split(string(data), "\n") {
			if l = strings.TrimRight(l, "\r"); l != "" {
				got = append(got, l)
			}
		}
		if len(got) >= len(pats) {
			break
		}
	}
	if len(got) < len(pats) {
		t.Fatalf("console %q, want %q", got, want)
	}
	for i, p := range pats {
		if !p.MatchString(got[i]) {
			t.Errorf("console line %d = %q, want %q", i, got[i], want[i])
		}
	}
}
