package probe

import (
	"context"
	"encoding/binary"
	"strings"
	"testing"
	"time"

	"github.com/faultline-dev/faultline/gdbremote/rsptest"
)

// TestSessionRidesOutASlowAnswer: when reading why the target stopped
// times out (a loaded host), the session asks again instead of calling the
// target lost, and the crash is still caught and captured whole.
func TestSessionRidesOutASlowAnswer(t *testing.T) {
	t.Parallel()
	const handler = 0x08000200
	vectors := make([]byte, 0x40)
	for i := 2; i < 7; i++ {
		binary.LittleEndian.PutUint32(vectors[i*4:], handler|1)
	}
	scb := make([]byte, 0x40)
	binary.LittleEndian.PutUint32(scb[addrVTOR-0xE000ED00:], 0x08000000)
	st := rsptest.State{
		Regs: map[string]uint64{"pc": 0x08000100, "sp": 0x20000f00, "msp": 0x20000f00, "xpsr": 0x01000000},
		Memory: []rsptest.Region{
			{Addr: 0x08000000, Data: vectors},
			{Addr: 0x20000000, Data: make([]byte, 0x1000)},
			{Addr: 0xE000ED00, Data: scb},
		},
	}
	crash := rsptest.Run{Delay: 200 * time.Millisecond, Stop: "T05",
		Regs: map[string]uint64{"pc": handler, "xpsr": 0x01000003, "lr": 0xfffffff9}}
	_, addr := rsptest.ListenOpenOCD(t, rsptest.Config{State: st, Script: []rsptest.Run{crash},
		Faults: []rsptest.Fault{
			{Match: "pf", Kind: rsptest.FaultKeepAlive},                            // the PC read at attach: on time
			{Match: "pf", Kind: rsptest.FaultDelay, Delay: 600 * time.Millisecond}, // the PC read after the stop: late
		}})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	board := Board{Name: "test", RAM: []MemRange{{Name: "ram", Addr: 0x20000000, Size: 0x1000}}}
	sess, err := StartSession(ctx, SessionOptions{Target: &TargetOptions{Addr: addr, Board: board, Timeout: 300 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	select {
	case c := <-sess.Crashes():
		if c.Snapshot == nil || c.Err != nil {
			t.Fatalf("crash captured with error: %v", c.Err)
		}
		if c.Snapshot.Meta.Trigger.Kind != "fault-handler" {
			t.Errorf("trigger %+v, want fault-handler", c.Snapshot.Meta.Trigger)
		}
	case <-ctx.Done():
		t.Fatalf("no crash delivered; target %s (%v)", sess.Status().Target, sess.Status().Err)
	}
	var slow bool
	for _, e := range sess.Timeline().Events() {
		slow = slow || strings.Contains(e.Text, "slow to answer")
	}
	if !slow {
		t.Error("the slow answer is not on the timeline")
	}
}
