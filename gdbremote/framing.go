package gdbremote

// Framing of the GDB Remote Serial Protocol, apart from any command: what a
// packet looks like on the wire and how to turn bytes into frames and back.
// Both the client (conn.go) and the stub side (server.go) use it.
//
// Hand-written: no maintained Go library offers RSP framing on its own
// (delve's gdbserial keeps it private and tied to its process model).

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// FrameKind says what a frame read from the wire is.
type FrameKind int

const (
	FramePacket       FrameKind = iota // $data#cs
	FrameNotification                  // %data#cs
	FrameAck                           // +
	FrameNack                          // -
	FrameInterrupt                     // 0x03 (Ctrl-C)
)

func (k FrameKind) String() string {
	switch k {
	case FramePacket:
		return "packet"
	case FrameNotification:
		return "notification"
	case FrameAck:
		return "ack"
	case FrameNack:
		return "nack"
	case FrameInterrupt:
		return "interrupt"
	}
	return fmt.Sprintf("FrameKind(%d)", int(k))
}

// A Frame is one unit read from the wire.
type Frame struct {
	Kind FrameKind
	// Data is the decoded payload (escapes and run-length expanded) of a
	// packet or notification.
	Data []byte
	// Raw is the payload as it was on the wire, between '$' and '#'.
	Raw []byte
	// ChecksumOK is false when the checksum did not match; Data is then
	// still filled in so a trace can show it.
	ChecksumOK bool
	// Skipped counts garbage bytes thrown away before this frame.
	Skipped int
}

const (
	escapeByte = '}' // 0x7d: the next byte is XORed with 0x20
	runByte    = '*' // run-length: repeat the previous byte (next-29) more times

	// maxFrame bounds one packet so a peer sending endless data without '#'
	// cannot make us allocate without limit. Far above any PacketSize seen
	// (OpenOCD 0x4000, QEMU 0x1000).
	maxFrame = 1 << 20
)

// Checksum is the modulo-256 sum of the payload bytes as sent.
func Checksum(raw []byte) byte {
	var s byte
	for _, b := range raw {
		s += b
	}
	return s
}

// needsEscape reports the bytes that cannot appear as themselves in a
// packet body: the frame delimiters, the escape and the run-length marker.
func needsEscape(b byte) bool {
	return b == '#' || b == '$' || b == escapeByte || b == runByte
}

// Escape returns data with '#', '$', '}' and '*' escaped ('}' then b^0x20),
// as binary payloads (X, qXfer replies) require.
func Escape(data []byte) []byte {
	out := make([]byte, 0, len(data)+8)
	for _, b := range data {
		if needsEscape(b) {
			out = append(out, escapeByte, b^0x20)
			continue
		}
		out = append(out, b)
	}
	return out
}

// EncodePacket returns the wire form "$<escaped data>#cs".
func EncodePacket(data []byte) []byte {
	return encodeFrame('$', data)
}

// EncodeNotification returns the wire form "%<escaped data>#cs".
func EncodeNotification(data []byte) []byte {
	return encodeFrame('%', data)
}

func encodeFrame(start byte, data []byte) []byte {
	body := Escape(data)
	out := make([]byte, 0, len(body)+4)
	out = append(out, start)
	out = append(out, body...)
	return append(out, '#', hexDigit(Checksum(body)>>4), hexDigit(Checksum(body)&0xf))
}

func hexDigit(n byte) byte {
	return "0123456789abcdef"[n&0xf]
}

func unhexDigit(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// A DecodeError says why a packet body could not be decoded.
type DecodeError struct {
	Offset int // byte offset in the raw body
	Msg    string
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("rsp decode at byte %d: %s", e.Offset, e.Msg)
}

// Unescape expands escapes ('}' x) and run-length encoding ('*' n) of a
// packet body in one pass, the way GDB reads it: a run repeats the previous
// output byte n-29 more times.
func Unescape(raw []byte) ([]byte, error) {
	out := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); i++ {
		switch b := raw[i]; b {
		case escapeByte:
			if i+1 >= len(raw) {
				return out, &DecodeError{Offset: i, Msg: "escape at end of packet"}
			}
			i++
			out = append(out, raw[i]^0x20)
		case runByte:
			if len(out) == 0 {
				return out, &DecodeError{Offset: i, Msg: "run-length with nothing to repeat"}
			}
			if i+1 >= len(raw) {
				return out, &DecodeError{Offset: i, Msg: "run-length count missing"}
			}
			i++
			n := int(raw[i]) - 29
			if n < 0 {
				return out, &DecodeError{Offset: i, Msg: fmt.Sprintf("run-length count %q too small", raw[i])}
			}
			if len(out)+n > maxFrame {
				return out, &DecodeError{Offset: i, Msg: "run-length expands past the frame limit"}
			}
			last := out[len(out)-1]
			for range n {
				out = append(out, last)
			}
		default:
			out = append(out, b)
		}
	}
	return out, nil
}

