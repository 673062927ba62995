package emu

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/faultline-dev/faultline/firmware/crashlab"
)

func needQEMU(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("qemu-system-arm"); err != nil {
		t.Fatal("qemu-system-arm not found on PATH: run scripts/setup.sh")
	}
}

func testCtx(t testing.TB, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// startProgram boots a crash-lab program halted and stops QEMU at cleanup.
func startProgram(t testing.TB, ctx context.Context, board, program string, serials []string) *QEMU {
	t.Helper()
	needQEMU(t)
	elf, err := crashlab.ELF(ctx, board, program)
	if err != nil {
		t.Fatal(err)
	}
	begin := time.Now()
	q, err := StartQEMU(ctx, QEMUConfig{Machine: board, Kernel: elf, Halted: true, Serials: serials})
	if err != nil {
		t.Fatalf("StartQEMU(%s, %s): %v", board, program, err)
	}
	t.Logf("%s %s: gdb ready at %s after %v", board, program, q.GDBAddr, time.Since(begin))
	t.Cleanup(func() { _ = q.Stop() })
	return q
}

// dialGDB connects to a QEMU's gdbstub (closed when t ends) and asks '?',
// whose stop reply it returns with the connection.
func dialGDB(t testing.TB, addr string) (net.Conn, *bufio.Reader, string) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial gdbstub: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	r := bufio.NewReader(conn)
	return conn, r, rsp(t, conn, r, "?")
}

// rsp sends one packet and returns the reply payload, checking the ack: a
// minimal exchange, independent of package gdbremote.
func rsp(t testing.TB, conn net.Conn, r *bufio.Reader, payload string) string {
	t.Helper()
	var sum byte
	for i := 0; i < len(payload); i++ {
		sum += payload[i]
	}
	if err := conn.SetDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := fmt.Fprintf(conn, "$%s#%02x", payload, sum); err != nil {
		t.Fatalf("send %s: %v", payload, err)
	}
	ack, err := r.ReadByte()
	if err != nil || ack != '+' {
		t.Fatalf("send %s: ack %q, %v; want '+'", payload, ack, err)
	}
	if _, err := r.ReadString('$'); err != nil {
		t.Fatalf("send %s: no reply: %v", payload, err)
	}
	body, err := r.ReadString('#')
	if err != nil {
		t.Fatalf("send %s: reply: %v", payload, err)
	}
	if _, err := io.ReadFull(r, make([]byte, 2)); err != nil {
		t.Fatalf("send %s: checksum: %v", payload, err)
	}
	if _, err := conn.Write([]byte("+")); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(body, "#")
}

func TestStartQEMUGDBStubAnswersOnBothBoards(t *testing.T) {
	for _, board := range []string{"netduino2", "mps2-an385"} {
		t.Run(board, func(t *testing.T) {
			t.Parallel()
			ctx := testCtx(t, time.Minute)
			q := startProgram(t, ctx, board, "divzero", []string{"null"})
			_, _, reply := dialGDB(t, q.GDBAddr)
			if reply == "" || (reply[0] != 'S' && reply[0] != 'T') {
				t.Fatalf("'?' reply %q, want a stop reply S../T..", reply)
			}
		})
	}
}

func TestConsoleShowsStartLineAfterContinue(t *testing.T) {
	for _, board := range []string{"netduino2", "mps2-an385"} {
		t.Run(board, func(t *testing.T) {
			t.Parallel()
			ctx := testCtx(t, time.Minute)
			// Two UARTs: the console on a pty, the second one discarded, to
			// check PTYs lines up with Serials.
			q := startProgram(t, ctx, board, "divzero", []string{"pty", "null"})
			if len(q.PTYs) != 2 || q.PTYs[0] == "" || q.PTYs[1] != "" {
				t.Fatalf("PTYs = %q, want [/dev/pts/N \"\"]", q.PTYs)
			}
			tty, err := os.OpenFile(q.PTYs[0], os.O_RDWR|syscall.O_NOCTTY, 0)
			if err != nil {
				t.Fatalf("open pty: %v", err)
			}
			defer tty.Close()
			conn, _, _ := dialGDB(t, q.GDBAddr)
			if _, err := conn.Write([]byte("$c#63")); err != nil {
				t.Fatal(err)
			}
			want := []string{"crashlab: divzero on " + board + ": start", "crashlab: UsageFault_Handler"}
			got := readLines(t, tty, len(want), 10*time.Second)
			for i := range want {
				if got[i] != want[i] {
					t.Errorf("console line %d = %q, want %q", i, got[i], want[i])
				}
			}
		})
	}
}

