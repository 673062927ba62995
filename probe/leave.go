package probe

import (
	"context"
	"strings"
	"time"
)

// Leave halts a target the session left running (a watch that ended
// without a crash) and removes fault catching, so the GDB server is left
// sane for the next debugger. A crashed or halted target is left as it is.
// It waits at most 5 s, also after ctx ended (it is cleanup). A nil
// session has nothing to leave.
func (s *Session) Leave(ctx context.Context) {
	if s == nil || s.Target() == nil || s.Status().Target != StatusRunning {
		return
	}
	hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := s.Halt(hctx); err == nil {
		_ = s.DisarmFaultCatch(hctx)
	}
}

// Watching says what the session watches: "127.0.0.1:3333 (openocd) and
// serial /dev/ttyACM0 @115200".
func (st SessionStatus) Watching() string {
	var parts []string
	if st.GDB != "" {
		parts = append(parts, st.GDB)
	}
	if st.Serial != "" {
		parts = append(parts, "serial "+st.Serial)
	}
	return strings.Join(parts, " and ")
}