// errFrameTooLong is returned when no '#' comes within maxFrame bytes.
var errFrameTooLong = errors.New("packet longer than 1 MiB without '#'")

// ReadFrame reads the next frame from r. Bytes that start no frame are
// skipped and counted in Frame.Skipped. End of input inside a frame gives
// an error wrapping ErrClosed and io.ErrUnexpectedEOF; end of input between
// frames gives one wrapping ErrClosed and io.EOF. A body that does not
// decode is reported as a frame with ChecksumOK false, so the caller asks
// for it again like any corrupted packet. A frame cut by a read error is
// lost; use a Decoder to resume after timeouts.
func ReadFrame(r *bufio.Reader) (Frame, error) {
	d := NewDecoder(r)
	return d.Next()
}

// A Decoder reads frames and keeps a frame cut short by a read error
// (a deadline) so the next call resumes it: a stop reply that straddles a
// WaitStop timeout is not lost.
type Decoder struct {
	r       *bufio.Reader
	start   byte   // '$' or '%' while inside a frame, else 0
	raw     []byte // body so far
	inSum   bool   // '#' seen
	sum     []byte // checksum digits so far
	skipped int
}

// NewDecoder reads frames from r.
func NewDecoder(r *bufio.Reader) *Decoder { return &Decoder{r: r} }

// Next reads the next frame (see ReadFrame).
func (d *Decoder) Next() (Frame, error) {
	for d.start == 0 {
		b, err := d.r.ReadByte()
		if err != nil {
			return Frame{Skipped: d.skipped}, closedErr(err, false)
		}
		var f Frame
		switch b {
		case '+':
			f.Kind = FrameAck
		case '-':
			f.Kind = FrameNack
		case 0x03:
			f.Kind = FrameInterrupt
		case '$', '%':
			d.start = b
			continue
		default:
			d.skipped++
			continue
		}
		f.Skipped, d.skipped = d.skipped, 0
		return f, nil
	}
	for !d.inSum {
		chunk, err := d.r.ReadSlice('#')
		d.raw = append(d.raw, chunk...)
		if err == nil {
			d.raw = d.raw[:len(d.raw)-1]
			d.inSum = true
			break
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return Frame{}, closedErr(err, true)
		}
		if len(d.raw) > maxFrame {
			d.reset()
			return Frame{}, errFrameTooLong
		}
	}
	for len(d.sum) < 2 {
		b, err := d.r.ReadByte()
		if err != nil {
			return Frame{}, closedErr(err, true)
		}
		d.sum = append(d.sum, b)
	}
	f := Frame{Kind: FramePacket, Raw: d.raw, Skipped: d.skipped}
	if d.start == '%' {
		f.Kind = FrameNotification
	}
	hi, ok1 := unhexDigit(d.sum[0])
	lo, ok2 := unhexDigit(d.sum[1])
	data, derr := Unescape(d.raw)
	f.Data = data
	f.ChecksumOK = ok1 && ok2 && hi<<4|lo == Checksum(d.raw) && derr == nil
	d.reset()
	return f, nil
}

func (d *Decoder) reset() {
	d.start, d.raw, d.inSum, d.sum, d.skipped = 0, nil, false, nil, 0
}

// closedErr turns end of input into ErrClosed, keeping other errors.
func closedErr(err error, midFrame bool) error {
	if errors.Is(err, io.EOF) {
		if midFrame {
			return fmt.Errorf("%w: %w", ErrClosed, io.ErrUnexpectedEOF)
		}
		return fmt.Errorf("%w: %w", ErrClosed, io.EOF)
	}
	return err
}

// IsConsolePacket reports whether a stub packet is an 'O' console output
// packet: 'O' followed by an even number of hex digits (possibly none, the
// keep-alive "$O#4f"). "OK" is not one: 'K' is no hex digit.
func IsConsolePacket(data []byte) bool {
	if len(data) == 0 || data[0] != 'O' || len(data)%2 != 1 {
		return false
	}
	for _, c := range data[1:] {
		if _, ok := unhexDigit(c); !ok {
			return false
		}
	}
	return true
}

// DecodeHex decodes a hex string as the RSP writes it (either case).
func DecodeHex(s []byte) ([]byte, error) {
	if len(s)%2 != 0 {
		return nil, fmt.Errorf("odd hex length %d", len(s))
	}
	out := make([]byte, len(s)/2)
	for i := range out {
		hi, ok1 := unhexDigit(s[2*i])
		lo, ok2 := unhexDigit(s[2*i+1])
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("bad hex %q at %d", s[2*i:2*i+2], 2*i)
		}
		out[i] = hi<<4 | lo
	}
	return out, nil
}

// EncodeHex encodes bytes as lower-case hex.
func EncodeHex(b []byte) []byte {
	out := make([]byte, 2*len(b))
	for i, c := range b {
		out[2*i] = hexDigit(c >> 4)
		out[2*i+1] = hexDigit(c & 0xf)
	}
	return out
}