func readLines(t *testing.T, f *os.File, n int, timeout time.Duration) []string {
	t.Helper()
	if err := f.SetReadDeadline(time.Now().Add(timeout)); err != nil {
		t.Fatalf("pty deadline: %v", err)
	}
	var lines []string
	sc := bufio.NewScanner(f)
	for len(lines) < n && sc.Scan() {
		if l := strings.TrimRight(sc.Text(), "\r"); l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) < n {
		t.Fatalf("console: got %q, then %v; want %d lines", lines, sc.Err(), n)
	}
	return lines
}

func TestRealGDBConnectsAfterStart(t *testing.T) {
	if _, err := exec.LookPath("gdb-multiarch"); err != nil {
		t.Fatal("gdb-multiarch not found on PATH: run scripts/setup.sh")
	}
	ctx := testCtx(t, time.Minute)
	q := startProgram(t, ctx, "mps2-an385", "divzero", []string{"null"})
	elf, err := crashlab.ELF(ctx, "mps2-an385", "divzero")
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.CommandContext(ctx, "gdb-multiarch", "-q", "-nx", "-batch", elf,
		"-ex", "target remote "+q.GDBAddr,
		"-ex", "break UsageFault_Handler", "-ex", "continue",
		"-ex", `printf "CFSR=%08x\n", *(unsigned*)0xE000ED28`).CombinedOutput()
	if err != nil {
		t.Fatalf("gdb: %v\n%s", err, out)
	}
	if !bytes.Contains(out, []byte("UsageFault_Handler")) || !bytes.Contains(out, []byte("CFSR=02000000")) {
		t.Fatalf("gdb did not stop in UsageFault_Handler with DIVBYZERO:\n%s", out)
	}
}

func processGone(pid int) bool {
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}

func TestStopLeavesNoProcessAndIsIdempotent(t *testing.T) {
	ctx := testCtx(t, time.Minute)
	q := startProgram(t, ctx, "netduino2", "idle", []string{"null"})
	pid := q.Pid()
	if processGone(pid) {
		t.Fatalf("qemu %d not running after StartQEMU", pid)
	}
	if err := q.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if err := q.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	select {
	case <-q.Done():
	default:
		t.Fatal("Done not closed after Stop")
	}
	if !processGone(pid) {
		t.Fatalf("qemu %d still exists after Stop", pid)
	}
	if err := q.ExitErr(); err != nil {
		t.Errorf("ExitErr after Stop = %v, want nil", err)
	}
}

func TestContextCancelKillsQEMU(t *testing.T) {
	needQEMU(t)
	ctx, cancel := context.WithCancel(testCtx(t, time.Minute))
	q := startProgram(t, ctx, "mps2-an385", "idle", []string{"null"})
	pid := q.Pid()
	cancel()
	select {
	case <-q.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("qemu still running 10s after its context was cancelled")
	}
	if !processGone(pid) {
		t.Fatalf("qemu %d still exists", pid)
	}
}

// TestExitErrCarriesQEMUsFatalLine makes the guest lock up, which QEMU does
// not model: it aborts. The vector table is moved to RAM (VTOR) with a
// HardFault vector that cannot execute, so the HardFault entry itself faults.
func TestExitErrCarriesQEMUsFatalLine(t *testing.T) {
	ctx := testCtx(t, time.Minute)
	q := startProgram(t, ctx, "mps2-an385", "idle", []string{"null"})
	conn, r, _ := dialGDB(t, q.GDBAddr)
	// A table at 0x20010000: every handler is 0xae094711 (Device region, XN).
	table := strings.Repeat("114709ae", 16)
	for _, pkt := range []string{
		"M20010000,40:" + table,
		"Me000ed08,4:00000120", // VTOR = 0x20010000
	} {
		if reply := rsp(t, conn, r, pkt); reply != "OK" {
			t.Fatalf("%s: %q", pkt, reply)
		}
	}
	if _, err := conn.Write([]byte("$c#63")); err != nil {
		t.Fatal(err)
	}
	select {
	case <-q.Done():
	case <-time.After(15 * time.Second):
		t.Fatal("qemu did not exit after a lockup")
	}
	err := q.ExitErr()
	if err == nil || !strings.Contains(err.Error(), "Lockup") {
		t.Fatalf("ExitErr = %v, want QEMU's lockup line", err)
	}
	t.Logf("ExitErr: %v", err)
}

