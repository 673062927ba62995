package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/faultline-dev/faultline/capture"
	"github.com/faultline-dev/faultline/gdbremote/rsptest"
)

// TestMemFlagMalformedIsAUsageError: a bad --mem (or mem in faultline.toml)
// exits 2 and says the expected form, on every command that captures.
func TestMemFlagMalformedIsAUsageError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		args   []string
		config string
	}{
		{"capture without size", []string{"capture", "--gdb", "127.0.0.1:1", "--mem", "0x10000000"}, ""},
		{"capture bad suffix", []string{"capture", "--gdb", "127.0.0.1:1", "--mem", "0x10000000:64Q"}, ""},
		{"capture zero size", []string{"capture", "--gdb", "127.0.0.1:1", "--mem", "0x10000000:0"}, ""},
		{"capture past 4 GiB", []string{"capture", "--gdb", "127.0.0.1:1", "--mem", "0xFFFFFF00:1K"}, ""},
		{"attach", []string{"attach", "--gdb", "127.0.0.1:1", "--mem", "lots"}, ""},
		{"soak", []string{"soak", "--bench", "--mem", "0x20000000"}, ""},
		{"demo", []string{"demo", "--no-tui", "--mem", "x:1K"}, ""},
		{"config file", []string{"capture", "--gdb", "127.0.0.1:1"}, "mem = [\"0x10000000:64K\", \"0x2000\"]\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if tc.config != "" {
				if err := os.WriteFile(filepath.Join(dir, "faultline.toml"), []byte(tc.config), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			r := runFaultline(t, context.Background(), dir, "", tc.args...)
			if r.code != exitUsage {
				t.Fatalf("exit %d, want %d; stderr: %s", r.code, exitUsage, r.stderr)
			}
			if !strings.Contains(r.stderr, "ADDR:SIZE") && !strings.Contains(r.stderr, "address space") {
				t.Errorf("the message does not say the expected form: %s", r.stderr)
			}
			if tc.config != "" && !strings.Contains(r.stderr, "faultline.toml") {
				t.Errorf("the message does not name the config file: %s", r.stderr)
			}
		})
	}
}

// TestCaptureReadsMemRanges: --mem and faultline.toml's mem add ranges to
// the capture file, read from the target, outside anything the ELF or the
// board names.
func TestCaptureReadsMemRanges(t *testing.T) {
	t.Parallel()
	ccm := bytes.Repeat([]byte{0xc5, 0xc6, 0xc7, 0xc8}, 0x4000) // 64 KiB at 0x10000000
	sram2 := bytes.Repeat([]byte{0x5a}, 0x1000)                 // 4 KiB at 0x2007c000
	tests := []struct {
		name   string
		args   []string
		config string
	}{
		{"flags", []string{"--mem", "0x10000000:64K", "--mem", "0x2007c000:4096"}, ""},
		{"config file", nil, "mem = [\"0x10000000:64K\", \"0x2007c000:0x1000\"]\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// Halted in HardFault: captured as it is, at once.
			st := rsptest.State{
				Regs: map[string]uint64{"pc": 0x08000200, "xpsr": 0x01000003, "sp": 0x20000f00, "msp": 0x20000f00, "lr": 0xfffffff9},
				Memory: []rsptest.Region{
					{Addr: 0x10000000, Data: ccm},
					{Addr: 0x20000000, Data: make([]byte, 0x1000)},
					{Addr: 0x2007c000, Data: sram2},
					{Addr: 0xE000ED00, Data: make([]byte, 0x40)},
				},
			}
			_, addr := rsptest.ListenOpenOCD(t, rsptest.Config{State: st, AttachStop: "S05"})
			dir := t.TempDir()
			if tc.config != "" {
				if err := os.WriteFile(filepath.Join(dir, "faultline.toml"), []byte(tc.config), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			args := append([]string{"capture", "--gdb", addr, "--board", "netduino2", "--once", "--json", "--timeout", "20s"}, tc.args...)
			r := runFaultline(t, context.Background(), dir, "", args...)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			snap, err := capture.Read(savedPath(t, dir, r.stderr))
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []struct {
				addr uint64
				data []byte
			}{{0x10000000, ccm}, {0x2007c000, sram2}} {
				got := make([]byte, len(want.data))
				if _, err := snap.ReadMemory(got, want.addr); err != nil || !bytes.Equal(got, want.data) {
					t.Errorf("range at 0x%08x: %v (equal %v)", want.addr, err, bytes.Equal(got, want.data))
				}
			}
			if _, ok := snap.Region("mem"); !ok {
				t.Errorf("no region named mem in the capture")
			}
		})
	}
}

// TestUnreadableRangeIsNamedInTheReport: a range the target refuses is
// named in the capture's missing list and in the report, JSON and text.
func TestUnreadableRangeIsNamedInTheReport(t *testing.T) {
	t.Parallel()
	st := rsptest.State{
		Regs: map[string]uint64{"pc": 0x08000200, "xpsr": 0x01000003, "sp": 0x20000f00, "msp": 0x20000f00, "lr": 0xfffffff9},
		Memory: []rsptest.Region{
			{Addr: 0x20000000, Data: make([]byte, 0x1000)},
			{Addr: 0xE000ED00, Data: make([]byte, 0x40)},
		},
	}
	const want = "mem 0x30000000..0x30001000"
	for _, format := range []string{"--json", "--text"} {
		t.Run(format, func(t *testing.T) {
			_, addr := rsptest.ListenQEMU(t, rsptest.Config{State: st})
			dir := t.TempDir()
			args := []string{"capture", "--gdb", addr, "--board", "netduino2", "--once", "--timeout", "20s", "--mem", "0x30000000:4K"}
			if format == "--json" {
				args = append(args, "--json")
			}
			r := runFaultline(t, context.Background(), dir, "", args...)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			snap, err := capture.Read(savedPath(t, dir, r.stderr))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(strings.Join(snap.Meta.Missing, "\n"), want) {
				t.Errorf("capture's missing list does not name %q: %q", want, snap.Meta.Missing)
			}
			if !strings.Contains(r.stdout, want) {
				t.Errorf("the %s report does not name %q:\n%s", format, want, r.stdout)
			}
		})
	}
}
