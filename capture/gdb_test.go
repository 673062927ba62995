package capture

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// These tests check the claim in doc.go that stock gdb opens a capture:
// registers, memory and, on a capture of a real run in QEMU, bt.

func requireTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s not found (%v): run scripts/setup.sh to install the test tools", name, err)
	}
	return p
}

// buildCrashELF compiles testdata/crash.c for the netduino2 board.
func buildCrashELF(t *testing.T, defines ...string) string {
	t.Helper()
	gcc := requireTool(t, "arm-none-eabi-gcc")
	out := filepath.Join(t.TempDir(), "crash.elf")
	args := []string{"-mcpu=cortex-m3", "-mthumb", "-g", "-O1", "-nostdlib",
		"-T", filepath.Join("testdata", "crash.ld")}
	args = append(args, defines...)
	args = append(args, filepath.Join("testdata", "crash.c"), "-o", out)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if b, err := exec.CommandContext(ctx, gcc, args...).CombinedOutput(); err != nil {
		t.Fatalf("build crash.elf: %v\n%s", err, b)
	}
	return out
}

// runGDB runs gdb-multiarch in batch mode with the given -ex commands and
// returns what it printed. gdb and anything it starts (QEMU behind
// "target remote |") run in their own process group, killed on timeout.
func runGDB(t *testing.T, elfPath string, cmds ...string) string {
	t.Helper()
	gdb := requireTool(t, "gdb-multiarch")
	args := []string{"-batch", "-nx"}
	if elfPath != "" {
		args = append(args, elfPath)
	}
	for _, c := range cmds {
		args = append(args, "-ex", c)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, gdb, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("gdb timed out: %v\n%s", ctx.Err(), out)
	}
	if err != nil {
		t.Fatalf("gdb: %v\n%s", err, out)
	}
	return string(out)
}

func TestGDBReadsCapture(t *testing.T) {
	t.Parallel()
	regs := map[string]uint32{"sp": 0x20000ff0, "lr": 0x0800005f, "pc": 0x08000044, "xpsr": 0x61000000, "msp": 0x20000ff0}
	for i := 0; i <= 12; i++ {
		regs[fmt.Sprintf("r%d", i)] = 0x11111111 * uint32(i%15+1)
	}
	ram := make([]byte, 4096)
	words := []uint32{0xdeadbeef, 0x01234567, 0x89abcdef, 0xcafef00d}
	for i, w := range words {
		binary.LittleEndian.PutUint32(ram[4*i:], w)
	}
	s := &Snapshot{Registers: regs, Memory: []Region{
		{Addr: 0x20000000, Data: ram, Name: "ram"},
		{Addr: 0xE000ED00, Data: make([]byte, 0x40), Name: "scb"},
	}}
	core := filepath.Join(t.TempDir(), "crash.core")
	if err := Write(core, s); err != nil {
		t.Fatal(err)
	}
	elfPath := buildCrashELF(t)
	for _, tc := range []struct{ name, elf string }{{"without the ELF", ""}, {"with the ELF", elfPath}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out := runGDB(t, tc.elf, "core-file "+core, "info registers", "x/4xw 0x20000000")
			if !strings.Contains(out, "Program terminated with signal SIGSEGV") {
				t.Errorf("gdb did not take the core's signal:\n%s", out)
			}
			got := parseInfoRegisters(out)
			for name, v := range regs {
				if name == "msp" {
					continue // not in NT_PRSTATUS: gdb cannot show it
				}
				if g, ok := got[name]; !ok || g != v {
					t.Errorf("gdb shows %s = %#x (present %v), want %#x", name, g, ok, v)
				}
			}
			want := regexp.MustCompile(`0x20000000(?: <counter>)?:\s+0xdeadbeef\s+0x01234567\s+0x89abcdef\s+0xcafef00d`)
			if !want.MatchString(out) {
				t.Errorf("gdb's x/4xw does not show the captured words:\n%s", out)
			}
		})
	}
}

// infoRegLine matches a line of gdb's "info registers": name, hex value.
var infoRegLine = regexp.MustCompile(`^([a-z][a-z0-9]*)\s+0x([0-9a-f]+)\s`)

func parseInfoRegisters(out string) map[string]uint32 {
	regs := map[string]uint32{}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		m := infoRegLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		v, err := strconv.ParseUint(m[2], 16, 32)
		if err == nil {
			regs[m[1]] = uint32(v)
		}
	}
	return regs
}

