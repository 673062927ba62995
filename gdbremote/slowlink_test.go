package gdbremote_test

import (
	"strings"
	"testing"
	"time"

	"github.com/faultline-dev/faultline/gdbremote"
	"github.com/faultline-dev/faultline/gdbremote/rsptest"
)

// TestReadMemoryOverASlowLinkUsesTheLargestPackets: on a link with a round
// trip per request, 128 KiB costs as few requests as OpenOCD's PacketSize
// allows (17 'm' of at most 8188 bytes), and the fake's link knob makes
// the read take at least the round trips plus the bytes at its bandwidth.
func TestReadMemoryOverASlowLinkUsesTheLargestPackets(t *testing.T) {
	t.Parallel()
	link := rsptest.Link{RTT: 2 * time.Millisecond, Bandwidth: 1 << 20}
	fk, addr := rsptest.ListenOpenOCD(t, rsptest.Config{State: baseState(), Link: link})
	cl := dial(t, addr, gdbremote.Options{})
	before := len(fk.Requests())
	start := time.Now()
	b, err := cl.ReadMemory(ctxT(t), 0x20000000, 128<<10)
	took := time.Since(start)
	if err != nil || len(b) != 128<<10 {
		t.Fatalf("read %d bytes: %v", len(b), err)
	}
	var ms []string
	for _, r := range fk.Requests()[before:] {
		if strings.HasPrefix(r, "m") {
			ms = append(ms, r)
		}
	}
	if len(ms) != 17 || ms[0] != "m20000000,1ffc" {
		t.Errorf("%d 'm' requests (first %q), want 17 of 0x1ffc bytes", len(ms), ms[0])
	}
	floor := 17*link.RTT + time.Duration(float64(128<<10)/float64(link.Bandwidth)*float64(time.Second))
	if took < floor {
		t.Errorf("read took %v, less than the link allows (%v)", took, floor)
	}
	t.Logf("128 KiB over a %v, %d B/s link: %v (floor %v)", link.RTT, link.Bandwidth, took, floor)
}

// TestReadRegistersWhereSkipsUnwantedRegisters: a caller that keeps only
// 32-bit registers sends no 'p' for the FP d registers of a Cortex-M4F.
func TestReadRegistersWhereSkipsUnwantedRegisters(t *testing.T) {
	t.Parallel()
	fk, addr := rsptest.ListenOpenOCD(t, rsptest.Config{State: baseState(), CM4F: true})
	cl := dial(t, addr, gdbremote.Options{})
	before := len(fk.Requests())
	regs, err := cl.ReadRegistersWhere(ctxT(t), func(r gdbremote.Register) bool { return r.Bytes() <= 4 })
	if err != nil {
		t.Fatal(err)
	}
	var ps []string
	for _, r := range fk.Requests()[before:] {
		if strings.HasPrefix(r, "p") {
			ps = append(ps, r)
		}
	}
	// msp psp primask basepri faultmask control fpscr; d0-d15 are 44-59.
	if len(ps) != 7 {
		t.Errorf("sent %v, want 7 'p' (m-system registers and fpscr only)", ps)
	}
	if _, ok := regs["d0"]; ok {
		t.Error("d0 was read")
	}
	if regs["msp"] != 0x2001ff00 || regs["basepri"] != 0x20 {
		t.Errorf("msp %#x basepri %#x", regs["msp"], regs["basepri"])
	}
}
