package emu

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"time"
)

// The WiFi co-processor, emulated: the firmware talks to it over USART2 with
// the framed protocol of firmware/README.md, and it listens on a real TCP
// port on 127.0.0.1, forwarding each connection to the firmware (ACCEPT,
// DATA, CLOSE) and the firmware's SEND and CLOSE_REQ back. DropLink is the
// WiFi vanishing: every TCP connection is reset and the firmware gets
// LINK_DOWN; RestoreLink brings it back.

// DefaultHTTPPort is the firmware's web server port, and the host port a
// CLI should offer by default.
const DefaultHTTPPort = 7123

// maxSlots is the co-processor's number of accept slots (connection ids).
const maxSlots = 8

// linkWriteTimeout bounds one frame write to QEMU: while the firmware is
// stuck (a panic loop with interrupts off) QEMU stops reading the link, and
// the co-processor must not block behind it.
const linkWriteTimeout = 2 * time.Second

// WiFiConfig configures a co-processor.
type WiFiConfig struct {
	// Port is the TCP port to listen on, on 127.0.0.1; 0 picks a free one.
	Port int
	// FirmwarePort is the port the firmware LISTENs on that TCP connections
	// are forwarded to; 0 means DefaultHTTPPort.
	FirmwarePort uint16
	// Log receives one line per link event; nil discards.
	Log io.Writer
}

// WiFiStats counts what the co-processor did.
type WiFiStats struct {
	Accepted  int // TCP connections handed to the firmware
	Refused   int // reset at once: link down, firmware not listening, or no slot
	Hellos    int // firmware boots seen (HELLO frames)
	Drops     int
	Restores  int
	BadFrames int // bytes skipped while resynchronising on the link
}

// A WiFi is an emulated co-processor. Its methods are safe for concurrent use.
type WiFi struct {
	ln     net.Listener
	fwPort uint16
	logw   io.Writer

	wmu  sync.Mutex // one frame at a time on the link
	link net.Conn

	mu        sync.Mutex
	up        bool
	fwReady   bool
	listening map[uint16]bool
	slots     [maxSlots]*tcpConn
	stats     WiFiStats
	changed   chan struct{} // closed and replaced on every state change

	closeOnce sync.Once
	done      chan struct{}
}

type tcpConn struct {
	slot byte
	c    *net.TCPConn
}

// NewWiFi starts the co-processor's TCP listener. Serve connects it to the
// firmware.
func NewWiFi(cfg WiFiConfig) (*WiFi, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(cfg.Port)))
	if err != nil {
		return nil, fmt.Errorf("wifi: listen: %w", err)
	}
	w := &WiFi{
		ln:        ln,
		fwPort:    cfg.FirmwarePort,
		logw:      cfg.Log,
		up:        true,
		listening: map[uint16]bool{},
		changed:   make(chan struct{}),
		done:      make(chan struct{}),
	}
	if w.fwPort == 0 {
		w.fwPort = DefaultHTTPPort
	}
	go w.acceptLoop()
	return w, nil
}

// Addr is the TCP address clients connect to, "127.0.0.1:PORT".
func (w *WiFi) Addr() string { return w.ln.Addr().String() }

func (w *WiFi) logf(format string, args ...any) {
	if w.logw != nil {
		fmt.Fprintf(w.logw, "wifi: "+format+"\n", args...)
	}
}

// notify wakes every waiter; the caller holds w.mu.
func (w *WiFi) notify() {
	close(w.changed)
	w.changed = make(chan struct{})
}

// Stats returns a copy of the counters.
func (w *WiFi) Stats() WiFiStats {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.stats
}

// LinkUp reports whether the link is up (not dropped).
func (w *WiFi) LinkUp() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.up
}

// Listening reports whether the firmware listens now (link up, firmware
// booted, LISTEN received since): a TCP connection would be forwarded.
func (w *WiFi) Listening() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.up && w.fwReady && w.listening[w.fwPort]
}

