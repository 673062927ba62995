package emu

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"testing"
	"time"
)

// fakeFirmware is the firmware's end of the link, driven by the test.
type fakeFirmware struct {
	t    *testing.T
	conn net.Conn
	fr   *FrameReader
}

func (f *fakeFirmware) send(fr Frame) {
	f.t.Helper()
	b, err := AppendFrame(nil, fr)
	if err != nil {
		f.t.Fatal(err)
	}
	if _, err := f.conn.Write(b); err != nil {
		f.t.Fatalf("firmware write: %v", err)
	}
}

// expect reads frames until one of type typ arrives.
func (f *fakeFirmware) expect(typ byte) Frame {
	f.t.Helper()
	_ = f.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		fr, err := f.fr.Next()
		if err != nil {
			f.t.Fatalf("waiting for %s: %v", FrameTypeName(typ), err)
		}
		if fr.Type == typ {
			return fr
		}
	}
}

// startWiFi runs a co-processor whose link is a loopback socket to a fake
// firmware that has booted (HELLO) and listens on the default port.
func startWiFi(t *testing.T) (*WiFi, *fakeFirmware) {
	t.Helper()
	w, err := NewWiFi(WiFiConfig{})
	if err != nil {
		t.Fatal(err)
	}
	// A real socket pair, buffered like QEMU's chardev (net.Pipe is
	// synchronous and would stall the co-processor's writes).
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	coEnd, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	fwEnd, err := ln.Accept()
	ln.Close()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan struct{})
	dialed := false
	go func() {
		defer close(served)
		_ = w.Serve(ctx, func(context.Context) (net.Conn, error) {
			if dialed {
				<-ctx.Done()
				return nil, ctx.Err()
			}
			dialed = true
			return coEnd, nil
		})
	}()
	t.Cleanup(func() {
		cancel()
		w.Close()
		fwEnd.Close()
		<-served
	})
	fw := &fakeFirmware{t: t, conn: fwEnd, fr: NewFrameReader(fwEnd)}
	fw.send(Frame{Type: FrameHello, Payload: []byte("fake")})
	fw.expect(FrameLinkUp)
	fw.send(Frame{Type: FrameListen, Payload: binary.LittleEndian.AppendUint16(nil, DefaultHTTPPort)})
	ctxw, cancelw := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancelw()
	if err := w.WaitListening(ctxw); err != nil {
		t.Fatal(err)
	}
	return w, fw
}

func TestWiFiForwardsAConnectionBothWays(t *testing.T) {
	w, fw := startWiFi(t)
	c, err := net.Dial("tcp", w.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	acc := fw.expect(FrameAccept)
	if port := binary.LittleEndian.Uint16(acc.Payload); port != DefaultHTTPPort {
		t.Errorf("ACCEPT port %d, want %d", port, DefaultHTTPPort)
	}
	if _, err := c.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	if d := fw.expect(FrameData); d.Conn != acc.Conn || string(d.Payload) != "ping" {
		t.Errorf("DATA %v %q, want conn %d \"ping\"", d, d.Payload, acc.Conn)
	}
	fw.send(Frame{Type: FrameSend, Conn: acc.Conn, Payload: []byte("pong")})
	fw.send(Frame{Type: FrameCloseReq, Conn: acc.Conn})
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	got, err := io.ReadAll(c)
	if err != nil || string(got) != "pong" {
		t.Errorf("peer read %q, %v; want \"pong\" then EOF", got, err)
	}
}

func TestWiFiDropResetsConnectionsAndRefusesUntilRelisten(t *testing.T) {
	w, fw := startWiFi(t)
	c, err := net.Dial("tcp", w.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fw.expect(FrameAccept)

	w.DropLink()
	fw.expect(FrameLinkDown)
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err == nil || errors.Is(err, io.EOF) {
		t.Errorf("read on a dropped connection: %v, want a reset", err)
	}
	if w.Listening() {
		t.Error("still listening while the link is down")
	}
	refused := func() bool {
		c, err := net.Dial("tcp", w.Addr())
		if err != nil {
			return true
		}
		defer c.Close()
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, err = c.Read(make([]byte, 1))
		return err != nil
	}
	if !refused() {
		t.Error("connection accepted while the link is down")
	}
	w.RestoreLink()
	fw.expect(FrameLinkUp)
	if w.Listening() {
		t.Error("listening after the restore before the firmware's LISTEN")
	}
	if !refused() {
		t.Error("connection accepted before the firmware listened again")
	}
	if st := w.Stats(); st.Drops != 1 || st.Restores != 1 || st.Refused < 2 {
		t.Errorf("stats %+v", st)
	}
}
