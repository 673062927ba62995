package rsptest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/faultline-dev/faultline/gdbremote"
)

// A Region is a range of target memory.
type Region struct {
	Addr uint64
	Data []byte
}

// State is what the fake target holds: registers by lower-case name (any
// register of target.xml; missing ones read as 0) and memory regions.
// Memory outside every region fails to read.
type State struct {
	Regs   map[string]uint64
	Memory []Region
}

// A Run scripts what happens after one resume (c, vCont;c).
type Run struct {
	Console []string          // O lines sent right after the resume (OpenOCD only)
	Delay   time.Duration     // time running before the stop
	Stop    string            // stop reply, e.g. "T05"; "" runs until interrupted
	Regs    map[string]uint64 // merged into the registers at the stop
	Memory  []Region          // written into memory at the stop
	// Silent applies Regs and Memory after Delay without a stop reply:
	// the core locked up (or spins in a handler) and only an interrupt
	// halts it, as servers other than OpenOCD see a lockup.
	Silent bool
}

// LockupRun is OpenOCD's report of a lockup: its log line as an O packet
// and T02, with the core halted at the architectural lockup PC.
func LockupRun(target string, delay time.Duration) Run {
	return Run{
		Console: []string{fmt.Sprintf("[%s] clearing lockup after double fault\n", target)},
		Delay:   delay,
		Stop:    "T02",
		Regs:    map[string]uint64{"pc": 0xfffffffe},
	}
}

// FaultKind is a fault the fake injects into one reply.
type FaultKind int

const (
	// FaultClose writes the first N bytes of the reply and closes.
	FaultClose FaultKind = iota
	// FaultGarbage writes N garbage bytes before the reply.
	FaultGarbage
	// FaultBadChecksum sends the reply N times with a wrong checksum, then
	// correctly; in no-ack mode it sends one damaged copy and nothing else
	// (the client must ask again).
	FaultBadChecksum
	// FaultDelay waits Delay before replying.
	FaultDelay
	// FaultDrop never answers the request (a server that lost it).
	FaultDrop
	// FaultLateAck waits Delay before acking the request (ack mode),
	// then answers it as usual.
	FaultLateAck
	// FaultKeepAlive sends N rounds of OpenOCD's keep-alives (an empty
	// "$O#4f" and "%oocd_keepalive:1") before the reply.
	FaultKeepAlive
)

// A Fault applies once, to the first request starting with Match ("" for
// any request).
type Fault struct {
	Match string
	Kind  FaultKind
	N     int
	Delay time.Duration
}

// Config sets up a fake.
type Config struct {
	State  State
	Script []Run   // consumed one Run per resume
	Faults []Fault // consumed in order of matching
	// CM4F serves OpenOCD's Cortex-M4F target.xml (FP registers).
	CM4F bool
	// OldXPSRName makes OpenOCD say "xPSR" as 0.12 and older do.
	OldXPSRName bool
	// NoMSystem makes QEMU look like 7.2: no msp/psp/primask/... registers.
	NoMSystem bool
	// NoWatchpoints answers Z2-Z4 with an empty reply (unsupported), as
	// stubs without watchpoints do.
	NoWatchpoints bool
	// MaxBreakpoints, when set, is how many breakpoints (Z0 and Z1
	// together) may be set at once; one more answers E0E, as OpenOCD does
	// once the FPB's comparators are taken.
	MaxBreakpoints int
	// AttachStop is the answer to the first '?' (default: OpenOCD "S02",
	// QEMU "T05thread:p01.01;"), e.g. "T05" for a target found halted by a
	// vector catch.
	AttachStop string
	// Peripherals are registers whose value depends on how long the core
	// has run (a timer, an LED's PWM compare): their clock stops while the
	// core is halted, as SysTick's does in debug state.
	Peripherals []Peripheral
	// Latency models a loaded host: every request (an interrupt too)
	// takes effect Latency after it arrives, and every reply leaves
	// Latency after it is made. A halt thus costs wall time the firmware,
	// whose clock stops while halted, does not see.
	Latency time.Duration
	// Link models a slow debug probe behind the server: each request costs
	// a round trip before its answer leaves, and the answer moves at the
	// link's bandwidth.
	Link  Link
	Trace io.Writer
}

