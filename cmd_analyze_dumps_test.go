package main

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// TestAnalyzeProbeRSCoreDump: `faultline analyze X.coredump --elf X.elf`
// on a dump probe-rs wrote, told apart from a capture by content.
func TestAnalyzeProbeRSCoreDump(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join("capture", "probers", "testdata", "probe-rs", "nRF52833_xxAA_hardfault_from_busfault")
	in, err := os.Open(src + ".elf.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	zr, err := gzip.NewReader(in)
	if err != nil {
		t.Fatal(err)
	}
	elf := filepath.Join(dir, "fw.elf")
	out, err := os.Create(elf)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, zr); err != nil {
		t.Fatal(err)
	}
	out.Close()
	dump, err := filepath.Abs(src + ".coredump")
	if err != nil {
		t.Fatal(err)
	}
	r := runFaultline(t, context.Background(), dir, "", "analyze", dump, "--elf", elf, "--json")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var rep struct {
		Fault struct {
			Exception    string   `json:"exception"`
			Causes       []string `json:"causes"`
			FaultAddress string   `json:"fault_address"`
		} `json:"fault"`
		Frames []struct {
			Function string `json:"function"`
		} `json:"frames"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("not a report: %v\n%s", err, r.stdout)
	}
	// probe-rs's own snapshot: "HardFault <Cause: Escalated BusFault
	// <Cause: Precise data access error at location: 0x3ffffffc>>",
	// read_volatile<u32> in trigger_hardfault_from_busfault.
	if rep.Fault.Exception != "HardFault" || rep.Fault.FaultAddress != "0x3ffffffc" {
		t.Errorf("fault %+v, want HardFault at 0x3ffffffc", rep.Fault)
	}
	if len(rep.Frames) < 2 || rep.Frames[0].Function != "core::ptr::read_volatile" || rep.Frames[1].Function != "nRF52833_xxAA::trigger_hardfault_from_busfault" {
		t.Errorf("frames %+v", rep.Frames)
	}
}
