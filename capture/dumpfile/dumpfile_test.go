package dumpfile

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/faultline-dev/faultline/capture"
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
	tests := []struct {
		name    string
		data    []byte
		want    Format
		wantErr string
	}{
		{"probe-rs dump named .core", probeRS, ProbeRS, ""},
		{"ELF core named .coredump", elfCore, ELFCore, ""},
		{"text", []byte("just some log\n"), Unknown, "not a format faultline reads"},
		{"empty", nil, Unknown, "not a format faultline reads"},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, []string{"a.core", "b.coredump", "c.log", "d"}[i])
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
