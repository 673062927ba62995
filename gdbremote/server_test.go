package gdbremote

import (
	"context"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// A minimal request/reply server over Serve, the way `faultline serve`
// uses it: the client's whole handshake, 'g', 'p' and 'm' against it.
func TestServeWithHandler(t *testing.T) {
	xml, err := os.ReadFile("testdata/openocd_cm3_target.xml")
	if err != nil {
		t.Fatal(err)
	}
	h := HandlerFunc(func(ctx context.Context, pkt []byte) ([]byte, error) {
		p := string(pkt)
		switch {
		case pkt == nil:
			return []byte("S02"), nil // interrupt
		case strings.HasPrefix(p, "qSupported"):
			return []byte("PacketSize=400;qXfer:features:read+;QStartNoAckMode+"), nil
		case strings.HasPrefix(p, "qXfer:features:read:target.xml:"):
			offLen := strings.Split(p[len("qXfer:features:read:target.xml:"):], ",")
			off, _ := strconv.ParseUint(offLen[0], 16, 32)
			n, _ := strconv.ParseUint(offLen[1], 16, 32)
			if off >= uint64(len(xml)) {
				return []byte("l"), nil
			}
			end := min(off+n, uint64(len(xml)))
			kind := "m"
			if end == uint64(len(xml)) {
				kind = "l"
			}
			return append([]byte(kind), xml[off:end]...), nil
		case p == "g":
			return []byte(strings.Repeat("01000000", 17)), nil
		case strings.HasPrefix(p, "p"):
			return []byte("02000000"), nil
		case strings.HasPrefix(p, "m"):
			a, l, _ := strings.Cut(p[1:], ",")
			n, _ := strconv.ParseUint(l, 16, 32)
			_ = a
			return []byte(strings.Repeat("ab", int(n))), nil
		case p == "?":
			return []byte("S05"), nil
		}
		return []byte{}, nil
	})
	a, b := net.Pipe()
	sc := NewServerConn(b, ServerOptions{})
	served := make(chan error, 1)
	go func() { served <- sc.Serve(context.Background(), h) }()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cl, err := NewClient(ctx, a, Options{Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if !sc.NoAck() {
		t.Error("server did not switch to no-ack mode")
	}
	regs, err := cl.ReadRegisters(ctx)
	if err != nil || regs["xpsr"] != 1 || regs["control"] != 2 || len(regs) != 23 {
		t.Errorf("registers %v, %v", regs, err)
	}
	// PacketSize 0x400: (1024-4)/2 = 510, rounded to 508 bytes per 'm'.
	m, err := cl.ReadMemory(ctx, 0x20000000, 1000)
	if err != nil || len(m) != 1000 || m[999] != 0xab || cl.ReadChunk() != 508 {
		t.Errorf("read %d bytes, %v, chunk %d", len(m), err, cl.ReadChunk())
	}
	if sr, err := cl.Halted(ctx); err != nil || sr.Raw != "S05" {
		t.Errorf("? = %v, %v", sr, err)
	}
	cl.Close()
	if err := <-served; err != nil {
		t.Errorf("Serve ended with %v, want nil on client close", err)
	}
}

func TestServerReadPacketReportsInterruptAndRetransmits(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	sc := NewServerConn(b, ServerOptions{})
	defer sc.Close()
	go func() {
		a.Write([]byte("\x03"))
		a.Write([]byte("$g#00")) // bad checksum: server answers '-'
		a.Write([]byte("$g#67"))
	}()
	ctx := context.Background()
	ev, err := sc.ReadPacket(ctx)
	if err != nil || ev.Kind != EventInterrupt {
		t.Fatalf("first event %+v, %v; want interrupt", ev, err)
	}
	got := make(chan string, 4)
	go func() {
		buf := make([]byte, 16)
		for {
			n, err := a.Read(buf)
			if err != nil {
				close(got)
				return
			}
			got <- string(buf[:n])
		}
	}()
	ev, err = sc.ReadPacket(ctx)
	if err != nil || ev.Kind != EventPacket || string(ev.Data) != "g" {
		t.Fatalf("second event %+v, %v", ev, err)
	}
	if s := <-got + <-got; s != "-+" {
		t.Errorf("server sent %q, want \"-+\"", s)
	}
	if err := sc.WritePacket([]byte("OK")); err != nil {
		t.Fatal(err)
	}
	if s := <-got; s != "$OK#9a" {
		t.Errorf("reply %q", s)
	}
	go sc.ReadPacket(ctx)
	a.Write([]byte("-")) // client asks again
	if s := <-got; s != "$OK#9a" {
		t.Errorf("retransmit %q", s)
	}
}
