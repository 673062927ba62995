package gdbremote_test

import (
	"strings"
	"testing"

	"github.com/faultline-dev/faultline/gdbremote"
	"github.com/faultline-dev/faultline/gdbremote/rsptest"
)

// TestHandshakeNamesEveryServer: each server is told from what it answers,
// and its register map gives the registers a capture needs (msp and psp
// included), whatever its numbering; the Black Magic Probe is scanned and
// attached first.
func TestHandshakeNamesEveryServer(t *testing.T) {
	for _, d := range rsptest.Dialects {
		t.Run(d.Name, func(t *testing.T) {
			t.Parallel()
			fk, addr := d.Listen(t, rsptest.Config{State: baseState()})
			cl := dial(t, addr, gdbremote.Options{})
			if cl.Stub() != d.Stub {
				t.Fatalf("Stub = %v, want %v (features %v)", cl.Stub(), d.Stub, cl.Features())
			}
			regs, err := cl.ReadRegisters(ctxT(t))
			if err != nil {
				t.Fatal(err)
			}
			want := baseState().Regs
			names := []string{"r0", "r12", "sp", "lr", "pc", "xpsr", "msp"}
			if !(d.Name == "qemu") {
				names = append(names, "psp", "control", "basepri")
			}
			for _, n := range names {
				if regs[n] != want[n] {
					t.Errorf("%s = %#x, want %#x", n, regs[n], want[n])
				}
			}
			if _, err := cl.ReadMemory(ctxT(t), 0x20000000, 64); err != nil {
				t.Errorf("read RAM: %v", err)
			}
			if _, err := cl.ReadMemory(ctxT(t), 0x60000000, 4); err == nil {
				if d.Stub != gdbremote.StubOpenOCD {
					t.Error("unmapped memory read without an error")
				}
			}
			reqs := strings.Join(fk.Requests(), "\n")
			attached := strings.Contains(reqs, "vAttach;1") && strings.Contains(reqs, "qRcmd,"+string(gdbremote.EncodeHex([]byte("swd_scan"))))
			if attached != (d.Stub == gdbremote.StubBlackMagic) {
				t.Errorf("scan and attach sent: %v, want only for the Black Magic Probe:\n%s", attached, reqs)
			}
		})
	}
}
