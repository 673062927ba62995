package gdbremote_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/faultline-dev/faultline/gdbremote"
	"github.com/faultline-dev/faultline/gdbremote/rsptest"
)

// flavour builds a fake of one kind.
type flavour struct {
	name   string
	listen func(t *testing.T, cfg rsptest.Config) (*rsptest.Fake, string)
	stub   gdbremote.Stub
}

var flavours = []flavour{
	{"openocd", func(t *testing.T, cfg rsptest.Config) (*rsptest.Fake, string) { return rsptest.ListenOpenOCD(t, cfg) }, gdbremote.StubOpenOCD},
	{"qemu", func(t *testing.T, cfg rsptest.Config) (*rsptest.Fake, string) { return rsptest.ListenQEMU(t, cfg) }, gdbremote.StubQEMU},
}

type consoleLog struct {
	mu    sync.Mutex
	lines []string
}

func (c *consoleLog) add(s string) {
	c.mu.Lock()
	c.lines = append(c.lines, s)
	c.mu.Unlock()
}

func (c *consoleLog) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.Join(c.lines, "")
}

func ram(addr uint64, n int) rsptest.Region {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i>>8)
	}
	return rsptest.Region{Addr: addr, Data: b}
}

func baseState() rsptest.State {
	regs := map[string]uint64{"pc": 0x08000100, "sp": 0x2001ff00, "msp": 0x2001ff00, "psp": 0x20001000,
		"lr": 0xfffffff9, "xpsr": 0x01000003, "control": 2, "primask": 1, "basepri": 0x20}
	for i := range 13 {
		regs[fmt.Sprintf("r%d", i)] = uint64(0x1000 + i)
	}
	return rsptest.State{Regs: regs, Memory: []rsptest.Region{ram(0x20000000, 128<<10), ram(0x08000000, 4096)}}
}