// TestGDBBacktraceOnQEMUCapture takes a snapshot of a real run the way a
// live capture does (registers and RAM through the gdb protocol), writes
// it, and checks that gdb's bt walks it.
func TestGDBBacktraceOnQEMUCapture(t *testing.T) {
	t.Parallel()
	requireTool(t, "qemu-system-arm")
	tests := []struct {
		name    string
		defines []string
		breakAt string
		want    []string // regexps matching the bt lines, in order
		// Without the ELF gdb knows nothing but the core: the frames
		// expected then (nil: not checked).
		wantNoELF []string
	}{
		{"stopped in a function", nil, "crash",
			[]string{`^#0  crash \(`, `^#1  0x[0-9a-f]+ in middle \(`, `^#2  0x[0-9a-f]+ in Reset_Handler \(`}, nil},
		{"in HardFault after a fault on the main stack", nil, "HardFault_Handler",
			[]string{`^#0  HardFault_Handler \(`, `^#1  <signal handler called>`, `^#2  crash \(`,
				`^#3  0x[0-9a-f]+ in middle \(`, `^#4  0x[0-9a-f]+ in Reset_Handler \(`},
			// The NT_GDB_TDESC note is what tells gdb this is M-profile,
			// so it unwinds the exception frame even with no ELF.
			[]string{`^#0  0x[0-9a-f]+ in \?\? \(`, `^#1  <signal handler called>`, `^#2  0x[0-9a-f]+ in \?\? \(`}},
		// gdb 13 cannot unwind a frame stacked on PSP from a core (it needs
		// psp, which a core cannot carry): doc.go says so, and this case
		// pins what it does show.
		{"in HardFault after a fault on the process stack", []string{"-DUSE_PSP"}, "HardFault_Handler",
			[]string{`^#0  HardFault_Handler \(`, `^#1  <signal handler called>`}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			elfPath := buildCrashELF(t, tc.defines...)
			s := snapshotFromQEMU(t, elfPath, tc.breakAt)
			core := filepath.Join(t.TempDir(), "crash.core")
			if err := Write(core, s); err != nil {
				t.Fatal(err)
			}
			bt := backtrace(runGDB(t, elfPath, "core-file "+core, "bt"))
			matchFrames(t, bt, tc.want)
			t.Logf("gdb on the capture:\n%s", strings.Join(bt, "\n"))
			if tc.wantNoELF != nil {
				bt := backtrace(runGDB(t, "", "core-file "+core, "bt"))
				matchFrames(t, bt, tc.wantNoELF)
				t.Logf("gdb on the capture without the ELF:\n%s", strings.Join(bt, "\n"))
			}
		})
	}
}

// snapshotFromQEMU boots elfPath halted in QEMU (started by gdb itself over
// a pipe: no TCP port to pick), runs to a breakpoint at fn, and builds a
// Snapshot from gdb's "info registers" and memory dumps.
func snapshotFromQEMU(t *testing.T, elfPath, fn string) *Snapshot {
	t.Helper()
	dir := t.TempDir()
	ramFile, scbFile := filepath.Join(dir, "ram.bin"), filepath.Join(dir, "scb.bin")
	qemu := "qemu-system-arm -M netduino2 -kernel " + elfPath +
		" -S -gdb stdio -display none -serial null -monitor none -nodefaults"
	out := runGDB(t, elfPath,
		// gdb waits 2 s for a reply by default; QEMU on a loaded machine
		// can take longer to start.
		"set remotetimeout 30",
		"target remote | "+qemu,
		"break "+fn,
		"continue",
		"info registers",
		"dump binary memory "+ramFile+" 0x20000000 0x20020000",
		"dump binary memory "+scbFile+" 0xe000ed00 0xe000ed40")
	// No "kill": over a pipe it breaks the connection and gdb exits 1; at
	// the end of -batch gdb detaches and QEMU exits when its stdio closes.
	if !strings.Contains(out, "Breakpoint 1, "+fn) {
		t.Fatalf("QEMU run did not stop in %s:\n%s", fn, out)
	}
	s := &Snapshot{Registers: parseInfoRegisters(out)}
	if _, ok := s.Registers["msp"]; !ok {
		t.Fatalf("no msp in gdb's registers (QEMU too old?):\n%s", out)
	}
	for _, r := range []struct {
		name, file string
		addr       uint32
	}{{"ram", ramFile, 0x20000000}, {"scb", scbFile, 0xe000ed00}} {
		data, err := os.ReadFile(r.file)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.AddRegion(Region{Addr: r.addr, Data: data, Name: r.name}); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// backtrace picks the lines of gdb's bt from its output. Loading a core
// prints frame #0 once before bt does, so it starts at the last "#0".
func backtrace(out string) []string {
	bt := regexp.MustCompile(`(?m)^#\d+ .*$`).FindAllString(out, -1)
	for i := len(bt) - 1; i >= 0; i-- {
		if strings.HasPrefix(bt[i], "#0 ") {
			return bt[i:]
		}
	}
	return bt
}

func matchFrames(t *testing.T, bt, want []string) {
	t.Helper()
	if len(bt) < len(want) {
		t.Fatalf("bt shows %d frames, want at least %d:\n%s", len(bt), len(want), strings.Join(bt, "\n"))
	}
	for i, w := range want {
		if !regexp.MustCompile(w).MatchString(bt[i]) {
			t.Errorf("frame %d is %q, want %q\n%s", i, bt[i], w, strings.Join(bt, "\n"))
		}
	}
}
