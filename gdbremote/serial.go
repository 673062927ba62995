package gdbremote

// RSP over a serial port: a Black Magic Probe's GDB server is its first USB
// CDC-ACM port (/dev/ttyACM0), not a TCP socket.

import (
	"context"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"go.bug.st/serial"
)

// SerialPath returns the device path when addr names a serial port
// ("serial:/dev/ttyACM0", or a path under /dev), and ok false for a TCP
// address.
func SerialPath(addr string) (path string, ok bool) {
	if p, found := strings.CutPrefix(addr, "serial:"); found {
		return p, p != ""
	}
	if strings.HasPrefix(addr, "/dev/") || strings.HasPrefix(addr, "COM") {
		return addr, true
	}
	return "", false
}

// DialSerial opens a serial port and runs the handshake over it. The
// server at the other end is taken to be a Black Magic Probe unless
// opts.Stub says otherwise: it is scanned and attached (dialect.go).
func DialSerial(ctx context.Context, path string, opts Options) (*Client, error) {
	// The baud rate means nothing to a CDC-ACM port; 115200 suits a real
	// UART bridge too.
	p, err := serial.Open(path, &serial.Mode{BaudRate: 115200, DataBits: 8, Parity: serial.NoParity, StopBits: serial.OneStopBit})
	if err != nil {
		return nil, fmt.Errorf("open gdb serial port %s: %w", path, err)
	}
	if err := p.SetReadTimeout(serialPoll); err != nil {
		p.Close()
		return nil, fmt.Errorf("gdb serial port %s: %w", path, err)
	}
	if opts.Stub == StubUnknown {
		opts.Stub = StubBlackMagic
	}
	nc := newSerialConn(p, path)
	cl, err := NewClient(ctx, nc, opts)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("gdb server on %s: %w", path, err)
	}
	return cl, nil
}

// serialPoll bounds one blocking read, so a deadline or Close is noticed.
const serialPoll = 20 * time.Millisecond

// serialConn makes a serial.Port a net.Conn: the client's deadlines and
// context cancellation work through read deadlines, which a port lacks;
// reads poll with a short timeout and check the deadline between polls.
type serialConn struct {
	p    serial.Port
	path string

	mu       sync.Mutex
	deadline time.Time
	closed   bool
}

func newSerialConn(p serial.Port, path string) *serialConn { return &serialConn{p: p, path: path} }

func (c *serialConn) Read(b []byte) (int, error) {
	for {
		c.mu.Lock()
		dl, closed := c.deadline, c.closed
		c.mu.Unlock()
		if closed {
			return 0, net.ErrClosed
		}
		if !dl.IsZero() && !time.Now().Before(dl) {
			return 0, os.ErrDeadlineExceeded
		}
		n, err := c.p.Read(b)
		if err != nil {
			c.mu.Lock()
			closed = c.closed
			c.mu.Unlock()
			if closed {
				return n, net.ErrClosed
			}
			return n, fmt.Errorf("read %s: %w", c.path, err)
		}
		if n > 0 {
			return n, nil
		}
		// (0, nil) is the port's read timeout: poll again.
	}
}

func (c *serialConn) Write(b []byte) (int, error) {
	n, err := c.p.Write(b)
	if err != nil {
		return n, fmt.Errorf("write %s: %w", c.path, err)
	}
	return n, nil
}

func (c *serialConn) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	c.mu.Unlock()
	return c.p.Close()
}

func (c *serialConn) SetDeadline(t time.Time) error { return c.SetReadDeadline(t) }

func (c *serialConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	c.deadline = t
	c.mu.Unlock()
	return nil
}

// SetWriteDeadline is accepted and ignored: a serial write completes once
// the driver has the bytes.
func (c *serialConn) SetWriteDeadline(time.Time) error { return nil }

func (c *serialConn) LocalAddr() net.Addr  { return serialAddr(c.path) }
func (c *serialConn) RemoteAddr() net.Addr { return serialAddr(c.path) }

type serialAddr string

func (a serialAddr) Network() string { return "serial" }
func (a serialAddr) String() string  { return string(a) }
