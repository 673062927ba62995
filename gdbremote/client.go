package gdbremote

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Options configure a Client.
type Options struct {
	Timeout   time.Duration     // per exchange; default 5s
	Trace     io.Writer         // "->"/"<-" wire trace when non-nil, truncated
	OnConsole func(text string) // O packets (hex-decoded) and %notifications, at any time
	// Stub says which server is at the other end when the caller knows
	// (a Black Magic Probe's serial port); StubUnknown guesses it from
	// the handshake (dialect.go).
	Stub Stub
}

// OnConsole runs on the goroutine reading the connection, with the
// client's lock held: it must return quickly and must not call the Client.

// DefaultTimeout bounds one exchange when Options.Timeout is zero.
const DefaultTimeout = 5 * time.Second

// Stub is the kind of GDB server at the other end, as guessed from
// qSupported and target.xml.
type Stub int

const (
	StubUnknown Stub = iota
	StubOpenOCD
	StubQEMU
	StubJLink      // SEGGER J-Link GDB Server
	StubPyOCD      // pyOCD gdbserver
	StubBlackMagic // Black Magic Probe (its firmware, or BMDA on the host)
	StubSTLink     // ST's ST-LINK gdbserver (STM32CubeIDE)
	StubSTUtil     // stlink-org's st-util
)

func (s Stub) String() string {
	switch s {
	case StubOpenOCD:
		return "openocd"
	case StubQEMU:
		return "qemu"
	case StubJLink:
		return "jlink"
	case StubPyOCD:
		return "pyocd"
	case StubBlackMagic:
		return "blackmagic"
	case StubSTLink:
		return "stlink-gdbserver"
	case StubSTUtil:
		return "st-util"
	}
	return "unknown"
}

// A Client talks to one GDB remote stub. Its methods are safe for
// concurrent use; requests are serialised.
type Client struct {
	c        *conn
	rmu      sync.Mutex // one exchange at a time (and the reading side)
	running  atomic.Bool
	stopSeq  atomic.Uint64 // bumped whenever a stop reply is read
	lastStop StopReply     // under rmu
	// staleStops counts stop replies that may still come for a 0x03 sent
	// to a target that stopped by itself meanwhile (under rmu).
	staleStops int
	// lateReplies counts answers still to come for requests whose wait
	// timed out: the server answers every request, in order, so each one
	// would otherwise be read as the answer to the next request. They are
	// expected until lateUntil; after that they are taken as lost (a
	// server that dropped a request), so one lost answer cannot cost every
	// later exchange its own.
	lateReplies int
	lateUntil   time.Time

	features   map[string]string // qSupported: name -> "+", "-", "?" or value
	packetSize int
	desc       *TargetDesc
	stub       Stub
	hint       Stub // Options.Stub
	vCont      bool // vCont;c and vCont;s are supported
}

// Dial connects over TCP and runs the handshake. The dial itself is bounded
// by ctx and Options.Timeout.
func Dial(ctx context.Context, addr string, opts Options) (*Client, error) {
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	dctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var d net.Dialer
	nc, err := d.DialContext(dctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("connect to gdb server %s: %w", addr, err)
	}
	cl, err := NewClient(ctx, nc, opts)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("gdb server %s: %w", addr, err)
	}
	return cl, nil
}

// NewClient runs the handshake over an open connection: qSupported,
// QStartNoAckMode only when advertised, target.xml through
// qXfer:features:read (xi:include followed) and the register map built
// from it. On error the connection is left open for the caller to close.
func NewClient(ctx context.Context, nc net.Conn, opts Options) (*Client, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	cl := &Client{c: newConn(nc, opts), hint: opts.Stub}
	if err := cl.handshake(ctx); err != nil {
		return nil, err
	}
	return cl, nil
}

// Close closes the connection. A running target is left running.
func (cl *Client) Close() error { return cl.c.nc.Close() }

// Stub is the guessed kind of stub.
func (cl *Client) Stub() Stub { return cl.stub }

