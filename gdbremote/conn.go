package gdbremote

// The client's packet layer: one request and its reply at a time, acks and
// retransmission, console packets delivered on the side, deadlines.

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"time"
)

// maxRetries bounds retransmissions after '-' and re-requests after a bad
// checksum before an exchange fails.
const maxRetries = 3

// traceLimit truncates trace lines: a 16 KiB memory reply is noise.
const traceLimit = 160

type conn struct {
	nc        net.Conn
	dec       *Decoder
	timeout   time.Duration
	trace     io.Writer
	onConsole func(string)

	wmu   sync.Mutex // every write: packets, acks and the 0x03 byte
	tmu   sync.Mutex // trace lines
	noAck bool       // set once QStartNoAckMode was accepted; read under rmu

	// Under the client's read lock (Client.rmu):
	lastSent []byte   // wire form of the last packet, for '-' retransmits
	pending  []byte   // a reply that arrived while we waited for an ack
	collect  []string // non-nil while Monitor accumulates O output
}

func newConn(nc net.Conn, opts Options) *conn {
	return &conn{
		nc:        nc,
		dec:       NewDecoder(bufio.NewReaderSize(nc, 32<<10)),
		timeout:   opts.Timeout,
		trace:     opts.Trace,
		onConsole: opts.OnConsole,
	}
}

func (c *conn) tracef(dir string, b []byte) {
	if c.trace == nil {
		return
	}
	s := string(b)
	if len(s) > traceLimit {
		s = fmt.Sprintf("%s...(%d bytes)", s[:traceLimit], len(b))
	}
	c.tmu.Lock()
	defer c.tmu.Unlock()
	fmt.Fprintf(c.trace, "%s %s\n", dir, s)
}

// write sends raw bytes under the write lock with its own write deadline.
func (c *conn) write(ctx context.Context, b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	dl := c.deadline(ctx, true)
	if err := c.nc.SetWriteDeadline(dl); err != nil {
		return mapNetErr(ctx, err)
	}
	defer c.nc.SetWriteDeadline(time.Time{})
	c.tracef("->", b)
	if _, err := c.nc.Write(b); err != nil {
		return mapNetErr(ctx, err)
	}
	return nil
}

// deadline is the earlier of ctx's deadline and now+timeout (when bounded).
func (c *conn) deadline(ctx context.Context, bounded bool) time.Time {
	var dl time.Time
	if bounded && c.timeout > 0 {
		dl = time.Now().Add(c.timeout)
	}
	if d, ok := ctx.Deadline(); ok && (dl.IsZero() || d.Before(dl)) {
		dl = d
	}
	return dl
}

// armRead sets the read deadline for one exchange and makes ctx
// cancellation interrupt a blocked read. The returned func resets both.
func (c *conn) armRead(ctx context.Context, bounded bool) (func(), error) {
	if err := c.nc.SetReadDeadline(c.deadline(ctx, bounded)); err != nil {
		return func() {}, mapNetErr(ctx, err)
	}
	return cancelReadsOn(ctx, c.nc), nil
}

// cancelReadsOn makes ctx's end interrupt a read blocked on nc (by moving
// its deadline to now). The returned func undoes it and clears the read
// deadline; call it when the read is over.
func cancelReadsOn(ctx context.Context, nc net.Conn) func() {
	ran := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		nc.SetReadDeadline(time.Now())
		close(ran)
	})
	return func() {
		if !stop() {
			// The func started: let it finish before the reset, or it
			// would poison the next read's deadline.
			<-ran
		}
		nc.SetReadDeadline(time.Time{})
	}
}

// mapNetErr turns deadline errors into ErrTimeout (or the context's error)
// and end of file into ErrClosed.
func mapNetErr(ctx context.Context, err error) error {
	if err == nil || errors.Is(err, ErrTimeout) || errors.Is(err, ErrClosed) {
		return err
	}
	if ctx.Err() != nil && (errors.Is(err, os.ErrDeadlineExceeded) || isTimeout(err)) {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return fmt.Errorf("%w: %w", ErrTimeout, ctx.Err())
		}
		return ctx.Err()
	}
	if errors.Is(err, os.ErrDeadlineExceeded) || isTimeout(err) {
		return fmt.Errorf("%w: %w", ErrTimeout, err)
	}
	// A peer that closes with our bytes still unread (OpenOCD killed, a
	// server cut mid-reply just after our ack) resets the connection:
	// reads then fail with ECONNRESET and writes with EPIPE, not EOF. It
	// is gone all the same; taken for a refused read, a capture went on
	// reading hole after hole and ended "complete".
	if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNABORTED) {
		if errors.Is(err, ErrClosed) {
			return err
		}
		return fmt.Errorf("%w: %w", ErrClosed, err)
	}
	return err
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func (c *conn) readFrame(ctx context.Context) (Frame, error) {
	f, err := c.dec.Next()
	if f.Skipped > 0 {
		c.tracef("<-", fmt.Appendf(nil, "(skipped %d garbage bytes)", f.Skipped))
	}
	if err != nil {
		return f, mapNetErr(ctx, err)
	}
	switch f.Kind {
	case FramePacket:
		c.tracef("<-", append(append([]byte{'$'}, f.Raw...), '#'))
	case FrameNotification:
		c.tracef("<-", append(append([]byte{'%'}, f.Raw...), '#'))
	case FrameAck:
		c.tracef("<-", []byte("+"))
	case FrameNack:
		c.tracef("<-", []byte("-"))
	case FrameInterrupt:
		c.tracef("<-", []byte("^C"))
	}
	return f, nil
}

