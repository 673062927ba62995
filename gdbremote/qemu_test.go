package gdbremote

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/faultline-dev/faultline/internal/syncbuf"
)

// needTool fails (never skips) when a tool the test needs is missing: CI
// has them all.
func needTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s not found: run scripts/setup.sh", name)
	}
	return p
}

// buildTiny compiles testdata/tiny into dir and returns the ELF path.
func buildTiny(t testing.TB, dir string, defines ...string) string {
	t.Helper()
	gcc := needTool(t, "arm-none-eabi-gcc")
	elf := filepath.Join(dir, "tiny.elf")
	args := []string{"-mcpu=cortex-m3", "-mthumb", "-O1", "-g", "-nostdlib", "-ffreestanding",
		"-T", "testdata/tiny/link.ld", "testdata/tiny/tiny.c", "-o", elf}
	for _, d := range defines {
		args = append(args, "-D"+d)
	}
	cmd := exec.Command(gcc, args...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build tiny.elf: %v\n%s", err, out)
	}
	return elf
}

func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startQEMU boots elf halted on netduino2 and returns the gdb address. QEMU
// runs in its own process group, killed when the test ends.
func startQEMU(t testing.TB, elf string) string {
	t.Helper()
	qemu := needTool(t, "qemu-system-arm")
	port := freePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	cmd := exec.Command(qemu, "-M", "netduino2", "-kernel", elf, "-S",
		"-gdb", "tcp:"+addr, "-display", "none", "-serial", "null", "-monitor", "none")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start qemu: %v", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
	})
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			t.Fatalf("qemu exited early: %s", stderr.String())
		default:
		}
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			// QEMU's gdbstub takes one client; the probe is gone now.
			return addr
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("qemu gdb port %s never opened: %s", addr, stderr.String())
	return ""
}

func TestRealQEMUSmoke(t *testing.T) {
	t.Parallel()
	elf := buildTiny(t, t.TempDir())
	addr := startQEMU(t, elf)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	trace := &syncbuf.Buffer{}
	cl, err := Dial(ctx, addr, Options{Timeout: 5 * time.Second, Trace: trace})
	if err != nil {
		t.Fatalf("dial real QEMU: %v\ntrace:\n%s", err, trace)
	}
	defer cl.Close()
	defer func() {
		if t.Failed() || os.Getenv("GDBREMOTE_TRACE") != "" {
			t.Logf("trace:\n%s", trace)
		}
	}()
	if cl.Stub() != StubQEMU {
		t.Errorf("Stub() = %v, want qemu (features %v)", cl.Stub(), cl.Features())
	}
	for _, name := range []string{"r0", "sp", "pc", "xpsr", "msp", "psp", "control"} {
		if !cl.HasRegister(name) {
			t.Errorf("QEMU 8+ should list register %s; have %v", name, cl.RegisterNames())
		}
	}
	regs, err := cl.ReadRegisters(ctx)
	if err != nil {
		t.Fatalf("ReadRegisters: %v", err)
	}
	// Reset state: MSP from vector 0, PC from vector 1 (Thumb bit cleared).
	if regs["msp"] != 0x20020000 || regs["sp"] != 0x20020000 {
		t.Errorf("msp=%#x sp=%#x, want 0x20020000", regs["msp"], regs["sp"])
	}
	if _, ok := regs["psp"]; !ok {
		t.Errorf("psp not read: %v", regs)
	}
	vt, err := cl.ReadMemory(ctx, 0x08000000, 8)
	if err != nil {
		t.Fatalf("read vector table: %v", err)
	}
	resetPC := uint64(binary.LittleEndian.Uint32(vt[4:]))
	if regs["pc"] != resetPC&^1 {
		t.Errorf("pc=%#x, want reset vector %#x", regs["pc"], resetPC&^1)
	}
	ram, err := cl.ReadMemory(ctx, 0x20000000, 4096)
	if err != nil || len(ram) != 4096 {
		t.Fatalf("read 4 KiB RAM: %d bytes, %v", len(ram), err)
	}
	tick := findSymbol(t, elf, "tick")
	if err := cl.SetBreakpoint(ctx, BreakHardware, tick, 2); err != nil {
		t.Fatalf("set breakpoint at tick: %v", err)
	}
	if err := cl.Continue(ctx); err != nil {
		t.Fatalf("continue: %v", err)
	}
	sr, err := cl.WaitStop(ctx)
	if err != nil {
		t.Fatalf("wait stop: %v", err)
	}
	if sr.Kind != 'T' || sr.Signal != 5 || sr.Thread == "" {
		t.Errorf("stop = %+v, want T05 with a thread", sr)
	}
	pc, err := cl.ReadRegister(ctx, "pc")
	if err != nil || pc != tick {
		t.Errorf("pc at breakpoint = %#x (%v), want tick %#x", pc, err, tick)
	}
	// The reset handler filled pattern[] before calling tick.
	pat := findSymbol(t, elf, "pattern")
	b, err := cl.ReadMemory(ctx, pat, 8)
	if err != nil || binary.LittleEndian.Uint32(b[4:]) != 0xa5a50001 {
		t.Errorf("pattern[1] = % x (%v), want a5a50001", b, err)
	}
	sr, err = cl.Step(ctx)
	if err != nil || sr.Signal != 5 {
		t.Fatalf("step: %+v, %v", sr, err)
	}
	if pc2, err := cl.ReadRegister(ctx, "pc"); err != nil || pc2 == tick || pc2 < tick || pc2 > tick+4 {
		t.Errorf("pc after one step from %#x = %#x (%v)", tick, pc2, err)
	}
	if err := cl.WriteRegister(ctx, "r12", 0x12345678); err != nil {
		t.Fatalf("write r12: %v", err)
	}
	if v, err := cl.ReadRegister(ctx, "r12"); err != nil || v != 0x12345678 {
		t.Errorf("r12 after write = %#x, %v", v, err)
	}
	if err := cl.ClearBreakpoint(ctx, BreakHardware, tick, 2); err != nil {
		t.Fatalf("clear breakpoint: %v", err)
	}
	// Running: nothing but Interrupt may be sent.
	if err := cl.Continue(ctx); err != nil {
		t.Fatalf("continue: %v", err)
	}
	if _, err := cl.ReadMemory(ctx, 0x20000000, 4); err == nil || !strings.Contains(err.Error(), "running") {
		t.Errorf("ReadMemory while running: %v, want ErrRunning", err)
	}
	sr, err = cl.Interrupt(ctx)
	if err != nil || sr.Signal != 2 {
		t.Fatalf("interrupt: %+v, %v; want T02", sr, err)
	}
	if _, err := cl.ReadRegisters(ctx); err != nil {
		t.Errorf("read registers after interrupt: %v", err)
	}
}