// PacketSize is the stub's advertised maximum packet size (bytes).
func (cl *Client) PacketSize() int { return cl.packetSize }

// Features returns the qSupported reply as a map (name -> "+", "-", "?" or
// the value after '=').
func (cl *Client) Features() map[string]string {
	m := make(map[string]string, len(cl.features))
	for k, v := range cl.features {
		m[k] = v
	}
	return m
}

// TargetDesc returns the parsed target description.
func (cl *Client) TargetDesc() *TargetDesc { return cl.desc }

// Running reports whether the target was resumed and no stop reply has
// been read since.
func (cl *Client) Running() bool { return cl.running.Load() }

// exchange sends one request and reads its reply with the exchange timeout.
// op names the operation for errors. An empty reply is ErrUnsupported and
// "E NN" a *RemoteError.
func (cl *Client) exchange(ctx context.Context, op string, req []byte) ([]byte, error) {
	if cl.running.Load() {
		return nil, fmt.Errorf("%s: %w", op, ErrRunning)
	}
	return cl.exchangeAnyState(ctx, op, req)
}

// exchangeAnyState is exchange without the running check, for the requests
// a server answers while the target runs (OpenOCD's 'm'). A stop reply
// that arrives before the answer is recorded for WaitStop.
func (cl *Client) exchangeAnyState(ctx context.Context, op string, req []byte) ([]byte, error) {
	cl.rmu.Lock()
	defer cl.rmu.Unlock()
	reply, err := cl.exchangeLocked(ctx, op, req)
	if err != nil {
		return nil, err
	}
	if len(reply) == 0 {
		return nil, fmt.Errorf("%s: %w", op, ErrUnsupported)
	}
	if re, ok := parseErrorReply(op, reply); ok {
		return nil, re
	}
	return reply, nil
}

// RawExchange sends one packet as given and returns the reply as it is
// (an empty reply or "E NN" is no error here). For tests and tools: it
// bypasses the safety rules of the typed calls (no 'p' for unknown
// regnums), but not ErrRunning.
func (cl *Client) RawExchange(ctx context.Context, pkt string) (string, error) {
	if cl.running.Load() {
		return "", fmt.Errorf("%s: %w", truncate([]byte(pkt)), ErrRunning)
	}
	cl.rmu.Lock()
	defer cl.rmu.Unlock()
	reply, err := cl.exchangeLocked(ctx, "raw "+truncate([]byte(pkt)), []byte(pkt))
	return string(reply), err
}

// maxRereads bounds how often a read request is asked again after a reply
// arrived damaged in no-ack mode.
const maxRereads = 3

func (cl *Client) exchangeLocked(ctx context.Context, op string, req []byte) ([]byte, error) {
	for attempt := 0; ; attempt++ {
		reply, err := cl.exchangeOnce(ctx, op, req)
		if err == nil || !errors.Is(err, ErrBadChecksum) || !idempotent(req) || attempt >= maxRereads {
			return reply, err
		}
		cl.c.tracef("--", []byte("(damaged reply: asking again)"))
	}
}

// idempotent reports whether asking req twice is harmless: reads and
// queries, never writes, resumes or monitor commands.
func idempotent(req []byte) bool {
	if len(req) == 0 {
		return false
	}
	switch req[0] {
	case 'm', 'g', 'p', '?':
		return true
	case 'q':
		return !bytes.HasPrefix(req, []byte("qRcmd"))
	}
	return false
}

