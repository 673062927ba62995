package probe

import (
	"context"
	"encoding/binary"
	"strings"
	"testing"
	"time"

	"github.com/faultline-dev/faultline/gdbremote/rsptest"
)

// TestSessionDecodesTheSOSOnSlowLinks: on a loaded host (every request
// and reply late) the session still decodes the firmware's SOS.
//   - QEMU: every sample halts the core, and a halt takes longer than the
//     run between samples. The firmware times its SOS on its own clock,
//     which stops while halted, so the session must decode on run time:
//     on the wall clock this SOS is stretched to nearly three times its
//     length and reads as a slow blink (the CI failure of stop 9).
//   - OpenOCD: memory is read while the core runs, so no sample halts it.
func TestSessionDecodesTheSOSOnSlowLinks(t *testing.T) {
	t.Parallel()
	for _, server := range []string{"qemu", "openocd"} {
		t.Run(server, func(t *testing.T) {
			t.Parallel()
			testSessionDecodesSOS(t, server)
		})
	}
}

func testSessionDecodesSOS(t *testing.T, server string) {
	prof := PhotonLEDProfile()
	base, size := prof.span()
	sos, _ := sosWave(1)
	const dark = time.Second // the pause before the first preamble
	regs := func(ran time.Duration) []byte {
		lit := 0.0
		if ran >= dark {
			lit = sos(ran - dark)
		}
		b := make([]byte, size)
		put := func(off uint64, v uint32) { binary.LittleEndian.PutUint32(b[prof.TimerBase+off-base:], v) }
		const arr = 999
		put(prof.ARROffset, arr)
		put(prof.CCROffset[0], uint32((1-lit)*(arr+1))) // active low
		put(prof.CCROffset[1], arr+1)
		put(prof.CCROffset[2], arr+1)
		return b
	}
	st := runningCortexM(0x08000200)
	cfg := rsptest.Config{
		State:       st,
		Peripherals: []rsptest.Peripheral{{Addr: base, Size: size, Read: regs}},
		Latency:     10 * time.Millisecond,
	}
	listen := rsptest.ListenQEMU
	if server == "openocd" {
		listen = rsptest.ListenOpenOCD
	}
	fk, addr := listen(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	sess, err := StartSession(ctx, SessionOptions{
		Target: &TargetOptions{Addr: addr, Board: testBoard},
		LED:    &prof,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	events := sess.Timeline().Subscribe(ctx)
	var seen []string
	for {
		select {
		case <-ctx.Done():
			var evs []string
			for _, e := range sess.Timeline().Events() {
				evs = append(evs, e.Source+": "+e.Text)
			}
			st := sess.Status()
			t.Fatalf("no SOS 1 decoded; LED states seen: %q\ntarget %s (%v); events:\n%s", seen, st.Target, st.Err, strings.Join(evs, "\n"))
		case e := <-events:
			if e.Kind != EventLEDChange {
				continue
			}
			seen = append(seen, e.Text)
			if strings.HasPrefix(e.Text, "SOS 1") {
				if n := fk.Interrupts(); server == "openocd" && n > 0 {
					t.Errorf("the LED sampler halted OpenOCD's target %d times; it reads while running", n)
				}
				return
			}
		}
	}
}

// runningCortexM is a fake target state for a session: a Cortex-M running
// thread code from flash, a vector table at 0x08000000 (VTOR) whose fault
// vectors all point at handler, and 4 KiB of SRAM at 0x20000000.
func runningCortexM(handler uint32) rsptest.State {
	vectors := make([]byte, 0x40)
	for i := 2; i < 7; i++ {
		binary.LittleEndian.PutUint32(vectors[i*4:], handler|1)
	}
	scb := make([]byte, 0x40)
	binary.LittleEndian.PutUint32(scb[addrVTOR-0xE000ED00:], 0x08000000)
	return rsptest.State{
		Regs: map[string]uint64{"pc": 0x08000100, "sp": 0x20000f00, "msp": 0x20000f00, "xpsr": 0x01000000},
		Memory: []rsptest.Region{
			{Addr: 0x08000000, Data: vectors},
			{Addr: 0x20000000, Data: make([]byte, 0x1000)},
			{Addr: 0xE000ED00, Data: scb},
		},
	}
}

// testBoard is runningCortexM's memory map.
var testBoard = Board{Name: "test", RAM: []MemRange{{Name: "ram", Addr: 0x20000000, Size: 0x1000}}}