func dial(t *testing.T, addr string, opts gdbremote.Options) *gdbremote.Client {
	t.Helper()
	if opts.Timeout == 0 {
		opts.Timeout = 3 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cl, err := gdbremote.Dial(ctx, addr, opts)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { cl.Close() })
	return cl
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestHandshakeOpenOCD(t *testing.T) {
	tests := []struct {
		name string
		cfg  rsptest.Config
		regs []string
	}{
		{"cortex-m3", rsptest.Config{}, []string{"r0", "pc", "xpsr", "msp", "psp", "primask", "basepri", "faultmask", "control"}},
		{"cortex-m4f", rsptest.Config{CM4F: true}, []string{"xpsr", "msp", "d0", "d15", "fpscr"}},
		{"openocd 0.12 says xPSR", rsptest.Config{OldXPSRName: true}, []string{"xpsr"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fk, addr := rsptest.ListenOpenOCD(t, tt.cfg)
			cl := dial(t, addr, gdbremote.Options{})
			if cl.Stub() != gdbremote.StubOpenOCD {
				t.Errorf("Stub = %v", cl.Stub())
			}
			if cl.PacketSize() != 0x4000 {
				t.Errorf("PacketSize = %#x, want 0x4000", cl.PacketSize())
			}
			for _, r := range tt.regs {
				if !cl.HasRegister(r) {
					t.Errorf("no register %s in %v", r, cl.RegisterNames())
				}
			}
			if !contains(fk.Requests(), "QStartNoAckMode") {
				t.Errorf("QStartNoAckMode not sent though advertised: %v", fk.Requests())
			}
			sr, err := cl.Halted(ctxT(t))
			if err != nil || sr.Raw != "S02" {
				t.Errorf("? right after attach = %+v, %v; want S02", sr, err)
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestHandshakeQEMU(t *testing.T) {
	tests := []struct {
		name   string
		cfg    rsptest.Config
		hasMSP bool
		nRegs  int
	}{
		{"qemu 8+ with m-system", rsptest.Config{}, true, 23},
		{"qemu 7.2 without msp/psp", rsptest.Config{NoMSystem: true}, false, 17},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fk, addr := rsptest.ListenQEMU(t, tt.cfg)
			cl := dial(t, addr, gdbremote.Options{})
			if cl.Stub() != gdbremote.StubQEMU || cl.PacketSize() != 0x1000 {
				t.Errorf("Stub = %v, PacketSize = %#x", cl.Stub(), cl.PacketSize())
			}
			if cl.HasRegister("msp") != tt.hasMSP || cl.HasRegister("PSP") != tt.hasMSP {
				t.Errorf("HasRegister(msp) = %v, want %v", cl.HasRegister("msp"), tt.hasMSP)
			}
			if n := len(cl.RegisterNames()); n != tt.nRegs {
				t.Errorf("%d registers %v, want %d", n, cl.RegisterNames(), tt.nRegs)
			}
			if contains(fk.Requests(), "QStartNoAckMode") {
				t.Errorf("QStartNoAckMode sent though not advertised")
			}
			if x, _ := cl.TargetDesc().Lookup("xpsr"); x.Regnum != 25 {
				t.Errorf("xpsr regnum = %d, want 25", x.Regnum)
			}
		})
	}
}

// pRegnums lists the regnums the client asked for with 'p'.
func pRegnums(reqs []string) []int {
	var out []int
	for _, r := range reqs {
		if strings.HasPrefix(r, "p") {
			n, _ := strconv.ParseUint(r[1:], 16, 16)
			out = append(out, int(n))
		}
	}
	return out
}

func TestReadRegistersByName(t *testing.T) {
	for _, fl := range flavours {
		for _, cm4f := range []bool{false, true} {
			if cm4f && fl.name == "qemu" {
				continue
			}
			t.Run(fmt.Sprintf("%s/cm4f=%v", fl.name, cm4f), func(t *testing.T) {
				st := baseState()
				st.Regs["d3"] = 0x0123456789abcdef
				fk, addr := fl.listen(t, rsptest.Config{State: st, CM4F: cm4f})
				cl := dial(t, addr, gdbremote.Options{})
				regs, err := cl.ReadRegisters(ctxT(t))
				if err != nil {
					t.Fatalf("ReadRegisters: %v", err)
				}
				for name, want := range st.Regs {
					if !cl.HasRegister(name) {
						continue
					}
					if regs[name] != want {
						t.Errorf("%s = %#x, want %#x", name, regs[name], want)
					}
				}
				if len(regs) != len(cl.RegisterNames()) {
					t.Errorf("read %d registers, target.xml has %d", len(regs), len(cl.RegisterNames()))
				}
				// 'g' covers r0-pc and xpsr; 'p' only for the rest, all listed.
				for _, n := range pRegnums(fk.Requests()) {
					if _, ok := cl.TargetDesc().ByRegnum(n); !ok || n <= 16 && fl.name == "openocd" {
						t.Errorf("p%x sent: not needed or not in target.xml", n)
					}
				}
				if r := fk.CloseReason(); r != "" {
					t.Errorf("fake closed the connection: %s", r)
				}
			})
		}
	}
}

func TestReadWriteSingleRegister(t *testing.T) {
	for _, fl := range flavours {
		t.Run(fl.name, func(t *testing.T) {
			fk, addr := fl.listen(t, rsptest.Config{State: baseState()})
			cl := dial(t, addr, gdbremote.Options{})
			ctx := ctxT(t)
			if v, err := cl.ReadRegister(ctx, "PSP"); err != nil || v != 0x20001000 {
				t.Errorf("ReadRegister(PSP) = %#x, %v", v, err)
			}
			if err := cl.WriteRegister(ctx, "r7", 0xdeadbeef); err != nil {
				t.Fatal(err)
			}
			if fk.Regs()["r7"] != 0xdeadbeef {
				t.Errorf("fake r7 = %#x after write", fk.Regs()["r7"])
			}
			if err := cl.WriteRegister(ctx, "control", 3); err != nil || fk.Regs()["control"] != 3 {
				t.Errorf("write control (sub-byte on OpenOCD): %v, fake has %d", err, fk.Regs()["control"])
			}
			before := len(fk.Requests())
			if _, err := cl.ReadRegister(ctx, "s31"); !errors.Is(err, gdbremote.ErrNoRegister) {
				t.Errorf("unknown register: %v, want ErrNoRegister", err)
			}
			if len(fk.Requests()) != before {
				t.Errorf("a request was sent for an unknown register: %v", fk.Requests()[before:])
			}
			if fk.CloseReason() != "" {
				t.Errorf("fake closed: %s", fk.CloseReason())
			}
		})
	}
}

func TestOpenOCDFakeDropsConnectionOnUnknownRegnum(t *testing.T) {
	// The fake must behave like OpenOCD, or the test above proves nothing.
	fk, addr := rsptest.ListenOpenOCD(t, rsptest.Config{})
	ctx := ctxT(t)
	raw := rawClient(t, addr)
	reply, err := raw(ctx, "p13") // regnum 19: not in target.xml
	if err == nil || !errors.Is(err, gdbremote.ErrClosed) {
		t.Fatalf("p13 got %q, %v; want the connection closed", reply, err)
	}
	if !strings.Contains(fk.CloseReason(), "p for regnum 13") {
		t.Errorf("CloseReason = %q", fk.CloseReason())
	}
}

// rawClient returns a function sending one packet over a fresh connection
// (after the first client left) and returning the reply, ack mode.
func rawClient(t *testing.T, addr string) func(context.Context, string) (string, error) {
	return func(ctx context.Context, p string) (string, error) {
		cl := dial(t, addr, gdbremote.Options{})
		return cl.RawExchange(ctx, p)
	}
}

func TestMemoryChunking(t *testing.T) {
	for _, fl := range flavours {
		t.Run(fl.name, func(t *testing.T) {
			st := baseState()
			fk, addr := fl.listen(t, rsptest.Config{State: st})
			cl := dial(t, addr, gdbremote.Options{})
			ctx := ctxT(t)
			wantRead := map[string]int{"openocd": 8188, "qemu": 2044}[fl.name]
			wantWrite := map[string]int{"openocd": 8176, "qemu": 2032}[fl.name]
			if cl.ReadChunk() != wantRead || cl.WriteChunk() != wantWrite {
				t.Fatalf("chunks read %d write %d, want %d %d", cl.ReadChunk(), cl.WriteChunk(), wantRead, wantWrite)
			}
			got, err := cl.ReadMemory(ctx, 0x20000000, 128<<10)
			if err != nil || !bytes.Equal(got, st.Memory[0].Data) {
				t.Fatalf("ReadMemory 128 KiB: %d bytes, %v; content equal %v", len(got), err, bytes.Equal(got, st.Memory[0].Data))
			}
			sizes := requestSizes(fk.Requests(), "m")
			for i, n := range sizes {
				if n > wantRead || (i < len(sizes)-1 && n != wantRead) {
					t.Fatalf("m sizes %v: want %d each but the last", sizes, wantRead)
				}
			}
			if len(sizes) != (128<<10+wantRead-1)/wantRead {
				t.Errorf("%d m requests for 128 KiB", len(sizes))
			}
			data := bytes.Repeat([]byte{0xde, 0xad, 0xbe, 0xef, '#', '$', '}', '*'}, 2500)
			if err := cl.WriteMemory(ctx, 0x20001000, data); err != nil {
				t.Fatalf("WriteMemory: %v", err)
			}
			if back, _ := fk.ReadMem(0x20001000, len(data)); !bytes.Equal(back, data) {
				t.Errorf("memory after write differs")
			}
			for _, r := range fk.Requests() {
				if strings.HasPrefix(r, "M") && len(r)+4 > cl.PacketSize() {
					t.Errorf("M packet of %d bytes exceeds PacketSize %d", len(r)+4, cl.PacketSize())
				}
			}
			for _, n := range requestSizes(fk.Requests(), "M") {
				if n > wantWrite {
					t.Errorf("M of %d bytes, limit %d", n, wantWrite)
				}
			}
		})
	}
}

// requestSizes lists the lengths of m/M requests.
func requestSizes(reqs []string, prefix string) []int {
	var out []int
	for _, r := range reqs {
		if !strings.HasPrefix(r, prefix) {
			continue
		}
		head, _, _ := strings.Cut(r[1:], ":")
		_, l, _ := strings.Cut(head, ",")
		n, _ := strconv.ParseUint(l, 16, 32)
		out = append(out, int(n))
	}
	return out
}

func TestOpenOCDDataAbortReporting(t *testing.T) {
	_, addr := rsptest.ListenOpenOCD(t, rsptest.Config{State: baseState()})
	cl := dial(t, addr, gdbremote.Options{})
	ctx := ctxT(t)
	b, err := cl.ReadMemory(ctx, 0x60000000, 8)
	if err != nil || !bytes.Equal(b, make([]byte, 8)) {
		t.Fatalf("unmapped read without report_data_abort = % x, %v; want zeros", b, err)
	}
	if _, err := cl.Monitor(ctx, "gdb report_data_abort enable"); err != nil {
		t.Fatal(err)
	}
	_, err = cl.ReadMemory(ctx, 0x60000000, 8)
	var re *gdbremote.RemoteError
	if !errors.As(err, &re) || re.Code != 0x0e || !strings.Contains(err.Error(), "read memory 0x60000000") {
		t.Fatalf("err = %v, want E0E naming the read", err)
	}
}

func TestBreakpoints(t *testing.T) {
	for _, fl := range flavours {
		t.Run(fl.name, func(t *testing.T) {
			fk, addr := fl.listen(t, rsptest.Config{State: baseState()})
			cl := dial(t, addr, gdbremote.Options{})
			ctx := ctxT(t)
			kinds := []gdbremote.BreakKind{gdbremote.BreakSoftware, gdbremote.BreakHardware, gdbremote.WatchWrite, gdbremote.WatchRead, gdbremote.WatchAccess}
			for i, k := range kinds {
				if err := cl.SetBreakpoint(ctx, k, 0x08000100+uint64(4*i), 2); err != nil {
					t.Fatalf("set %v: %v", k, err)
				}
			}
			want := []string{"0,8000100,2", "1,8000104,2", "2,8000108,2", "3,800010c,2", "4,8000110,2"}
			if got := fk.Breakpoints(); strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("breakpoints %v, want %v", got, want)
			}
			if err := cl.ClearBreakpoint(ctx, gdbremote.WatchWrite, 0x08000108, 2); err != nil {
				t.Fatal(err)
			}
			if len(fk.Breakpoints()) != 4 {
				t.Errorf("after clear: %v", fk.Breakpoints())
			}
			before := len(fk.Requests())
			if err := cl.SetBreakpoint(ctx, 5, 0x08000100, 2); err == nil {
				t.Errorf("Z5 accepted")
			}
			if len(fk.Requests()) != before || fk.CloseReason() != "" {
				t.Errorf("Z type 5 reached the stub: %v %q", fk.Requests()[before:], fk.CloseReason())
			}
		})
	}
}