func (cl *Client) exchangeOnce(ctx context.Context, op string, req []byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	done, err := cl.c.armRead(ctx, true)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	defer done()
	if err := cl.c.send(ctx, req); err != nil {
		err = mapNetErr(ctx, err)
		if errors.Is(err, errNoAck) {
			cl.oweAnswer(ctx, err) // req went out whole: its answer will come
		}
		return nil, fmt.Errorf("%s: send %s: %w", op, truncate(req), err)
	}
	for {
		reply, err := cl.c.recv(ctx)
		if err != nil {
			err = mapNetErr(ctx, err)
			cl.oweAnswer(ctx, err)
			return nil, fmt.Errorf("%s: reply to %s: %w", op, truncate(req), err)
		}
		if cl.running.Load() && looksLikeStop(reply) {
			// The target stopped while req was on its way: the stop
			// belongs to WaitStop, and req's answer is still to come.
			sr, _ := ParseStopReply(string(reply))
			cl.noteStop(sr)
			continue
		}
		if cl.owesLateAnswer() {
			cl.lateReplies--
			cl.c.tracef("--", []byte("(late answer to an earlier request skipped)"))
			continue
		}
		if cl.staleStops > 0 && string(req) != "?" && looksLikeStop(reply) {
			// The late answer to an interrupt, not the reply to req.
			cl.staleStops--
			cl.c.tracef("--", []byte("(stale stop reply skipped)"))
			continue
		}
		return reply, nil
	}
}

// oweAnswer records, after the wait for an answer ended with err, that the
// answer will still come if the wait was cut short (a timeout or ctx).
func (cl *Client) oweAnswer(ctx context.Context, err error) {
	if !errors.Is(err, ErrTimeout) && ctx.Err() == nil {
		return
	}
	cl.lateReplies++
	w := cl.c.timeout
	if w <= 0 {
		w = time.Second // unbounded exchanges: only ctx timed this one out
	}
	cl.lateUntil = time.Now().Add(lateAnswerWindow * w)
}

// owesLateAnswer reports whether an answer to a timed-out request is
// still expected; past lateUntil the debt is dropped. Caller holds rmu.
func (cl *Client) owesLateAnswer() bool {
	if cl.lateReplies > 0 && time.Now().After(cl.lateUntil) {
		cl.c.tracef("--", fmt.Appendf(nil, "(%d late answers never came: taken as lost)", cl.lateReplies))
		cl.lateReplies = 0
	}
	return cl.lateReplies > 0
}

// lateAnswerWindow: an answer that comes more than this many exchange
// timeouts after its request timed out is taken as never coming.
const lateAnswerWindow = 3

// looksLikeStop reports a packet that parses as a stop reply. No reply to
// the requests exchange sends (hex, OK, qXfer pages, qSupported, vCont)
// does.
func looksLikeStop(reply []byte) bool {
	if len(reply) < 3 || !strings.ContainsRune("STWX", rune(reply[0])) {
		return false
	}
	_, err := ParseStopReply(string(reply))
	return err == nil
}

