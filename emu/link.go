package emu

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// Frame types of the co-processor link (firmware/README.md, "Co-processor
// protocol"). Types below 0x80 go from the co-processor to the firmware.
const (
	FrameLinkUp   byte = 0x01
	FrameLinkDown byte = 0x02
	FrameAccept   byte = 0x03 // Conn = slot, payload = firmware port (u16 LE)
	FrameData     byte = 0x04
	FrameClose    byte = 0x05
	FrameError    byte = 0x06

	FrameHello    byte = 0x80 // payload = firmware name
	FrameListen   byte = 0x81 // payload = port (u16 LE)
	FrameSend     byte = 0x82
	FrameCloseReq byte = 0x83
	FrameUnlisten byte = 0x84
)

// FrameSOF starts every frame.
const FrameSOF = 0x7E

// MaxPayload is the largest payload either side accepts.
const MaxPayload = 512

// A Frame is one message on the co-processor link.
type Frame struct {
	Type    byte
	Conn    byte
	Payload []byte
}

func (f Frame) String() string {
	return fmt.Sprintf("%s conn=%d len=%d", FrameTypeName(f.Type), f.Conn, len(f.Payload))
}

// FrameTypeName names a frame type for logs.
func FrameTypeName(t byte) string {
	switch t {
	case FrameLinkUp:
		return "LINK_UP"
	case FrameLinkDown:
		return "LINK_DOWN"
	case FrameAccept:
		return "ACCEPT"
	case FrameData:
		return "DATA"
	case FrameClose:
		return "CLOSE"
	case FrameError:
		return "ERROR"
	case FrameHello:
		return "HELLO"
	case FrameListen:
		return "LISTEN"
	case FrameSend:
		return "SEND"
	case FrameCloseReq:
		return "CLOSE_REQ"
	case FrameUnlisten:
		return "UNLISTEN"
	}
	return fmt.Sprintf("type(0x%02x)", t)
}

// ErrPayloadTooLong is returned by AppendFrame for a payload over MaxPayload.
var ErrPayloadTooLong = errors.New("emu: frame payload longer than MaxPayload")

// AppendFrame appends f's wire form to b:
// SOF, type, conn, len (u16 LE), payload, checksum, where the checksum makes
// the byte sum from type to checksum zero.
func AppendFrame(b []byte, f Frame) ([]byte, error) {
	if len(f.Payload) > MaxPayload {
		return b, ErrPayloadTooLong
	}
	n := len(f.Payload)
	start := len(b)
	b = append(b, FrameSOF, f.Type, f.Conn, byte(n), byte(n>>8))
	b = append(b, f.Payload...)
	var sum byte
	for _, c := range b[start+1:] {
		sum += c
	}
	return append(b, -sum), nil
}

// A FrameReader reads frames from a byte stream. It resynchronises after
// garbage (a corrupt length or checksum, or bytes before the first SOF,
// as after a firmware reset) by looking for the next SOF, and counts what it
// skipped.
type FrameReader struct {
	r       *bufio.Reader
	Skipped int // bytes dropped while resynchronising
}

// NewFrameReader reads frames from r.
func NewFrameReader(r io.Reader) *FrameReader {
	return &FrameReader{r: bufio.NewReaderSize(r, 4096)}
}

// Next returns the next valid frame, or the reader's error.
func (fr *FrameReader) Next() (Frame, error) {
	for {
		b, err := fr.r.ReadByte()
		if err != nil {
			return Frame{}, err
		}
		if b != FrameSOF {
			fr.Skipped++
			continue
		}
		hdr, err := fr.r.Peek(4)
		if err != nil {
			return Frame{}, err
		}
		n := int(hdr[2]) | int(hdr[3])<<8
		if n > MaxPayload {
			fr.Skipped++
			continue
		}
		whole, err := fr.r.Peek(4 + n + 1)
		if err != nil {
			return Frame{}, err
		}
		var sum byte
		for _, c := range whole {
			sum += c
		}
		if sum != 0 {
			fr.Skipped++
			continue
		}
		f := Frame{Type: whole[0], Conn: whole[1], Payload: append([]byte(nil), whole[4:4+n]...)}
		if _, err := fr.r.Discard(len(whole)); err != nil {
			return Frame{}, err
		}
		return f, nil
	}
}
