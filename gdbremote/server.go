package gdbremote

// The stub side of the protocol: ServerConn reads requests and writes
// replies for a GDB server (the fakes in rsptest, `faultline serve`).
//
// Two ways to use it:
//   - a loop of ReadPacket / WritePacket, for servers with their own state
//     machine (a fake target that runs and stops on its own);
//   - Serve with a Handler, for request/reply servers: each packet gets
//     exactly one reply, interrupts go to the handler as a nil packet.

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// ServerOptions configure a ServerConn.
type ServerOptions struct {
	Trace io.Writer // "<-"/"->" trace of what the server reads and writes
	// WriteTimeout bounds each write so a client that stops reading cannot
	// block the server forever; default 5s.
	WriteTimeout time.Duration
}

// A ServerConn is the stub end of one RSP connection. Writes are safe from
// several goroutines; reads belong to one goroutine.
type ServerConn struct {
	nc       net.Conn
	dec      *Decoder
	trace    io.Writer
	wTimeout time.Duration

	wmu      sync.Mutex
	noAck    bool   // under wmu
	lastSent []byte // under wmu, for '-' retransmits
}

// NewServerConn wraps a connection accepted from a GDB client.
func NewServerConn(nc net.Conn, opts ServerOptions) *ServerConn {
	if opts.WriteTimeout <= 0 {
		opts.WriteTimeout = DefaultTimeout
	}
	return &ServerConn{nc: nc, dec: NewDecoder(bufio.NewReaderSize(nc, 32<<10)), trace: opts.Trace, wTimeout: opts.WriteTimeout}
}

// Conn returns the underlying connection.
func (s *ServerConn) Conn() net.Conn { return s.nc }

// Close closes the connection.
func (s *ServerConn) Close() error { return s.nc.Close() }

// SetNoAck switches acks off, as after replying "OK" to QStartNoAckMode.
// Call it after writing that reply.
func (s *ServerConn) SetNoAck() {
	s.wmu.Lock()
	s.noAck = true
	s.wmu.Unlock()
}

// NoAck reports whether acks are off.
func (s *ServerConn) NoAck() bool {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	return s.noAck
}

// EventKind says what ReadPacket returned.
type EventKind int

const (
	EventPacket    EventKind = iota // a request packet
	EventInterrupt                  // the 0x03 byte
	EventAck                        // a '+' or '-' (only from ReadEvent)
	EventBadPacket                  // a packet with a bad checksum (only from ReadEvent)
)

// An Event is one thing read from the client.
type Event struct {
	Kind EventKind
	Data []byte // decoded packet body for EventPacket
	Raw  byte   // '+' or '-' for EventAck
}

// ReadEvent reads the next frame and reports everything, acks and
// corrupted packets included, without answering anything: the caller acks
// with Ack. For servers that must see every byte before deciding (QEMU's
// "any byte stops a running guest and the packet is lost").
func (s *ServerConn) ReadEvent(ctx context.Context) (Event, error) {
	defer cancelReadsOn(ctx, s.nc)()
	for {
		f, err := s.dec.Next()
		if err != nil {
			if ctx.Err() != nil {
				return Event{}, ctx.Err()
			}
			return Event{}, mapNetErr(ctx, err)
		}
		switch f.Kind {
		case FrameAck:
			return Event{Kind: EventAck, Raw: '+'}, nil
		case FrameNack:
			return Event{Kind: EventAck, Raw: '-'}, nil
		case FrameInterrupt:
			s.tracef("<-", []byte("^C"))
			return Event{Kind: EventInterrupt}, nil
		case FrameNotification:
			continue // clients send none
		}
		s.tracef("<-", f.Raw)
		if !f.ChecksumOK {
			return Event{Kind: EventBadPacket, Data: f.Data}, nil
		}
		return Event{Kind: EventPacket, Data: f.Data}, nil
	}
}

// Ack answers a packet in ack mode: '+' when ok, '-' to ask for it again.
// It does nothing in no-ack mode.
func (s *ServerConn) Ack(ok bool) error {
	if s.NoAck() {
		return nil
	}
	if ok {
		return s.writeRaw([]byte("+"))
	}
	return s.writeRaw([]byte("-"))
}