func (cl *Client) handshake(ctx context.Context) error {
	reply, err := cl.exchange(ctx, "qSupported", []byte("qSupported:multiprocess+;swbreak+;hwbreak+;qRelocInsn+;xmlRegisters=arm;vContSupported+"))
	if err != nil {
		return err
	}
	cl.features, cl.packetSize, err = ParseSupported(string(reply))
	if err != nil {
		return fmt.Errorf("qSupported: %w", err)
	}
	if cl.features["QStartNoAckMode"] == "+" {
		if _, err := cl.exchange(ctx, "QStartNoAckMode", []byte("QStartNoAckMode")); err != nil {
			return err
		}
		cl.rmu.Lock()
		cl.c.noAck = true
		cl.rmu.Unlock()
	}
	if cl.features["qXfer:features:read"] != "+" {
		return errors.New("stub does not offer qXfer:features:read: no target.xml, so no register map")
	}
	hint := cl.hint
	if hint == StubUnknown {
		hint = stubFromFeatures(cl.features)
	}
	xmlData, err := cl.xferRead(ctx, "features", "target.xml")
	if err != nil && hint == StubBlackMagic {
		// A Black Magic Probe has no target until it scanned and
		// attached (target.xml answers E01 until then).
		if aerr := cl.attachBlackMagic(ctx); aerr != nil {
			return fmt.Errorf("%w (and %w)", err, aerr)
		}
		xmlData, err = cl.xferRead(ctx, "features", "target.xml")
	}
	if err != nil {
		return err
	}
	cl.desc, err = ParseTargetXML(xmlData, func(annex string) ([]byte, error) {
		return cl.xferRead(ctx, "features", annex)
	})
	if err != nil {
		return fmt.Errorf("target.xml: %w", err)
	}
	cl.stub = guessStub(cl.features, cl.desc)
	if cl.hint != StubUnknown {
		cl.stub = cl.hint
	}
	if cl.features["vContSupported"] == "+" {
		if r, err := cl.exchange(ctx, "vCont?", []byte("vCont?")); err == nil {
			acts := strings.Split(string(r), ";")
			cl.vCont = len(acts) > 0 && acts[0] == "vCont" && contains(acts, "c") && contains(acts, "s")
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// ParseSupported parses a qSupported reply ("PacketSize=4000;name+;...")
// into features and the packet size (hex, as the RSP sends it).
func ParseSupported(reply string) (map[string]string, int, error) {
	feats := map[string]string{}
	size := 0
	for _, f := range strings.Split(reply, ";") {
		if f == "" {
			continue
		}
		if name, val, ok := strings.Cut(f, "="); ok {
			feats[name] = val
			continue
		}
		last := f[len(f)-1]
		if last == '+' || last == '-' || last == '?' {
			feats[f[:len(f)-1]] = string(last)
			continue
		}
		feats[f] = "+"
	}
	if v, ok := feats["PacketSize"]; ok {
		n, err := strconv.ParseUint(v, 16, 32)
		if err != nil || n < 64 {
			return feats, 0, fmt.Errorf("bad PacketSize %q", v)
		}
		size = int(n)
	} else {
		// GDB's own default when the stub says nothing.
		size = 400
	}
	return feats, size, nil
}

// guessStub tells OpenOCD from QEMU. OpenOCD names qXfer:memory-map and
// qXfer:threads and sends one flat target.xml; QEMU says multiprocess+
// and builds target.xml from xi:include pieces.
func guessStub(feats map[string]string, d *TargetDesc) Stub {
	if s := stubFromFeatures(feats); s != StubUnknown {
		return s
	}
	_, memmap := feats["qXfer:memory-map:read"]
	_, threads := feats["qXfer:threads:read"]
	switch {
	case memmap && threads && len(d.Includes) == 0:
		return StubOpenOCD
	case feats["multiprocess"] == "+" && len(d.Includes) > 0:
		return StubQEMU
	case memmap:
		return StubOpenOCD
	case len(d.Includes) > 0:
		for _, inc := range d.Includes {
			if strings.HasPrefix(inc, "arm-") {
				return StubQEMU
			}
		}
	}
	return StubUnknown
}

// xferRead reads a whole qXfer object, page by page: "m" means more
// follows, "l" means last. The page length asked for fits PacketSize.
func (cl *Client) xferRead(ctx context.Context, object, annex string) ([]byte, error) {
	page := cl.packetSize - 16 // room for the 'm'/'l' byte, framing and escapes' slack
	if page < 64 {
		page = 64
	}
	var out []byte
	for range 1 << 12 {
		op := fmt.Sprintf("read %s annex %s at %d", object, annex, len(out))
		req := fmt.Appendf(nil, "qXfer:%s:read:%s:%x,%x", object, annex, len(out), page)
		reply, err := cl.exchange(ctx, op, req)
		if err != nil {
			return nil, err
		}
		switch reply[0] {
		case 'l':
			return append(out, reply[1:]...), nil
		case 'm':
			if len(reply) == 1 {
				return nil, fmt.Errorf("%s: stub sent an empty 'm' page", op)
			}
			out = append(out, reply[1:]...)
		default:
			return nil, fmt.Errorf("%s: unexpected reply %q", op, truncate(reply))
		}
	}
	return nil, fmt.Errorf("read %s annex %s: more than 4096 pages", object, annex)
}