// A Link is the debug link between a GDB server and the core. A real SWD
// probe moves about 100-500 KB/s with milliseconds per round trip; the
// server works on one request at a time, so neither cost overlaps another
// request's (sending requests ahead does not hide them).
type Link struct {
	// RTT is what each request costs before its answer leaves.
	RTT time.Duration
	// Bandwidth is bytes of target data per second in answers; the hex
	// digits of an answer count half a byte each, as they stand for that
	// on the link. 0 is unlimited.
	Bandwidth int
}

// cost is the time the link takes to answer with reply.
func (l Link) cost(reply []byte) time.Duration {
	d := l.RTT
	if l.Bandwidth > 0 {
		d += time.Duration(float64(len(reply)) / 2 / float64(l.Bandwidth) * float64(time.Second))
	}
	return d
}

// A Peripheral is Size bytes at Addr computed from the core's run time.
type Peripheral struct {
	Addr uint64
	Size int
	Read func(ran time.Duration) []byte
}

type flavor int

const (
	flavorOpenOCD flavor = iota
	flavorQEMU
	flavorJLink // dialects.go
	flavorPyOCD
	flavorBlackMagic
	flavorSTLink
	flavorSTUtil
)

// OpenOCD and QEMU name the fake by the server it stands in for.
type (
	OpenOCD = Fake
	QEMU    = Fake
)

// Fake is a scripted GDB server standing in for OpenOCD or QEMU. It serves
// one connection at a time. Safe for concurrent use.
type Fake struct {
	flavor flavor
	cfg    Config
	xml    map[string][]byte // annex -> content
	regs   []gdbremote.Register

	mu          sync.Mutex
	state       State
	script      []Run
	faults      []Fault
	requests    []string
	closeReason string
	bps         map[string]bool
	dataAbort   bool
	attached    bool          // a connection has asked '?' since attach
	xmlRead     bool          // QEMU: g layout changes after target.xml
	ran         time.Duration // time the core has run, up to runSince
	runSince    time.Time     // when the core last resumed; zero while halted
	interrupts  int           // 0x03 bytes received
	stops       []time.Time   // when each stop reply was sent
	bmpScanned  bool          // Black Magic Probe: swd_scan ran
	bmpAttached bool          // Black Magic Probe: and vAttach;1

	ln   net.Listener
	done chan struct{}
	wg   sync.WaitGroup
}

func newFake(f flavor, cfg Config, xml map[string][]byte) (*Fake, error) {
	desc, err := gdbremote.ParseTargetXML(xml["target.xml"], func(a string) ([]byte, error) {
		b, ok := xml[a]
		if !ok {
			return nil, fmt.Errorf("no annex %s", a)
		}
		return b, nil
	})
	if err != nil {
		return nil, fmt.Errorf("fake target.xml: %w", err)
	}
	fk := &Fake{flavor: f, cfg: cfg, xml: xml, regs: desc.Registers, done: make(chan struct{})}
	fk.state = cloneState(cfg.State)
	if fk.state.Regs == nil {
		fk.state.Regs = map[string]uint64{}
	}
	fk.script = slices.Clone(cfg.Script)
	fk.faults = slices.Clone(cfg.Faults)
	fk.bps = map[string]bool{}
	// The debug registers DHCSR..DEMCR exist on every Cortex-M.
	if _, ok := fk.find(0xE000EDF0, 16); !ok {
		fk.state.Memory = append(fk.state.Memory, Region{Addr: 0xE000EDF0, Data: make([]byte, 16)})
	}
	return fk, nil
}

func cloneState(s State) State {
	out := State{Regs: map[string]uint64{}}
	for k, v := range s.Regs {
		out.Regs[strings.ToLower(k)] = v
	}
	for _, r := range s.Memory {
		out.Memory = append(out.Memory, Region{Addr: r.Addr, Data: slices.Clone(r.Data)})
	}
	return out
}

