package probe

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"go.bug.st/serial"
)

// port is an open console connection. Read returns (0, nil) when the read
// timeout passes with no data, so the reader can flush idle partial lines
// and notice Close.
type port interface {
	Read(p []byte) (int, error)
	Write(p []byte) (int, error)
	Close() error
}

type serialPort struct{ p serial.Port }

func (s serialPort) Read(b []byte) (int, error)  { return s.p.Read(b) }
func (s serialPort) Write(b []byte) (int, error) { return s.p.Write(b) }
func (s serialPort) Close() error                { return s.p.Close() }

type tcpPort struct {
	c       net.Conn
	timeout time.Duration
}

func (t tcpPort) Read(b []byte) (int, error) {
	if err := t.c.SetReadDeadline(time.Now().Add(t.timeout)); err != nil {
		return 0, fmt.Errorf("set read deadline: %w", err)
	}
	n, err := t.c.Read(b)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return n, nil
	}
	return n, err
}

// Write gives up after the read timeout's worth of a stalled peer times
// ten: a console answer is a few bytes.
func (t tcpPort) Write(b []byte) (int, error) {
	if err := t.c.SetWriteDeadline(time.Now().Add(10 * t.timeout)); err != nil {
		return 0, fmt.Errorf("set write deadline: %w", err)
	}
	return t.c.Write(b)
}

func (t tcpPort) Close() error { return t.c.Close() }

// openPort opens spec once. A USB spec is resolved to a device path at each
// call because the device name can change when the board re-enumerates
// (the Photon's USB CDC does on every reset).
func openPort(ctx context.Context, spec SerialSpec, opts *ConsoleOptions, readTimeout time.Duration) (port, string, error) {
	switch spec.Kind {
	case SpecTCP:
		d := net.Dialer{Timeout: 2 * time.Second}
		c, err := d.DialContext(ctx, "tcp", spec.Addr)
		if err != nil {
			return nil, "", fmt.Errorf("dial console %s: %w", spec.Addr, err)
		}
		return tcpPort{c: c, timeout: readTimeout}, spec.Addr, nil
	case SpecUSB:
		path, err := resolveUSB(spec.USBSerial, opts.ListPorts)
		if err != nil {
			return nil, "", err
		}
		p, err := openSerial(path, spec, readTimeout)
		return p, path, err
	default:
		p, err := openSerial(spec.Path, spec, readTimeout)
		return p, spec.Path, err
	}
}

func openSerial(path string, spec SerialSpec, readTimeout time.Duration) (port, error) {
	// Fail early with the OS's words when the path does not exist; the
	// serial library's errors for that case say less.
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("open console %s: %w", path, err)
	}
	p, err := serial.Open(path, spec.Mode())
	if err != nil {
		return nil, fmt.Errorf("open console %s: %w", path, err)
	}
	if err := p.SetReadTimeout(readTimeout); err != nil {
		p.Close()
		return nil, fmt.Errorf("set read timeout on %s: %w", path, err)
	}
	return serialPort{p}, nil
}

// resolveUSB finds the device whose USB serial number is sn
// (case-insensitive, as tools print them in either case).
func resolveUSB(sn string, list func() ([]*USBPort, error)) (string, error) {
	if list == nil {
		list = listUSBPorts
	}
	ports, err := list()
	if err != nil {
		return "", fmt.Errorf("list USB serial ports: %w", err)
	}
	var seen []string
	for _, p := range ports {
		if p.IsUSB && strings.EqualFold(p.SerialNumber, sn) {
			return p.Name, nil
		}
		if p.IsUSB {
			seen = append(seen, p.Name+"="+p.SerialNumber)
		}
	}
	return "", fmt.Errorf("no USB serial port with serial number %q (present: %s)", sn, strings.Join(append(seen, "none")[:max(len(seen), 1)], ", "))
}