// console delivers an O packet's text (or a notification) to Monitor's
// collector or Options.OnConsole. The empty "$O#4f" is a keep-alive.
func (c *conn) console(data []byte, notification bool) {
	var text string
	if notification {
		text = "%" + string(data)
	} else {
		b, err := DecodeHex(data[1:])
		if err != nil || len(b) == 0 {
			return
		}
		text = string(b)
	}
	if c.collect != nil && !notification {
		c.collect = append(c.collect, text)
		return
	}
	if c.onConsole != nil {
		c.onConsole(text)
	}
}

// errNoAck wraps a failure while waiting for the ack of a packet that was
// written whole: the stub has it, and will answer it.
var errNoAck = errors.New("waiting for ack")

// send writes one packet and, in ack mode, waits for '+', retransmitting
// on '-' up to maxRetries times. Caller holds the read lock and has armed
// the read deadline.
func (c *conn) send(ctx context.Context, data []byte) error {
	wire := EncodePacket(data)
	c.lastSent = wire
	for attempt := 0; ; attempt++ {
		if err := c.write(ctx, wire); err != nil {
			return err
		}
		if c.noAck {
			return nil
		}
	wait:
		for {
			f, err := c.readFrame(ctx)
			if err != nil {
				return fmt.Errorf("%w: %w", errNoAck, err)
			}
			switch f.Kind {
			case FrameAck:
				return nil
			case FrameNack:
				if attempt >= maxRetries {
					return fmt.Errorf("stub rejected the packet %d times", attempt+1)
				}
				break wait
			case FrameNotification:
				c.console(f.Data, true)
			case FramePacket:
				// The ack was lost or the stub skipped it; the packet
				// proves ours arrived. Handle it as received data.
				if reply, ok, err := c.accept(ctx, f); err != nil {
					return err
				} else if ok {
					c.pending = reply
					return nil
				}
			}
		}
	}
}

// accept acks a packet and decides whether it is a reply (ok) or console
// output consumed here. A bad checksum is answered with '-'.
func (c *conn) accept(ctx context.Context, f Frame) (reply []byte, ok bool, err error) {
	if !f.ChecksumOK {
		if c.noAck {
			return nil, false, fmt.Errorf("%w in no-ack mode (stub cannot resend): %q", ErrBadChecksum, truncate(f.Raw))
		}
		// Ask for it again even if ctx ran out (see the ack below).
		return nil, false, c.write(context.WithoutCancel(ctx), []byte("-"))
	}
	if !c.noAck {
		// The packet is in: ack it even if ctx ran out meanwhile. With ctx's
		// deadline the ack write would fail and the packet be dropped with
		// it; for a stop reply read just as a wait window closed, that left
		// the target halted and the client waiting for it to stop.
		if err := c.write(context.WithoutCancel(ctx), []byte("+")); err != nil {
			return nil, false, err
		}
	}
	if IsConsolePacket(f.Data) {
		c.console(f.Data, false)
		return nil, false, nil
	}
	return f.Data, true, nil
}

// recv reads the next reply packet, handling console packets, stray acks
// and bad checksums on the way.
func (c *conn) recv(ctx context.Context) ([]byte, error) {
	if c.pending != nil {
		p := c.pending
		c.pending = nil
		return p, nil
	}
	bad := 0
	for {
		f, err := c.readFrame(ctx)
		if err != nil {
			return nil, err
		}
		switch f.Kind {
		case FrameAck, FrameInterrupt:
			// A stray '+' right after QStartNoAckMode, or noise.
		case FrameNack:
			if !c.noAck && c.lastSent != nil {
				if err := c.write(ctx, c.lastSent); err != nil {
					return nil, err
				}
			}
		case FrameNotification:
			c.console(f.Data, true)
		case FramePacket:
			if !f.ChecksumOK {
				bad++
				if bad > maxRetries {
					return nil, fmt.Errorf("%d packets with bad checksums in a row: last %q", bad, truncate(f.Raw))
				}
			}
			reply, ok, err := c.accept(ctx, f)
			if err != nil {
				return nil, err
			}
			if ok {
				return reply, nil
			}
		}
	}
}

func truncate(b []byte) string {
	if len(b) > 40 {
		return string(b[:40]) + "..."
	}
	return string(b)
}