// WaitListening blocks until Listening is true.
func (w *WiFi) WaitListening(ctx context.Context) error {
	return w.waitFor(ctx, "waiting for the firmware to listen", func() bool {
		return w.up && w.fwReady && w.listening[w.fwPort]
	})
}

// WaitHellos blocks until the firmware has booted n times (HELLO frames),
// e.g. n = 2 after a panic reset.
func (w *WiFi) WaitHellos(ctx context.Context, n int) error {
	return w.waitFor(ctx, fmt.Sprintf("waiting for firmware boot %d", n), func() bool {
		return w.stats.Hellos >= n
	})
}

// waitFor blocks until cond (evaluated under w.mu) holds, waking on every
// state change.
func (w *WiFi) waitFor(ctx context.Context, what string, cond func() bool) error {
	for {
		w.mu.Lock()
		ok := cond()
		ch := w.changed
		w.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-ch:
		case <-w.done:
			return errors.New("wifi: closed")
		case <-ctx.Done():
			return fmt.Errorf("wifi: %s: %w", what, ctx.Err())
		}
	}
}

// DropLink makes the WiFi vanish: every TCP connection is reset, the
// firmware gets LINK_DOWN and must LISTEN again once the link is back; new
// TCP connections are refused until RestoreLink.
func (w *WiFi) DropLink() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.up {
		return
	}
	w.up = false
	w.stats.Drops++
	w.resetSlots()
	w.listening = map[uint16]bool{}
	if w.fwReady {
		w.send(Frame{Type: FrameLinkDown})
	}
	w.logf("link down (drop %d)", w.stats.Drops)
	w.notify()
}

// RestoreLink brings the link back: the firmware gets LINK_UP.
func (w *WiFi) RestoreLink() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.up {
		return
	}
	w.up = true
	w.stats.Restores++
	if w.fwReady {
		w.send(Frame{Type: FrameLinkUp})
	}
	w.logf("link up")
	w.notify()
}

// Close stops listening and resets every connection. Serve returns.
func (w *WiFi) Close() error {
	var err error
	w.closeOnce.Do(func() {
		close(w.done)
		err = w.ln.Close()
		w.mu.Lock()
		w.resetSlots()
		w.mu.Unlock()
		w.wmu.Lock()
		if w.link != nil {
			w.link.Close()
		}
		w.wmu.Unlock()
	})
	return err
}

// resetSlots resets every forwarded connection; the caller holds w.mu.
func (w *WiFi) resetSlots() {
	for i, tc := range w.slots {
		if tc != nil {
			resetConn(tc.c)
			w.slots[i] = nil
		}
	}
}

// resetConn closes with an RST rather than a FIN, as a vanished peer looks.
func resetConn(c *net.TCPConn) {
	_ = c.SetLinger(0)
	_ = c.Close()
}

// send writes one frame to the firmware; frames are dropped while no link
// is connected or when the write times out (QEMU not reading).
func (w *WiFi) send(f Frame) {
	b, err := AppendFrame(nil, f)
	if err != nil {
		w.logf("send %v: %v", f, err)
		return
	}
	w.wmu.Lock()
	defer w.wmu.Unlock()
	if w.link == nil {
		return
	}
	_ = w.link.SetWriteDeadline(time.Now().Add(linkWriteTimeout))
	if _, err := w.link.Write(b); err != nil {
		w.logf("send %v: %v", f, err)
	}
}

func (w *WiFi) acceptLoop() {
	for {
		c, err := w.ln.Accept()
		if err != nil {
			return
		}
		tc := c.(*net.TCPConn)
		w.mu.Lock()
		slot := -1
		if w.up && w.fwReady && w.listening[w.fwPort] {
			for i, s := range w.slots {
				if s == nil {
					slot = i
					break
				}
			}
		}
		if slot < 0 {
			w.stats.Refused++
			w.mu.Unlock()
			resetConn(tc)
			continue
		}
		conn := &tcpConn{slot: byte(slot), c: tc}
		w.slots[slot] = conn
		w.stats.Accepted++
		port := binary.LittleEndian.AppendUint16(nil, w.fwPort)
		w.send(Frame{Type: FrameAccept, Conn: byte(slot), Payload: port})
		w.mu.Unlock()
		go w.pump(conn)
	}
}

