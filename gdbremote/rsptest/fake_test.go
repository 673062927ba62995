package rsptest

import (
	"bufio"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/faultline-dev/faultline/gdbremote"
)

// raw is a byte-level client: the fakes must be checked without the
// client's own safety rules in the way.
type raw struct {
	t  *testing.T
	nc net.Conn
	r  *bufio.Reader
}

func dialRaw(t *testing.T, addr string) *raw {
	nc, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	nc.SetDeadline(time.Now().Add(5 * time.Second))
	return &raw{t: t, nc: nc, r: bufio.NewReader(nc)}
}

func (c *raw) send(s string) {
	if _, err := c.nc.Write([]byte(s)); err != nil {
		c.t.Fatalf("write %q: %v", s, err)
	}
}

// next returns the next frame as text: "+", "-", or the packet body.
func (c *raw) next() (string, error) {
	f, err := gdbremote.ReadFrame(c.r)
	if err != nil {
		return "", err
	}
	switch f.Kind {
	case gdbremote.FrameAck:
		return "+", nil
	case gdbremote.FrameNack:
		return "-", nil
	}
	return string(f.Data), nil
}

func (c *raw) expect(want string) {
	c.t.Helper()
	got, err := c.next()
	if err != nil || got != want {
		c.t.Fatalf("got %q, %v; want %q", got, err, want)
	}
}

func TestQEMUFakeStopsOnAnyByteAndLosesThePacket(t *testing.T) {
	fk, err := NewQEMU(Config{State: State{Memory: []Region{{Addr: 0x20000000, Data: make([]byte, 16)}}}})
	if err != nil {
		t.Fatal(err)
	}
	c := dialRaw(t, fk.Listen(t))
	c.send(string(gdbremote.EncodePacket([]byte("c"))))
	c.expect("+")
	c.send(string(gdbremote.EncodePacket([]byte("m20000000,4"))))
	c.expect("T02thread:p01.01;") // no '+': the packet was lost
	c.send("+")
	c.send(string(gdbremote.EncodePacket([]byte("m20000000,4"))))
	c.expect("+")
	c.expect("00000000")
	if reqs := fk.Requests(); !strings.Contains(strings.Join(reqs, "|"), "m20000000,4 (lost: target running)") {
		t.Errorf("requests %v", reqs)
	}
}

func TestOpenOCDFakeClosesOnForbiddenPackets(t *testing.T) {
	tests := []struct {
		pkt    string
		reason string
	}{
		{"p13", "p for regnum 13 not in target.xml"},
		{"Z5,8000000,2", "Z type 5"},
		{"P40=00000000", "P for regnum 40"},
	}
	for _, tt := range tests {
		t.Run(tt.pkt, func(t *testing.T) {
			fk, err := NewOpenOCD(Config{})
			if err != nil {
				t.Fatal(err)
			}
			c := dialRaw(t, fk.Listen(t))
			c.send(string(gdbremote.EncodePacket([]byte(tt.pkt))))
			c.expect("+")
			if got, err := c.next(); !errors.Is(err, gdbremote.ErrClosed) {
				t.Fatalf("got %q, %v; want the connection closed", got, err)
			}
			if !strings.Contains(fk.CloseReason(), tt.reason) {
				t.Errorf("reason %q", fk.CloseReason())
			}
		})
	}
}

func TestOpenOCDFakeAnswersAttachAndReadsWhileRunning(t *testing.T) {
	fk, err := NewOpenOCD(Config{
		State:  State{Memory: []Region{{Addr: 0x20000000, Data: []byte{1, 2, 3, 4}}}},
		Script: []Run{{Console: []string{"running\n"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	c := dialRaw(t, fk.Listen(t))
	c.send(string(gdbremote.EncodePacket([]byte("?"))))
	c.expect("+")
	c.expect("S02")
	c.send("+")
	c.send(string(gdbremote.EncodePacket([]byte("c"))))
	c.expect("+")
	c.expect("O" + string(gdbremote.EncodeHex([]byte("running\n"))))
	c.send("+")
	// 'm' works while the target runs (through the debug port).
	c.send(string(gdbremote.EncodePacket([]byte("m20000000,4"))))
	c.expect("+")
	c.expect("01020304")
	c.send("+\x03")
	c.expect("T02")
}

func TestAttachStopIsConfigurable(t *testing.T) {
	fk, err := NewOpenOCD(Config{AttachStop: "T05"})
	if err != nil {
		t.Fatal(err)
	}
	c := dialRaw(t, fk.Listen(t))
	c.send(string(gdbremote.EncodePacket([]byte("?"))))
	c.expect("+")
	c.expect("T05")
}
