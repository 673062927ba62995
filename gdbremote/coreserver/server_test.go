package coreserver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/faultline-dev/faultline/capture"
	"github.com/faultline-dev/faultline/gdbremote"
)

// flash is a fake ELF: loaded bytes at 0x08000000.
type flash []byte

func (f flash) ReadMemory(buf []byte, addr uint64) (int, error) {
	const base = 0x08000000
	if addr < base || addr-base >= uint64(len(f)) {
		return 0, errors.New("not loaded")
	}
	n := copy(buf, f[addr-base:])
	if n < len(buf) {
		return n, errors.New("not loaded")
	}
	return n, nil
}

func testSnapshot() *capture.Snapshot {
	regs := map[string]uint32{"sp": 0x20000100, "pc": 0x08000010, "lr": 0xfffffffd, "xpsr": 0x01000003, "msp": 0x20000100, "psp": 0x20000200}
	for i := 0; i <= 12; i++ {
		regs[fmt.Sprintf("r%d", i)] = uint32(i * 0x11)
	}
	ram := make([]byte, 0x400)
	for i := range ram {
		ram[i] = byte(i)
	}
	return &capture.Snapshot{Registers: regs, Memory: []capture.Region{
		{Addr: 0x08000004, Data: []byte{0xAA, 0xBB}, Name: "flash-sample"},
		{Addr: 0x20000000, Data: ram, Name: "ram"},
	}}
}

func startServer(t *testing.T, cfg Config) string {
	t.Helper()
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return ln.Addr().String()
}

func TestServerAnswersLikeAHaltedTarget(t *testing.T) {
	snap := testSnapshot()
	fl := make(flash, 0x100)
	for i := range fl {
		fl[i] = 0xF0
	}
	addr := startServer(t, Config{Snapshot: snap, Flash: fl})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := gdbremote.Dial(ctx, addr, gdbremote.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.PacketSize() != PacketSize {
		t.Errorf("PacketSize %d, want %d", c.PacketSize(), PacketSize)
	}
	regs, err := c.ReadRegisters(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for name, v := range snap.Registers {
		if regs[name] != uint64(v) {
			t.Errorf("%s = %#x, want %#x", name, regs[name], v)
		}
	}
	if _, ok := regs["control"]; ok {
		t.Error("control was not captured but reads as a value")
	}
	stop, err := c.Halted(ctx)
	if err != nil || stop.Signal != 5 {
		t.Errorf("? = %+v, %v; want signal 5", stop, err)
	}
	tests := []struct {
		name string
		addr uint64
		n    int
		want []byte // nil: an error
	}{
		{"captured RAM", 0x20000010, 4, []byte{0x10, 0x11, 0x12, 0x13}},
		{"flash from the ELF around a captured sample", 0x08000002, 6, []byte{0xF0, 0xF0, 0xAA, 0xBB, 0xF0, 0xF0}},
		{"neither", 0x40000000, 4, nil},
	}
	for _, tc := range tests {
		got, err := c.ReadMemory(ctx, tc.addr, tc.n)
		if tc.want == nil {
			if err == nil {
				t.Errorf("%s: read %x, want an error", tc.name, got)
			}
			continue
		}
		if err != nil || string(got) != string(tc.want) {
			t.Errorf("%s: read %x, %v; want %x", tc.name, got, err, tc.want)
		}
	}
	if err := c.WriteMemory(ctx, 0x20000000, []byte{1}); err == nil {
		t.Error("memory write accepted")
	}
	if err := c.WriteRegister(ctx, "r0", 1); err == nil {
		t.Error("register write accepted")
	}
	if err := c.SetBreakpoint(ctx, gdbremote.BreakSoftware, 0x08000010, 2); err == nil {
		t.Error("breakpoint accepted")
	}
	if got, _ := c.ReadMemory(ctx, 0x20000000, 1); len(got) != 1 || got[0] != 0 {
		t.Errorf("memory changed after a refused write: %x", got)
	}
}

// FuzzHandlePacket: no request makes the handler panic or fail.
func FuzzHandlePacket(f *testing.F) {
	for _, s := range []string{"g", "p19", "m20000000,10", "m0,ffffffff", "mffffffff,10", "qXfer:features:read:target.xml:0,fff",
		"qXfer:features:read:target.xml:ffffff,1", "M20000000,1:00", "qRcmd,696e666f", "vCont;c", "?", "p", "m,", ""} {
		f.Add(s)
	}
	srv, err := New(Config{Snapshot: testSnapshot(), Flash: make(flash, 16)})
	if err != nil {
		f.Fatal(err)
	}
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	go func() { // drain console output
		buf := make([]byte, 4096)
		for {
			if _, err := b.Read(buf); err != nil {
				return
			}
		}
	}()
	h := &handler{s: srv, sc: gdbremote.NewServerConn(a, gdbremote.ServerOptions{}), done: func() {}}
	f.Fuzz(func(t *testing.T, pkt string) {
		if _, err := h.HandlePacket(context.Background(), []byte(pkt)); err != nil {
			t.Fatalf("%q: %v", pkt, err)
		}
	})
}

// TestServerServesClientsAtOnce: several gdbs may look at one capture.
func TestServerServesClientsAtOnce(t *testing.T) {
	snap := testSnapshot()
	addr := startServer(t, Config{Snapshot: snap})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var clients []*gdbremote.Client
	for range 3 {
		c, err := gdbremote.Dial(ctx, addr, gdbremote.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		clients = append(clients, c)
	}
	for i, c := range clients {
		v, err := c.ReadRegister(ctx, "psp")
		if err != nil || v != uint64(snap.Registers["psp"]) {
			t.Errorf("client %d: psp %#x, %v", i, v, err)
		}
		out, err := c.Monitor(ctx, "info")
		if err != nil || !strings.Contains(out, "read-only") {
			t.Errorf("client %d: monitor info = %q, %v", i, out, err)
		}
	}
}