// pump forwards what the TCP peer sends as DATA frames, and its close as
// CLOSE, for as long as the connection owns its slot.
func (w *WiFi) pump(tc *tcpConn) {
	buf := make([]byte, 256)
	for {
		n, err := tc.c.Read(buf)
		w.mu.Lock()
		owner := w.slots[tc.slot] == tc
		if owner && n > 0 {
			w.send(Frame{Type: FrameData, Conn: tc.slot, Payload: buf[:n]})
		}
		if err != nil {
			// The slot stays taken until the firmware's CLOSE_REQ: the
			// firmware may still be writing to it.
			if owner {
				w.send(Frame{Type: FrameClose, Conn: tc.slot})
			}
			w.mu.Unlock()
			return
		}
		w.mu.Unlock()
	}
}

// Serve connects to the firmware's link with dial and handles its frames,
// dialling again whenever the link breaks, until ctx ends or Close.
func (w *WiFi) Serve(ctx context.Context, dial func(context.Context) (net.Conn, error)) error {
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-w.done:
			return nil
		default:
		}
		conn, err := dial(ctx)
		if err != nil {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-w.done:
				return nil
			case <-time.After(50 * time.Millisecond):
			}
			continue
		}
		w.wmu.Lock()
		w.link = conn
		w.wmu.Unlock()
		stop := context.AfterFunc(ctx, func() { conn.Close() })
		w.readLink(conn)
		stop()
		w.wmu.Lock()
		w.link = nil
		w.wmu.Unlock()
		conn.Close()
	}
}

func (w *WiFi) readLink(conn net.Conn) {
	fr := NewFrameReader(conn)
	skipped := 0
	for {
		f, err := fr.Next()
		if fr.Skipped != skipped {
			w.mu.Lock()
			w.stats.BadFrames += fr.Skipped - skipped
			w.mu.Unlock()
			skipped = fr.Skipped
		}
		if err != nil {
			return
		}
		w.handle(f)
	}
}

func (w *WiFi) handle(f Frame) {
	switch f.Type {
	case FrameHello:
		w.mu.Lock()
		w.resetSlots()
		w.listening = map[uint16]bool{}
		w.fwReady = true
		w.stats.Hellos++
		w.logf("firmware %q booted (boot %d)", f.Payload, w.stats.Hellos)
		if w.up {
			w.send(Frame{Type: FrameLinkUp})
		}
		w.notify()
		w.mu.Unlock()
	case FrameListen, FrameUnlisten:
		if len(f.Payload) < 2 {
			return
		}
		port := binary.LittleEndian.Uint16(f.Payload)
		w.mu.Lock()
		if f.Type == FrameListen && w.up {
			w.listening[port] = true
		} else {
			delete(w.listening, port)
		}
		w.logf("%s %d", FrameTypeName(f.Type), port)
		w.notify()
		w.mu.Unlock()
	case FrameSend:
		w.mu.Lock()
		var tc *tcpConn
		if int(f.Conn) < maxSlots {
			tc = w.slots[f.Conn]
		}
		w.mu.Unlock()
		if tc != nil {
			_ = tc.c.SetWriteDeadline(time.Now().Add(linkWriteTimeout))
			_, _ = tc.c.Write(f.Payload)
		}
	case FrameCloseReq:
		w.mu.Lock()
		var tc *tcpConn
		if int(f.Conn) < maxSlots {
			tc = w.slots[f.Conn]
			w.slots[f.Conn] = nil
		}
		w.mu.Unlock()
		if tc != nil {
			_ = tc.c.Close()
		}
	default:
		w.logf("unexpected frame from the firmware: %v", f)
	}
}
