package gdbremote

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
)

// A peer that went away is ErrClosed however the socket says so: end of
// file, or a reset (its read ECONNRESET, a write EPIPE), which is what a
// server killed with our ack unread gives.
func TestMapNetErrTakesAResetPeerForClosed(t *testing.T) {
	op := func(call string, errno syscall.Errno) error {
		return &net.OpError{Op: call, Net: "tcp", Err: os.NewSyscallError(call, errno)}
	}
	tests := []struct {
		name   string
		err    error
		closed bool
	}{
		{"end of file", io.EOF, true},
		{"closed here", net.ErrClosed, true},
		{"reset on read", op("read", syscall.ECONNRESET), true},
		{"broken pipe on write", op("write", syscall.EPIPE), true},
		{"aborted", op("read", syscall.ECONNABORTED), true},
		{"refused by the host", op("dial", syscall.ECONNREFUSED), false},
		{"another error", errors.New("bad reply"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := errors.Is(mapNetErr(context.Background(), tt.err), ErrClosed); got != tt.closed {
				t.Errorf("mapNetErr(%v) is ErrClosed: %v, want %v", tt.err, got, tt.closed)
			}
		})
	}
}
