package dumpfile

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/faultline-dev/faultline/capture"
	"github.com/faultline-dev/faultline/capture/crashcatcher"
	"github.com/faultline-dev/faultline/capture/zephyrdump"
)

func TestReadTellsFormatsApartByContent(t *testing.T) {
	dir := t.TempDir()
	probeRS, err := os.ReadFile(filepath.Join("..", "probers", "testdata", "probe-rs", "RP2040_svcall.coredump"))
	if err != nil {
		t.Fatal(err)
	}
	// A faultline capture is an ELF core; Read hands it to capture.Read.
	var core bytes.Buffer
	own := &capture.Snapshot{
		Registers: map[string]uint32{"pc": 0x08000100, "sp": 0x20000ff0},
		Memory:    []capture.Region{{Addr: 0x20000000, Data: make([]byte, 64), Name: "ram"}},
		Meta:      capture.Meta{Schema: capture.SchemaV1},
	}
	if err := capture.Encode(&core, own); err != nil {
		t.Fatal(err)
	}
	elfCore := core.Bytes()
	ccText, err := os.ReadFile(filepath.Join("..", "crashcatcher", "testdata", "crashlab-mps2-an385.txt"))
	if err != nil {
		t.Fatal(err)
	}
	ccDump, _, err := crashcatcher.FromHex(string(ccText))
	if err != nil {
		t.Fatal(err)
	}
	zText, err := os.ReadFile(filepath.Join("..", "zephyrdump", "testdata", "console-nullcall.log"))
	if err != nil {
		t.Fatal(err)
	}
	zDump, _, err := zephyrdump.FromLog(string(zText))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		data    []byte
		want    Format
		wantErr string
	}{
		{"probe-rs dump named .core", probeRS, ProbeRS, ""},
		{"ELF core named .coredump", elfCore, ELFCore, ""},
		{"CrashCatcher binary dump", ccDump, CrashCatcher, ""},
		{"console log with a CrashCatcher hex dump", ccText, CrashCatcherHex, ""},
		{"Zephyr binary core dump", zDump, Zephyr, ""},
		{"console log with Zephyr #CD: lines", zText, ZephyrLog, ""},
		{"text", []byte("just some log\n"), Unknown, "not a format faultline reads"},
		{"empty", nil, Unknown, "not a format faultline reads"},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, fmt.Sprintf("dump%d", i))
			if err := os.WriteFile(path, tc.data, 0o644); err != nil {
				t.Fatal(err)
			}
			snap, format, err := Read(path)
			if format != tc.want {
				t.Errorf("format %q, want %q", format, tc.want)
			}
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || snap != nil {
					t.Fatalf("got %v, %v; want no snapshot and an error saying %q", snap, err, tc.wantErr)
				}
				return
			}
			if err != nil || snap == nil || len(snap.Registers) == 0 || len(snap.Memory) == 0 {
				t.Fatalf("got %v, %v; want registers and memory", snap, err)
			}
		})
	}
}