func TestStartQEMUReportsQEMUsError(t *testing.T) {
	needQEMU(t)
	ctx := testCtx(t, time.Minute)
	elf, err := crashlab.ELF(ctx, "netduino2", "idle")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		cfg  QEMUConfig
		want string
	}{
		{"unknown machine", QEMUConfig{Machine: "nosuchboard", Kernel: elf}, "nosuchboard"},
		{"missing kernel", QEMUConfig{Machine: "netduino2", Kernel: "/nonexistent.elf"}, "kernel"},
		{"stdio serial", QEMUConfig{Machine: "netduino2", Kernel: elf, Serials: []string{"stdio"}}, "stdio"},
		{"missing binary", QEMUConfig{Machine: "netduino2", Kernel: elf, Binary: "qemu-nonexistent-arm"}, "not found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q, err := StartQEMU(ctx, tc.cfg)
			if err == nil {
				_ = q.Stop()
				t.Fatal("StartQEMU succeeded")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not mention %q", err, tc.want)
			}
		})
	}
}

func TestPortTakenByAnotherProcessIsRetryable(t *testing.T) {
	needQEMU(t)
	ctx := testCtx(t, time.Minute)
	elf, err := crashlab.ELF(ctx, "netduino2", "idle")
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	_, err = launch(ctx, "qemu-system-arm", QEMUConfig{Machine: "netduino2", Kernel: elf}, []string{"null"}, port, 10*time.Second)
	if !errors.Is(err, errPortTaken) {
		t.Fatalf("launch on a taken port: %v, want errPortTaken", err)
	}
}

