package probe

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	"go.bug.st/serial"
)

// SpecKind says how a console is reached.
type SpecKind string

// Kinds of serial spec.
const (
	SpecDevice SpecKind = "device" // a tty path: /dev/ttyACM0, /dev/pts/3, COM3
	SpecTCP    SpecKind = "tcp"    // a TCP byte stream: QEMU -serial tcp:..., ser2net
	SpecUSB    SpecKind = "usb"    // a USB serial number, resolved to a device at each (re)open
)

// DefaultBaud is the baud rate when a spec names none (Device OS's Serial
// and most Cortex-M consoles use 115200).
const DefaultBaud = 115200

// A SerialSpec is a parsed --serial argument.
type SerialSpec struct {
	Kind      SpecKind
	Path      string // SpecDevice: the device path
	Addr      string // SpecTCP: host:port
	USBSerial string // SpecUSB: the USB iSerialNumber
	Baud      int    // device and usb; ignored for tcp
	DataBits  int    // 5..8
	Parity    serial.Parity
	StopBits  serial.StopBits
}

// parityOf is the parity a frame's letter (upper case) names, and
// parityLetter its letter back: switches, not a map, which package init
// would build in every command's start.
func parityOf(letter byte) (serial.Parity, bool) {
	switch letter {
	case 'N':
		return serial.NoParity, true
	case 'E':
		return serial.EvenParity, true
	case 'O':
		return serial.OddParity, true
	case 'M':
		return serial.MarkParity, true
	case 'S':
		return serial.SpaceParity, true
	}
	return 0, false
}

func parityLetter(p serial.Parity) string {
	switch p {
	case serial.EvenParity:
		return "E"
	case serial.OddParity:
		return "O"
	case serial.MarkParity:
		return "M"
	case serial.SpaceParity:
		return "S"
	}
	return "N"
}

// String gives the spec back in the form ParseSerialSpec accepts.
func (s SerialSpec) String() string {
	switch s.Kind {
	case SpecTCP:
		return "tcp:" + s.Addr
	case SpecUSB:
		return "usb:" + s.USBSerial + "@" + s.frame()
	default:
		return s.Path + "@" + s.frame()
	}
}

func (s SerialSpec) frame() string {
	p := parityLetter(s.Parity)
	stop := "1"
	switch s.StopBits {
	case serial.OnePointFiveStopBits:
		stop = "1.5"
	case serial.TwoStopBits:
		stop = "2"
	}
	return fmt.Sprintf("%d,%d%s%s", s.Baud, s.DataBits, p, stop)
}

// Mode returns the serial line settings for go.bug.st/serial.
func (s SerialSpec) Mode() *serial.Mode {
	return &serial.Mode{BaudRate: s.Baud, DataBits: s.DataBits, Parity: s.Parity, StopBits: s.StopBits}
}

// ParseSerialSpec parses a --serial argument:
//
//	DEV[@BAUD[,FRAME]]        /dev/ttyACM0@115200, /dev/pts/3, /dev/ttyUSB0@9600,7E1
//	usb:SERIAL[@BAUD[,FRAME]] a USB serial number (reopened by number after re-enumeration)
//	tcp:HOST:PORT             a raw TCP stream (QEMU -serial tcp:..., ser2net)
//
// FRAME is data bits (5-8), then optionally parity (N, E, O, M, S) and stop
// bits (1, 1.5, 2): "8", "8N", "8N1", "7E2". Defaults: 115200, 8N1. The
// last '@' splits the path from the baud, so paths may contain '@' only if
// a baud follows.
func ParseSerialSpec(s string) (SerialSpec, error) {
	spec := SerialSpec{Baud: DefaultBaud, DataBits: 8, Parity: serial.NoParity, StopBits: serial.OneStopBit}
	if strings.TrimSpace(s) != s || s == "" {
		return SerialSpec{}, fmt.Errorf("serial spec %q: empty or surrounded by spaces", s)
	}
	if rest, ok := strings.CutPrefix(s, "tcp:"); ok {
		host, port, err := net.SplitHostPort(rest)
		if err != nil {
			return SerialSpec{}, fmt.Errorf("serial spec %q: want tcp:HOST:PORT: %w", s, err)
		}
		n, err := strconv.Atoi(port)
		if err != nil || n <= 0 || n > 65535 {
			return SerialSpec{}, fmt.Errorf("serial spec %q: bad TCP port %q", s, port)
		}
		if host == "" {
			host = "127.0.0.1"
		}
		spec.Kind, spec.Addr = SpecTCP, net.JoinHostPort(host, port)
		return spec, nil
	}
	spec.Kind = SpecDevice
	body := s
	if rest, ok := strings.CutPrefix(s, "usb:"); ok {
		spec.Kind, body = SpecUSB, rest
	}
	name := body
	if i := strings.LastIndexByte(body, '@'); i >= 0 {
		name = body[:i]
		if err := parseFrame(body[i+1:], &spec); err != nil {
			return SerialSpec{}, fmt.Errorf("serial spec %q: %w", s, err)
		}
	}
	if name == "" {
		return SerialSpec{}, fmt.Errorf("serial spec %q: no device", s)
	}
	if strings.ContainsAny(name, "\x00\n\r") {
		return SerialSpec{}, fmt.Errorf("serial spec %q: control character in device name", s)
	}
	if spec.Kind == SpecUSB {
		spec.USBSerial = name
	} else {
		spec.Path = name
	}
	return spec, nil
}

// parseFrame parses "BAUD[,FRAME]" into spec.
func parseFrame(s string, spec *SerialSpec) error {
	baudText, frame, hasFrame := strings.Cut(s, ",")
	baud, err := strconv.Atoi(baudText)
	if err != nil || baud <= 0 || baud > 20_000_000 {
		return fmt.Errorf("bad baud rate %q (want a number such as 115200)", baudText)
	}
	spec.Baud = baud
	if !hasFrame {
		return nil
	}
	if frame == "" {
		return errors.New("empty frame after ',' (want e.g. 8N1)")
	}
	if frame[0] < '5' || frame[0] > '8' {
		return fmt.Errorf("bad data bits in %q (want 5-8)", frame)
	}
	spec.DataBits = int(frame[0] - '0')
	frame = frame[1:]
	if frame == "" {
		return nil
	}
	p, ok := parityOf(strings.ToUpper(frame[:1])[0])
	if !ok {
		return fmt.Errorf("bad parity %q (want N, E, O, M or S)", frame[:1])
	}
	spec.Parity = p
	switch frame[1:] {
	case "", "1":
		spec.StopBits = serial.OneStopBit
	case "1.5":
		spec.StopBits = serial.OnePointFiveStopBits
	case "2":
		spec.StopBits = serial.TwoStopBits
	default:
		return fmt.Errorf("bad stop bits %q (want 1, 1.5 or 2)", frame[1:])
	}
	return nil
}