// QEMU does not model lockup: it aborts, and the client must report the
// closed connection from WaitStop rather than hang.
func TestRealQEMULockupClosesConnection(t *testing.T) {
	t.Parallel()
	elf := buildTiny(t, t.TempDir(), "LOCKUP")
	addr := startQEMU(t, elf)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cl, err := Dial(ctx, addr, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if err := cl.Continue(ctx); err != nil {
		t.Fatal(err)
	}
	sr, err := cl.WaitStop(ctx)
	if !errors.Is(err, ErrClosed) {
		t.Fatalf("WaitStop = %+v, %v; want ErrClosed (QEMU aborts on lockup)", sr, err)
	}
	if cl.Running() {
		t.Error("still Running after the stub went away")
	}
}

// findSymbol reads a symbol's address with arm-none-eabi-nm.
func findSymbol(t testing.TB, elf, name string) uint64 {
	t.Helper()
	out, err := exec.Command(needTool(t, "arm-none-eabi-nm"), elf).Output()
	if err != nil {
		t.Fatalf("nm: %v", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 3 && f[2] == name {
			var v uint64
			fmt.Sscanf(f[0], "%x", &v)
			return v &^ 1
		}
	}
	t.Fatalf("symbol %s not in %s", name, elf)
	return 0
}

// BenchmarkReadMemory128KRealQEMU reads netduino2's 128 KiB SRAM from a
// real QEMU (2044 bytes per 'm').
func BenchmarkReadMemory128KRealQEMU(b *testing.B) {
	elf := buildTiny(b, b.TempDir())
	addr := startQEMU(b, elf)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cl, err := Dial(ctx, addr, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	b.SetBytes(128 << 10)
	for b.Loop() {
		if _, err := cl.ReadMemory(ctx, 0x20000000, 128<<10); err != nil {
			b.Fatal(err)
		}
	}
}
