package gdbremote

// Telling the GDB servers apart by what they answer, and the Black Magic
// Probe's attach. What each server says was read from its source or
// manual; the table in doc.go names where.

import (
	"context"
	"errors"
	"fmt"
)

// stubFromFeatures names the server from its qSupported reply alone, where
// the reply is enough (StubUnknown otherwise; guessStub then looks at
// target.xml for OpenOCD and QEMU):
//
//   - pyOCD adds QNonStop+ to qXfer:threads:read+ (pyocd/gdbserver/
//     gdbserver.py, handle_query "Supported"); OpenOCD never says QNonStop.
//   - J-Link GDB Server echoes hwbreak+ (a logged session:
//     "PacketSize=4000;qXfer:memory-map:read-;QStartNoAckMode+;hwbreak+;
//     qXfer:features:read+", cortex-debug issue 450).
//   - st-util: "PacketSize=3fff;qXfer:memory-map:read+;qXfer:features:read+"
//     and nothing else (src/st-util/gdb-server.c).
//   - Black Magic Probe: qXfer:memory-map:read+ and qXfer:features:read+,
//     vContSupported+ and QStartNoAckMode+ on current firmware, never
//     qXfer:threads (src/gdb_main.c exec_q_supported).
//   - ST-LINK gdbserver: closed source; assumed to offer QStartNoAckMode+
//     and target.xml without a memory map, threads, vCont or multiprocess.
func stubFromFeatures(feats map[string]string) Stub {
	has := func(name string) bool { v, ok := feats[name]; return ok && v != "-" }
	_, memmap := feats["qXfer:memory-map:read"]
	switch {
	case has("QNonStop") && has("qXfer:threads:read"):
		return StubPyOCD
	case has("hwbreak"):
		return StubJLink
	case feats["PacketSize"] == "3fff" && memmap && !has("QStartNoAckMode") && !has("qXfer:threads:read"):
		return StubSTUtil
	case memmap && !has("qXfer:threads:read") && !has("multiprocess"):
		return StubBlackMagic
	case has("QStartNoAckMode") && !memmap && !has("qXfer:threads:read") && !has("vContSupported") && !has("multiprocess"):
		return StubSTLink
	}
	return StubUnknown
}

// attachBlackMagic scans the SWD bus and attaches to the first target, as
// a user types "monitor swd_scan" and "attach 1" (src/command.c: swd_scan,
// swdp_scan on firmware before 2.0; src/gdb_main.c exec_v_attach answers
// vAttach with T05thread:1; or E01).
func (cl *Client) attachBlackMagic(ctx context.Context) error {
	out, err := cl.Monitor(ctx, "swd_scan")
	if err != nil {
		// Firmware before v2.0 knows only the old name.
		out, err = cl.Monitor(ctx, "swdp_scan")
	}
	if err != nil {
		return fmt.Errorf("black magic probe: scan for targets: %w", err)
	}
	if _, err := cl.Attach(ctx, 1); err != nil {
		return fmt.Errorf("black magic probe: attach to target 1 (scan said %q): %w", out, err)
	}
	return nil
}

// Attach attaches to target (process) n with vAttach and returns the stop
// reply: the target is halted.
func (cl *Client) Attach(ctx context.Context, n int) (StopReply, error) {
	op := fmt.Sprintf("attach %d", n)
	reply, err := cl.exchange(ctx, op, fmt.Appendf(nil, "vAttach;%x", n))
	if err != nil {
		return StopReply{}, err
	}
	sr, err := ParseStopReply(string(reply))
	if err != nil {
		return sr, fmt.Errorf("%s: %w", op, err)
	}
	if sr.Exited() {
		return sr, fmt.Errorf("%s: %w", op, errors.New("no target answered (W/X reply)"))
	}
	cl.rmu.Lock()
	cl.noteStop(sr)
	cl.rmu.Unlock()
	return sr, nil
}
