package gdbremote

import (
	"errors"
	"fmt"
)

var (
	// ErrUnsupported is returned (wrapped) when the stub answers a request
	// with an empty packet: the RSP way of saying "I do not know this".
	ErrUnsupported = errors.New("not supported by the stub")
	// ErrClosed is returned (wrapped) when the peer closed the connection,
	// between packets or in the middle of one.
	ErrClosed = errors.New("connection closed by the peer")
	// ErrTimeout is returned (wrapped) when an exchange did not finish within
	// Options.Timeout or the context's deadline.
	ErrTimeout = errors.New("timed out")
	// ErrRunning is returned (wrapped) by any command other than Interrupt and
	// WaitStop while the target runs: on QEMU any byte sent to a running
	// guest stops it and the packet is lost.
	// ErrBadChecksum: a reply arrived damaged in no-ack mode, where the
	// stub cannot be asked to resend it. Reads are retried by re-asking.
	ErrBadChecksum = errors.New("bad checksum")

	ErrRunning = errors.New("target is running: only Interrupt and WaitStop are allowed")
	// ErrNoRegister is returned (wrapped) for a register the target
	// description does not list.
	ErrNoRegister = errors.New("no such register in target.xml")
)

// A RemoteError is an "E NN" reply from the stub.
type RemoteError struct {
	Op   string // what was asked, e.g. "read memory 0x20000000+2048"
	Code int    // NN, e.g. 0x0e for OpenOCD's data abort
	Text string // extra text (a monitor command's output, "E.msg" replies)
}

func (e *RemoteError) Error() string {
	msg := fmt.Sprintf("%s: stub error E%02X", e.Op, e.Code)
	if e.Text != "" {
		msg += ": " + e.Text
	}
	return msg
}

// isErrorReply reports whether a reply is "E NN" (exactly three bytes, so an
// even-length hex memory reply is never mistaken for one) or "E.text".
func parseErrorReply(op string, reply []byte) (*RemoteError, bool) {
	if len(reply) == 3 && reply[0] == 'E' {
		hi, ok1 := unhexDigit(reply[1])
		lo, ok2 := unhexDigit(reply[2])
		if ok1 && ok2 {
			return &RemoteError{Op: op, Code: int(hi<<4 | lo)}, true
		}
	}
	if len(reply) >= 2 && reply[0] == 'E' && reply[1] == '.' {
		return &RemoteError{Op: op, Code: -1, Text: string(reply[2:])}, true
	}
	return nil, false
}
