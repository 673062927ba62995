package probe

import (
	"context"
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
	st := runningCortexM(handler)
	crash := rsptest.Run{Delay: 200 * time.Millisecond, Stop: "T05",
		Regs: map[string]uint64{"pc": handler, "xpsr": 0x01000003, "lr": 0xfffffff9}}
	_, addr := rsptest.ListenOpenOCD(t, rsptest.Config{State: st, Script: []rsptest.Run{crash},
		Faults: []rsptest.Fault{
			{Match: "pf", Kind: rsptest.FaultKeepAlive},                            // the PC read at attach: on time
			{Match: "pf", Kind: rsptest.FaultDelay, Delay: 600 * time.Millisecond}, // the PC read after the stop: late
		}})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	sess, err := StartSession(ctx, SessionOptions{Target: &TargetOptions{Addr: addr, Board: testBoard, Timeout: 300 * time.Millisecond}})
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
