package faultdecode

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/faultline-dev/faultline/capture"
	"github.com/faultline-dev/faultline/faultdecode/internal/fdtest"
)

// The unwinder's end-to-end tests build testdata/unwind with
// arm-none-eabi-gcc (cached by a hash of the sources and flags), run it in
// QEMU's netduino2, stop at the fault handler with gdb-multiarch, and turn
// what gdb read into a capture.Snapshot. gdb's own `bt` is kept for
// comparison.

// unwindELF builds (cached across runs) the test firmware.
func unwindELF(t testing.TB) string {
	t.Helper()
	return fdtest.UnwindELF(t, "testdata")
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// qemuCrash is one crash stopped at a fault handler.
type qemuCrash struct {
	Snap *capture.Snapshot
	BT   []string // function names from gdb's bt, handler and "<signal handler called>" included
}

var regLine = regexp.MustCompile(`^(\w+)\s+0x([0-9a-f]+)\s`)
var btLine = regexp.MustCompile(`^#\d+\s+(?:0x[0-9a-f]+ in )?(\S+) \(`)

// runScenario boots the test firmware, sets `scenario`, and captures the
// state at the first fault handler the core enters.
// afterPrologue breaks at the handler's name instead of its address, so
// gdb stops past the prologue with SP already moved.
func runScenario(t testing.TB, elf string, scenario int, afterPrologue ...bool) qemuCrash {
	t.Helper()
	qemu := fdtest.NeedTool(t, "qemu-system-arm")
	gdb := fdtest.NeedTool(t, "gdb-multiarch")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	dir := t.TempDir()
	port := freePort(t)
	q := exec.CommandContext(ctx, qemu, "-M", "netduino2", "-kernel", elf, "-S", "-gdb", fmt.Sprintf("tcp:127.0.0.1:%d", port),
		"-display", "none", "-serial", "null", "-monitor", "none")
	if err := q.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = q.Process.Kill(); _ = q.Wait() }()
	var conn net.Conn
	for i := 0; i < 500; i++ {
		if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			conn = c
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if conn == nil {
		t.Fatal("QEMU's gdb port never opened")
	}
	conn.Close()
	ram, scb := filepath.Join(dir, "ram.bin"), filepath.Join(dir, "scb.bin")
	at := "*"
	if len(afterPrologue) > 0 && afterPrologue[0] {
		at = ""
	}
	args := []string{"-batch", "-nx", "-ex", "set pagination off", "-ex", "set confirm off",
		"-ex", fmt.Sprintf("target remote 127.0.0.1:%d", port),
		"-ex", "break main", "-ex", "continue", "-ex", fmt.Sprintf("set var scenario = %d", scenario), "-ex", "delete",
		"-ex", "break " + at + "HardFault_Handler", "-ex", "break " + at + "MemManage_Handler", "-ex", "break " + at + "BusFault_Handler", "-ex", "break " + at + "UsageFault_Handler",
		"-ex", "continue", "-ex", "info registers", "-ex", "echo BT\\n", "-ex", "bt 20",
		"-ex", fmt.Sprintf("dump binary memory %s 0x20000000 0x20020000", ram),
		"-ex", fmt.Sprintf("dump binary memory %s 0xE000ED00 0xE000ED40", scb),
		"-ex", "kill", elf}
	out, err := exec.CommandContext(ctx, gdb, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("gdb-multiarch: %v\n%s", err, out)
	}
	regs := map[string]uint32{}
	var bt []string
	inBT := false
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		line := sc.Text()
		if line == "BT" {
			inBT = true
			continue
		}
		if inBT {
			if strings.Contains(line, "<signal handler called>") {
				bt = append(bt, "<signal handler called>")
			} else if m := btLine.FindStringSubmatch(line); m != nil {
				bt = append(bt, m[1])
			}
			continue
		}
		if m := regLine.FindStringSubmatch(line); m != nil {
			v, _ := strconv.ParseUint(m[2], 16, 32)
			regs[m[1]] = uint32(v)
		}
	}
	if _, ok := regs["pc"]; !ok {
		t.Fatalf("no registers in gdb's output:\n%s", out)
	}
	ramData, err := os.ReadFile(ram)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	scbData, err := os.ReadFile(scb)
	if err != nil {
		t.Fatal(err)
	}
	snap := &capture.Snapshot{
		Registers: regs,
		Memory: []capture.Region{
			{Addr: 0x20000000, Data: ramData, Name: "ram"},
			{Addr: 0xE000ED00, Data: scbData, Name: "scb"},
		},
		Meta: capture.Meta{Schema: "faultline.capture/v1", Board: "netduino2", Trigger: capture.Trigger{Kind: "fault-handler"}},
	}
	return qemuCrash{Snap: snap, BT: bt}
}