// ReadPacket reads the next request or interrupt, acking packets ('-' for
// a bad checksum, then it reads on). Acks are consumed; a '-' makes it
// resend the last reply.
func (s *ServerConn) ReadPacket(ctx context.Context) (Event, error) {
	for {
		ev, err := s.ReadEvent(ctx)
		if err != nil {
			return ev, err
		}
		switch ev.Kind {
		case EventPacket:
			return ev, s.Ack(true)
		case EventBadPacket:
			if err := s.Ack(false); err != nil {
				return ev, err
			}
			continue
		case EventInterrupt:
			return ev, nil
		}
		if ev.Raw == '-' {
			if err := s.ResendLast(); err != nil {
				return Event{}, err
			}
		}
	}
}

// WritePacket writes one reply, escaping what must be escaped. It does not
// wait for the client's ack (ReadPacket handles '-' by resending).
func (s *ServerConn) WritePacket(data []byte) error {
	wire := EncodePacket(data)
	s.wmu.Lock()
	s.lastSent = wire
	s.wmu.Unlock()
	return s.writeRaw(wire)
}

// ResendLast writes the last packet again (the answer to a '-').
func (s *ServerConn) ResendLast() error {
	s.wmu.Lock()
	last := s.lastSent
	s.wmu.Unlock()
	if last == nil {
		return nil
	}
	return s.writeRaw(last)
}

// WriteConsole writes text as one 'O' packet.
func (s *ServerConn) WriteConsole(text string) error {
	return s.WritePacket(append([]byte("O"), EncodeHex([]byte(text))...))
}

// WriteNotification writes one '%' notification (OpenOCD's
// %oocd_keepalive).
func (s *ServerConn) WriteNotification(data []byte) error {
	return s.writeRaw(EncodeNotification(data))
}

// WriteRaw writes bytes as they are (tests inject garbage with it).
func (s *ServerConn) WriteRaw(b []byte) error { return s.writeRaw(b) }

func (s *ServerConn) writeRaw(b []byte) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.tracef("->", b)
	if err := s.nc.SetWriteDeadline(time.Now().Add(s.wTimeout)); err != nil {
		return mapNetErr(context.Background(), err)
	}
	defer s.nc.SetWriteDeadline(time.Time{})
	_, err := s.nc.Write(b)
	return mapNetErr(context.Background(), err)
}

func (s *ServerConn) tracef(dir string, b []byte) {
	if s.trace == nil {
		return
	}
	str := string(b)
	if len(str) > traceLimit {
		str = str[:traceLimit] + "..."
	}
	fmt.Fprintf(s.trace, "server %s %s\n", dir, str)
}

// A Handler answers requests for Serve. pkt is nil for an interrupt
// (0x03); a nil reply with a nil error sends nothing (the handler writes
// a stop reply later itself), an empty non-nil reply means "unsupported". Returning an error
// ends Serve. The handler may call WriteConsole on the ServerConn to send
// output before its reply.
type Handler interface {
	HandlePacket(ctx context.Context, pkt []byte) (reply []byte, err error)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, pkt []byte) ([]byte, error)

// HandlePacket calls f.
func (f HandlerFunc) HandlePacket(ctx context.Context, pkt []byte) ([]byte, error) {
	return f(ctx, pkt)
}

// Serve answers packets until the client disconnects (nil), ctx ends or
// the handler fails. QStartNoAckMode is handled here.
func (s *ServerConn) Serve(ctx context.Context, h Handler) error {
	for {
		ev, err := s.ReadPacket(ctx)
		if err != nil {
			if errors.Is(err, ErrClosed) {
				return nil
			}
			return err
		}
		var pkt []byte
		if ev.Kind == EventPacket {
			pkt = ev.Data
			if string(pkt) == "QStartNoAckMode" {
				if err := s.WritePacket([]byte("OK")); err != nil {
					return err
				}
				s.SetNoAck()
				continue
			}
		}
		reply, err := h.HandlePacket(ctx, pkt)
		if err != nil {
			return err
		}
		if reply == nil {
			continue // answered later (a stop reply) or not at all
		}
		if err := s.WritePacket(reply); err != nil {
			return err
		}
	}
}