// Listen starts serving on a loopback port and returns the address; the
// fake is closed when the test ends.
func (fk *Fake) Listen(t testing.TB) string {
	t.Helper()
	addr, err := fk.Start()
	if err != nil {
		t.Fatalf("start fake gdb server: %v", err)
	}
	t.Cleanup(func() { fk.Close() })
	return addr
}

// Start serves on a loopback port until Close.
func (fk *Fake) Start() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	fk.ln = ln
	fk.wg.Add(1)
	go func() {
		defer fk.wg.Done()
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			fk.serve(nc)
		}
	}()
	return ln.Addr().String(), nil
}

// Serve handles one connection (already accepted) until it closes.
func (fk *Fake) Serve(nc net.Conn) { fk.serve(nc) }

// Close stops listening and waits for the connection in progress to end.
func (fk *Fake) Close() error {
	select {
	case <-fk.done:
		return nil
	default:
	}
	close(fk.done)
	var err error
	if fk.ln != nil {
		err = fk.ln.Close()
	}
	fk.wg.Wait()
	return err
}

// Interrupts counts the interrupt (0x03) bytes received.
func (fk *Fake) Interrupts() int {
	fk.mu.Lock()
	defer fk.mu.Unlock()
	return fk.interrupts
}

// StopTimes lists when each stop reply left the fake, in order: where a
// measurement of the time from a crash to its report starts.
func (fk *Fake) StopTimes() []time.Time {
	fk.mu.Lock()
	defer fk.mu.Unlock()
	return slices.Clone(fk.stops)
}

// Requests lists every packet received, in order.
func (fk *Fake) Requests() []string {
	fk.mu.Lock()
	defer fk.mu.Unlock()
	return slices.Clone(fk.requests)
}

// CloseReason says why the fake dropped a connection itself ("" if it did
// not), e.g. "p for regnum 0x13 not in target.xml".
func (fk *Fake) CloseReason() string {
	fk.mu.Lock()
	defer fk.mu.Unlock()
	return fk.closeReason
}

// Regs returns a copy of the current registers.
func (fk *Fake) Regs() map[string]uint64 {
	fk.mu.Lock()
	defer fk.mu.Unlock()
	return cloneState(State{Regs: fk.state.Regs}).Regs
}

