package probe

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/faultline-dev/faultline/capture"
	"github.com/faultline-dev/faultline/gdbremote/rsptest"
)

// TestSnapshotReadsAroundAnUnreadableHole: a range with an area the server
// refuses (QEMU answers E14 behind an MPU no-access guard) is captured all
// around the hole, and the hole is named in Missing.
func TestSnapshotReadsAroundAnUnreadableHole(t *testing.T) {
	low := bytes.Repeat([]byte{0x11}, 0x100)
	high := bytes.Repeat([]byte{0x22}, 0x2000-0x140)
	st := rsptest.State{
		Regs: map[string]uint64{"pc": 0x100, "sp": 0x20001000},
		Memory: []rsptest.Region{
			{Addr: 0x20000000, Data: low},
			{Addr: 0x20000140, Data: high}, // 0x20000100..0x20000140 unreadable
			{Addr: 0xE000ED00, Data: make([]byte, 0x40)},
			{Addr: 0xE000ED90, Data: make([]byte, 0x14)},
			{Addr: 0xE000EDF0, Data: make([]byte, 0x10)},
		},
	}
	_, addr := rsptest.ListenQEMU(t, rsptest.Config{State: st})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	board := Board{Name: "test", RAM: []MemRange{{Name: "ram", Addr: 0x20000000, Size: 0x2000}}}
	tgt, err := ConnectTarget(ctx, TargetOptions{Addr: addr, Board: board})
	if err != nil {
		t.Fatal(err)
	}
	defer tgt.Close()
	snap, err := tgt.Snapshot(ctx, capture.Trigger{Kind: "manual"}, "")
	if err != nil {
		t.Fatal(err)
	}
	check := func(addr uint64, want []byte) {
		t.Helper()
		got := make([]byte, len(want))
		if _, err := snap.ReadMemory(got, addr); err != nil || !bytes.Equal(got, want) {
			t.Errorf("0x%08x: %v (content equal: %v)", addr, err, bytes.Equal(got, want))
		}
	}
	check(0x20000000, low)
	check(0x20000140, high)
	if _, err := snap.ReadMemory(make([]byte, 4), 0x20000100); err == nil {
		t.Error("the unreadable hole reads as captured")
	}
	missing := strings.Join(snap.Meta.Missing, "\n")
	if !strings.Contains(missing, "0x20000100..0x20000140") {
		t.Errorf("Missing does not name the hole exactly:\n%s", missing)
	}
}
