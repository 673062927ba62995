package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/faultline-dev/faultline/emu"
	"github.com/faultline-dev/faultline/faultdecode/report"
	"github.com/faultline-dev/faultline/firmware/crashlab"
)

// TestCaptureDeadServerSaysSo: nothing listening gives exit 1 and a clear
// sentence, quickly.
func TestCaptureDeadServerSaysSo(t *testing.T) {
	t.Parallel()
	r := runFaultline(t, context.Background(), t.TempDir(), "", "capture", "--gdb", "127.0.0.1:1", "--once")
	if r.code != exitError {
		t.Fatalf("exit %d, want 1: %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "127.0.0.1:1") {
		t.Errorf("error does not name the server: %s", r.stderr)
	}
}

// TestCaptureWrongELFSaysSoLoudly: explaining a crash against an ELF that
// is not what the target runs gives matches_target false and a warning.
func TestCaptureWrongELFSaysSoLoudly(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	running, err := crashlab.ELF(ctx, "mps2-an385", "divzero")
	if err != nil {
		t.Fatal(err)
	}
	other, err := crashlab.ELF(ctx, "mps2-an385", "undef")
	if err != nil {
		t.Fatal(err)
	}
	q, err := emu.StartQEMU(ctx, emu.QEMUConfig{Machine: "mps2-an385", Kernel: running, Halted: true, Serials: []string{"null"}})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Stop()
	r := runFaultline(t, ctx, t.TempDir(), "", "capture", "--gdb", q.GDBAddr, "--elf", other, "--board", "mps2-an385", "--once", "--json", "--timeout", "30s")
	if r.code != 0 {
		t.Fatalf("capture exit %d: %s", r.code, r.stderr)
	}
	var rep report.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.ELF.MatchesTarget == nil || *rep.ELF.MatchesTarget {
		t.Errorf("matches_target = %v, want false", rep.ELF.MatchesTarget)
	}
	if !strings.Contains(r.stderr, "does not match") {
		t.Errorf("no warning on stderr:\n%s", r.stderr)
	}
}
