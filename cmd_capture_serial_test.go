package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/faultline-dev/faultline/emu"
	"github.com/faultline-dev/faultline/faultdecode/report"
	"github.com/faultline-dev/faultline/firmware/crashlab"
)

// TestCaptureSerialOnlyPanicLine: with --serial and no --gdb, a Device OS
// panic line on the console is the crash; the report holds the console
// evidence.
func TestCaptureSerialOnlyPanicLine(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	elf, err := crashlab.ELF(ctx, "netduino2", "panicline")
	if err != nil {
		t.Fatal(err)
	}
	stdout, stderr := captureSerialOnce(t, ctx, "netduino2", elf, t.TempDir())
	var rep report.Report
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("not one JSON report: %v\n%s", err, stdout)
	}
	if rep.Trigger.Kind != "serial-panic" {
		t.Errorf("trigger %q, want serial-panic", rep.Trigger.Kind)
	}
	if !strings.Contains(rep.Trigger.Detail, "PANIC: HardFault") {
		t.Errorf("trigger detail %q lacks the panic line", rep.Trigger.Detail)
	}
	if rep.Fault.Exception != "HardFault" {
		t.Errorf("exception %q, want the HardFault the panic line names", rep.Fault.Exception)
	}
	if !strings.Contains(stderr, "capture saved to") {
		t.Errorf("no capture path on stderr:\n%s", stderr)
	}
}

// captureSerialOnce runs `faultline capture --serial --once --json` in dir
// on the console of QEMU machine running elf, with more flags after, and
// returns its stdout (the report) and stderr. QEMU starts halted and runs
// the firmware only once faultline watches the console, so nothing the
// firmware prints can come before it.
func captureSerialOnce(t *testing.T, ctx context.Context, machine, elf, dir string, more ...string) (stdout, stderr string) {
	t.Helper()
	q, err := emu.StartQEMU(ctx, emu.QEMUConfig{Machine: machine, Kernel: elf, Halted: true, Serials: []string{"pty"}})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Stop()
	args := append([]string{"capture", "--serial", q.PTYs[0], "--elf", elf, "--once", "--json", "--timeout", "60s"}, more...)
	cmd := exec.CommandContext(ctx, faultlineBin, args...)
	cmd.Dir = dir
	var out strings.Builder
	cmd.Stdout = &out
	errPipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var errText strings.Builder
	sc := bufio.NewScanner(errPipe)
	for sc.Scan() {
		errText.WriteString(sc.Text() + "\n")
		if strings.Contains(sc.Text(), "waiting for a crash") {
			break
		}
	}
	if err := gdbContinue(ctx, q.GDBAddr); err != nil {
		t.Fatal(err)
	}
	rest, _ := io.ReadAll(errPipe)
	errText.Write(rest)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("capture: %v\nstderr:\n%s", err, errText.String())
	}
	return out.String(), errText.String()
}

// gdbContinue resumes a CPU QEMU holds at -S with one "c" packet.
func gdbContinue(ctx context.Context, addr string) error {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, "$c#63"); err != nil {
		return err
	}
	ack := make([]byte, 1)
	_, err = io.ReadFull(c, ack)
	return err
}