func TestParseTCPTableFindsOnlyLoopbackListeners(t *testing.T) {
	const table = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 111 1 0000000000000000 100 0 0 10 0
   1: 0100007F:1F90 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 222 1 0000000000000000 20 4 30 10 -1
   2: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 333 1 0000000000000000 100 0 0 10 0
   3: 0A00020F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 444 1 0000000000000000 100 0 0 10 0
   4: 0100007F:1F91 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 555 1 0000000000000000 100 0 0 10 0
`
	got, err := parseTCPTable(bufio.NewScanner(strings.NewReader(table)), 8080)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"socket:[111]": true, "socket:[333]": true}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for k := range want {
		if !got[k] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
}

func TestOutputWatcherPicksPTYsAndTheExplainingLine(t *testing.T) {
	var log bytes.Buffer
	w := newOutputWatcher(&log)
	out, errw := w.stream(false), w.stream(true)
	io.WriteString(out, "char device redirected to /dev/pts/7 (label serial1)\nchar device redi")
	io.WriteString(out, "rected to /dev/pts/9 (label serial0)\n")
	io.WriteString(errw, "qemu-system-arm: warning: nic lan9118.0 has no peer\n")
	io.WriteString(errw, "qemu: fatal: Lockup: can't escalate 3 to HardFault\nR00=00000000 R01=00000000\r\nFPSCR: 00000000\n")
	if p := w.ptys(); p["serial0"] != "/dev/pts/9" || p["serial1"] != "/dev/pts/7" {
		t.Errorf("ptys = %v", p)
	}
	if got := w.lastLine(); got != "qemu: fatal: Lockup: can't escalate 3 to HardFault" {
		t.Errorf("lastLine = %q", got)
	}
	if !strings.Contains(log.String(), "R00=00000000 R01=00000000\n") {
		t.Errorf("log lacks the dump: %q", log.String())
	}
	w2 := newOutputWatcher(nil)
	io.WriteString(w2.stream(true), "qemu-system-arm: -gdb tcp:127.0.0.1:1: Failed to find an available port: Address already in use\n")
	if !w2.portTaken() {
		t.Error("bind failure not recognised")
	}
}

func FuzzParseTCPTable(f *testing.F) {
	f.Add([]byte("  0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 111 1\n"), 8080)
	f.Fuzz(func(t *testing.T, data []byte, port int) {
		got, err := parseTCPTable(bufio.NewScanner(bytes.NewReader(data)), port&0xffff)
		if err == nil {
			for k := range got {
				if !strings.HasPrefix(k, "socket:[") {
					t.Fatalf("inode %q", k)
				}
			}
		}
	})
}

func FuzzOutputWatcher(f *testing.F) {
	f.Add([]byte("char device redirected to /dev/pts/1 (label serial0)\n"), []byte("qemu: fatal: x\n"))
	f.Fuzz(func(t *testing.T, out, errb []byte) {
		w := newOutputWatcher(io.Discard)
		w.stream(false).Write(out)
		w.stream(true).Write(errb)
		if l := w.lastLine(); strings.Contains(l, "\n") {
			t.Fatalf("lastLine has a newline: %q", l)
		}
		_ = w.ptys()
	})
}

func BenchmarkStartQEMUToGDBReady(b *testing.B) {
	ctx := testCtx(b, 5*time.Minute)
	needQEMU(b)
	elf, err := crashlab.ELF(ctx, "netduino2", "divzero")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		q, err := StartQEMU(ctx, QEMUConfig{Machine: "netduino2", Kernel: elf, Halted: true, Serials: []string{"pty"}})
		if err != nil {
			b.Fatal(err)
		}
		_ = q.Stop()
	}
}

// TestRunningGuestKeepsRunningAfterStart: StartQEMU must not touch the
// gdbstub (a connection would stop the guest for good), so a guest started
// without Halted goes on printing.
func TestRunningGuestKeepsRunningAfterStart(t *testing.T) {
	needQEMU(t)
	ctx := testCtx(t, time.Minute)
	elf, err := crashlab.ELF(ctx, "netduino2", "idle")
	if err != nil {
		t.Fatal(err)
	}
	q, err := StartQEMU(ctx, QEMUConfig{Machine: "netduino2", Kernel: elf})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Stop()
	if len(q.PTYs) != 1 || q.PTYs[0] == "" {
		t.Fatalf("PTYs = %q, want one pty for the default Serials", q.PTYs)
	}
	tty, err := os.OpenFile(q.PTYs[0], os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open pty: %v", err)
	}
	defer tty.Close()
	// The start line may be gone before the pty was opened; the per-second
	// lines come later.
	if err := tty.SetReadDeadline(time.Now().Add(20 * time.Second)); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(tty)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "crashlab: idle ") && strings.HasSuffix(strings.TrimSpace(sc.Text()), "s") {
			return
		}
	}
	t.Fatalf("no 'crashlab: idle Ns' line from a guest started running: %v", sc.Err())
}

// TestQEMUDiesWithItsParent runs this test binary again as a child that
// starts QEMU and exits without Stop (as a test binary does when it panics
// or times out); the kernel's parent-death signal must take QEMU with it.
func TestQEMUDiesWithItsParent(t *testing.T) {
	if os.Getenv("EMU_ORPHAN_HELPER") == "1" {
		ctx := context.Background()
		elf, err := crashlab.ELF(ctx, "netduino2", "idle")
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		q, err := StartQEMU(ctx, QEMUConfig{Machine: "netduino2", Kernel: elf, Halted: true, Serials: []string{"null"}})
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		fmt.Printf("qemu-pid=%d\n", q.Pid())
		os.Exit(0) // no Stop
	}
	needQEMU(t)
	ctx := testCtx(t, time.Minute)
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestQEMUDiesWithItsParent$")
	cmd.Env = append(os.Environ(), "EMU_ORPHAN_HELPER=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("helper: %v\n%s", err, out)
	}
	var pid int
	for _, l := range strings.Split(string(out), "\n") {
		if _, err := fmt.Sscanf(l, "qemu-pid=%d", &pid); err == nil {
			break
		}
	}
	if pid == 0 {
		t.Fatalf("helper printed no qemu pid:\n%s", out)
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if processGone(pid) {
			return
		}
	}
	_ = syscall.Kill(pid, syscall.SIGKILL)
	t.Fatalf("qemu %d outlived the process that started it", pid)
}
