package emu_test

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/faultline-dev/faultline/emu"
	"github.com/faultline-dev/faultline/firmware"
)

// alive reports whether process pid exists (and is not a zombie).
func alive(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return false
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// Field 3 is the state; Z is a zombie.
	if i := strings.LastIndexByte(string(stat), ')'); i >= 0 && i+2 < len(stat) {
		return stat[i+2] != 'Z'
	}
	return true
}

func portClosed(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return true
	}
	c.Close()
	return false
}

func TestBenchStopKillsEverything(t *testing.T) {
	t.Parallel()
	ctx := waitCtx(t, time.Minute)
	elf, err := firmware.ELF(ctx, "webserver-fixed")
	if err != nil {
		t.Fatal(err)
	}
	b, err := emu.StartBench(ctx, emu.BenchConfig{ELF: elf})
	if err != nil {
		t.Fatal(err)
	}
	pid, addr := b.QEMUPid(), b.HTTPAddr()
	if err := b.WiFi().WaitListening(ctx); err != nil {
		t.Fatalf("firmware did not boot without a console reader: %v", err)
	}
	if err := b.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if alive(pid) {
		t.Errorf("QEMU pid %d still alive after Stop", pid)
	}
	if !portClosed(addr) {
		t.Errorf("co-processor still listening on %s after Stop", addr)
	}
	if err := b.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
}

func TestBenchContextCancelKillsEverything(t *testing.T) {
	t.Parallel()
	elf, err := firmware.ELF(waitCtx(t, time.Minute), "webserver-fixed")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b, err := emu.StartBench(ctx, emu.BenchConfig{ELF: elf, Halted: true})
	if err != nil {
		t.Fatal(err)
	}
	pid, addr := b.QEMUPid(), b.HTTPAddr()
	cancel()
	select {
	case <-b.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("QEMU still running 10s after the context was cancelled")
	}
	// Stop after a cancel waits for the rest of the teardown.
	b.Stop()
	if alive(pid) {
		t.Errorf("QEMU pid %d still alive", pid)
	}
	if !portClosed(addr) {
		t.Errorf("co-processor still listening on %s", addr)
	}
}

func TestBenchStartErrorLeavesNothing(t *testing.T) {
	t.Parallel()
	ctx := waitCtx(t, time.Minute)
	elf, err := firmware.ELF(ctx, "webserver-fixed")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		cfg  emu.BenchConfig
	}{
		{"missing ELF", emu.BenchConfig{ELF: filepath.Join(t.TempDir(), "missing.elf")}},
		{"no emulator", emu.BenchConfig{ELF: elf, QEMU: filepath.Join(t.TempDir(), "no-qemu")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Pick a free port for the co-processor; another process may
			// take it before StartBench binds it, so retry that case.
			var port int
			for attempt := 0; ; attempt++ {
				l, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				port = l.Addr().(*net.TCPAddr).Port
				l.Close()
				tt.cfg.HTTPPort = port
				tt.cfg.Console = newConsoleLog()
				b, err := emu.StartBench(ctx, tt.cfg)
				if err == nil {
					b.Stop()
					t.Fatal("StartBench succeeded")
				}
				if strings.Contains(err.Error(), "wifi: listen") && attempt < 5 {
					continue
				}
				break
			}
			// The co-processor's port is free again.
			l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
			if err != nil {
				t.Errorf("HTTP port %d still taken after the failed start: %v", port, err)
			} else {
				l.Close()
			}
		})
	}
}

// A halted bench waits for a debugger; once the CPU runs, the firmware
// boots and the co-processor serves it.
func TestBenchHaltedServesOnceContinued(t *testing.T) {
	t.Parallel()
	ctx := waitCtx(t, time.Minute)
	elf, err := firmware.ELF(ctx, "webserver-fixed")
	if err != nil {
		t.Fatal(err)
	}
	b, err := emu.StartBench(ctx, emu.BenchConfig{ELF: elf, Halted: true})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Stop()
	time.Sleep(300 * time.Millisecond)
	if b.WiFi().Listening() {
		t.Fatal("firmware listening while the CPU is halted")
	}
	// What a debugger does: connect and continue (QEMU's gdbstub acks "+").
	c, err := net.DialTimeout("tcp", b.GDBAddr(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte("$c#63")); err != nil {
		t.Fatal(err)
	}
	ack := make([]byte, 1)
	if _, err := c.Read(ack); err != nil || ack[0] != '+' {
		t.Fatalf("gdbstub ack %q, %v", ack, err)
	}
	defer c.Close()
	if err := b.WiFi().WaitListening(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := getWithin(ctx, b.HTTPAddr(), 5*time.Second); err != nil {
		t.Fatalf("GET: %v", err)
	}
}