// Breakpoints lists the breakpoints set ("Z0,8000100,2" form without the Z).
func (fk *Fake) Breakpoints() []string {
	fk.mu.Lock()
	defer fk.mu.Unlock()
	var out []string
	for k := range fk.bps {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// AddRun appends a Run to the script.
func (fk *Fake) AddRun(r Run) {
	fk.mu.Lock()
	defer fk.mu.Unlock()
	fk.script = append(fk.script, r)
}

// ReadMem reads the fake's memory (tests check writes with it).
func (fk *Fake) ReadMem(addr uint64, n int) ([]byte, bool) {
	fk.mu.Lock()
	defer fk.mu.Unlock()
	return fk.read(addr, n)
}

// ranNow is how long the core has run in all. fk.mu must be held.
func (fk *Fake) ranNow() time.Duration {
	if fk.runSince.IsZero() {
		return fk.ran
	}
	return fk.ran + time.Since(fk.runSince)
}

// peripheral reads [addr, addr+n) from a Peripheral that holds all of it.
// fk.mu must be held.
func (fk *Fake) peripheral(addr uint64, n int) ([]byte, bool) {
	for _, p := range fk.cfg.Peripherals {
		if addr >= p.Addr && addr+uint64(n) <= p.Addr+uint64(p.Size) {
			b := p.Read(fk.ranNow())
			out := make([]byte, n)
			copy(out, b[min(uint64(len(b)), addr-p.Addr):])
			return out, true
		}
	}
	return nil, false
}

// find returns the region holding [addr, addr+n).
func (fk *Fake) find(addr uint64, n int) (int, bool) {
	for i, r := range fk.state.Memory {
		if addr >= r.Addr && addr+uint64(n) <= r.Addr+uint64(len(r.Data)) {
			return i, true
		}
	}
	return -1, false
}

// read reads memory byte by byte; ok is false when any byte is unmapped
// (those read as 0).
func (fk *Fake) read(addr uint64, n int) ([]byte, bool) {
	if b, ok := fk.peripheral(addr, n); ok {
		return b, true
	}
	out := make([]byte, n)
	if j, found := fk.find(addr, n); found {
		r := fk.state.Memory[j]
		copy(out, r.Data[addr-r.Addr:])
		return out, true
	}
	ok := true
	for i := range out {
		j, found := fk.find(addr+uint64(i), 1)
		if !found {
			ok = false
			continue
		}
		r := fk.state.Memory[j]
		out[i] = r.Data[addr+uint64(i)-r.Addr]
	}
	return out, ok
}

func (fk *Fake) write(addr uint64, data []byte) bool {
	ok := true
	for i, b := range data {
		j, found := fk.find(addr+uint64(i), 1)
		if !found {
			ok = false
			continue
		}
		r := fk.state.Memory[j]
		r.Data[addr+uint64(i)-r.Addr] = b
	}
	return ok
}

// session is one connection's state.
type session struct {
	fk       *Fake
	sc       *gdbremote.ServerConn
	running  bool
	stopAt   *time.Timer
	run      Run
	runStart time.Time // when run began
	nackSkip int       // '-' answers to injected bad checksums to ignore
	closed   bool
}

var errFaultClose = errors.New("fault injected: connection closed")

func (fk *Fake) serve(nc net.Conn) {
	defer nc.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-fk.done:
			nc.Close()
		case <-ctx.Done():
		}
	}()
	s := &session{fk: fk, sc: gdbremote.NewServerConn(nc, gdbremote.ServerOptions{Trace: fk.cfg.Trace})}
	fk.mu.Lock()
	// A new GDB connection removes all breakpoints and halts the target.
	fk.bps = map[string]bool{}
	fk.attached = false
	fk.xmlRead = false
	fk.bmpScanned, fk.bmpAttached = false, false
	fk.mu.Unlock()

	type result struct {
		ev  gdbremote.Event
		err error
	}
	evs := make(chan result)
	go func() {
		for {
			ev, err := s.sc.ReadEvent(ctx)
			select {
			case evs <- result{ev, err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	for {
		var timerC <-chan time.Time
		if s.stopAt != nil {
			timerC = s.stopAt.C
		}
		select {
		case <-fk.done:
			return
		case <-timerC:
			s.stopAt = nil
			if err := s.scriptedStop(); err != nil {
				return
			}
		case r := <-evs:
			if r.err != nil {
				return
			}
			s.delay()
			if err := s.event(ctx, r.ev); err != nil {
				return
			}
		}
	}
}

func (s *session) event(ctx context.Context, ev gdbremote.Event) error {
	fk := s.fk
	if s.running && fk.flavor == flavorQEMU {
		// QEMU: any byte while the guest runs stops it; the byte (and the
		// packet it began) is lost.
		if ev.Kind == gdbremote.EventPacket {
			fk.logRequest(string(ev.Data) + " (lost: target running)")
		}
		return s.stop("T02", false)
	}
	switch ev.Kind {
	case gdbremote.EventAck:
		if ev.Raw == '-' {
			if s.nackSkip > 0 {
				s.nackSkip--
				return nil
			}
			return s.sc.ResendLast()
		}
		return nil
	case gdbremote.EventInterrupt:
		fk.mu.Lock()
		fk.interrupts++
		fk.mu.Unlock()
		if s.running {
			return s.stop(fk.interruptStop(), false)
		}
		return nil
	case gdbremote.EventBadPacket:
		return s.sc.Ack(false)
	}
	if f, ok := fk.takeFault(string(ev.Data), FaultLateAck); ok {
		time.Sleep(f.Delay)
	}
	if err := s.sc.Ack(true); err != nil {
		return err
	}
	pkt := string(ev.Data)
	fk.logRequest(pkt)
	if s.stopAt != nil {
		select {
		case <-s.stopAt.C:
			// The scripted stop came due while this request waited: it
			// goes first, as OpenOCD's poll would report it.
			if err := s.scriptedStop(); err != nil {
				return err
			}
		default:
		}
	}
	if s.running {
		// OpenOCD reads memory through the debug port while the core
		// runs; 'g' gives zeros then.
		if strings.HasPrefix(pkt, "m") {
			return s.reply(pkt, fk.handleRead(pkt))
		}
		if pkt == "g" {
			return s.reply(pkt, []byte(strings.Repeat("00000000", 17)))
		}
		return s.reply(pkt, []byte("E01"))
	}
	reply, action := fk.handle(pkt)
	switch action {
	case actClose:
		return errFaultClose
	case actResume:
		return s.resume(pkt)
	case actNoAck:
		if err := s.reply(pkt, reply); err != nil {
			return err
		}
		s.sc.SetNoAck()
		return nil
	case actMonitor:
		return s.monitor(pkt)
	case actAttach:
		return s.reply(pkt, fk.attach())
	}
	return s.reply(pkt, reply)
}

func (fk *Fake) logRequest(pkt string) {
	fk.mu.Lock()
	fk.requests = append(fk.requests, pkt)
	fk.mu.Unlock()
}

// delay waits the configured Latency.
func (s *session) delay() {
	if d := s.fk.cfg.Latency; d > 0 {
		time.Sleep(d)
	}
}

// linkWait waits what the Link takes to answer a request with reply.
func (s *session) linkWait(reply []byte) {
	if d := s.fk.cfg.Link.cost(reply); d > 0 {
		time.Sleep(d)
	}
}

// takeFault removes and returns the first fault that matches pkt, if it
// is of one of kinds (any kind when none is given).
func (fk *Fake) takeFault(pkt string, kinds ...FaultKind) (Fault, bool) {
	fk.mu.Lock()
	defer fk.mu.Unlock()
	for i, f := range fk.faults {
		if strings.HasPrefix(pkt, f.Match) {
			if len(kinds) > 0 && !slices.Contains(kinds, f.Kind) {
				return Fault{}, false
			}
			fk.faults = slices.Delete(fk.faults, i, i+1)
			return f, true
		}
	}
	return Fault{}, false
}

// reply writes a reply, applying the first fault that matches pkt.
func (s *session) reply(pkt string, data []byte) error {
	s.delay()
	s.linkWait(data)
	fk := s.fk
	var fault *Fault
	if f, ok := fk.takeFault(pkt); ok {
		fault = &f
	}
	if fault == nil {
		return s.sc.WritePacket(data)
	}
	wire := gdbremote.EncodePacket(data)
	switch fault.Kind {
	case FaultClose:
		n := min(fault.N, len(wire))
		s.sc.WriteRaw(wire[:n])
		fk.mu.Lock()
		fk.closeReason = fmt.Sprintf("fault: closed after %d bytes of the reply to %s", n, pkt)
		fk.mu.Unlock()
		return errFaultClose
	case FaultGarbage:
		g := make([]byte, fault.N)
		for i := range g {
			g[i] = "garbage!"[i%8]
		}
		if err := s.sc.WriteRaw(g); err != nil {
			return err
		}
	case FaultBadChecksum:
		bad := slices.Clone(wire)
		bad[len(bad)-1] ^= 0x01
		if bad[len(bad)-1] == '#' || !isHex(bad[len(bad)-1]) {
			bad[len(bad)-1] = 'z'
		}
		if s.sc.NoAck() {
			// Without acks nobody asks for a resend: the damaged copy is
			// the only answer, as on a real link. The client may ask again.
			return s.sc.WriteRaw(bad)
		}
		for range fault.N {
			if err := s.sc.WriteRaw(bad); err != nil {
				return err
			}
		}
		s.nackSkip += fault.N
	case FaultDelay:
		time.Sleep(fault.Delay)
	case FaultDrop:
		return nil
	case FaultKeepAlive:
		for range fault.N {
			if err := s.sc.WritePacket([]byte("O")); err != nil {
				return err
			}
			if err := s.sc.WriteNotification([]byte("oocd_keepalive:1")); err != nil {
				return err
			}
		}
	}
	return s.sc.WritePacket(data)
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')
}
