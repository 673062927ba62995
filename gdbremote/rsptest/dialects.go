package rsptest

// Fakes of the other GDB servers people debug Cortex-M with, each written
// from its source or manual (named per item; "assumed" marks what no
// source here says). What they share with the OpenOCD fake (memory,
// registers, breakpoints, scripted runs) lives in fake.go and target.go.
//
// Unlike the OpenOCD and QEMU fakes, these stop for a fault only when
// something catches it: a vector-catch bit in DEMCR for the exception
// (VC_HARDERR, VC_MMERR, VC_BUSERR, VC_STATERR/CHKERR/NOCPERR), or a
// breakpoint at the handler. A fault nobody catches runs the firmware's
// handler, and the target runs on until it is interrupted.

import (
	"encoding/binary"
	"fmt"
	"strings"
	"time"

	"github.com/faultline-dev/faultline/gdbremote"
)

// A Dialect names one fake server kind, for tests that run against each.
type Dialect struct {
	Name string
	Stub gdbremote.Stub
	New  func(Config) (*Fake, error)
	// ReportsLockup: the server says so when the core locks up (OpenOCD's
	// log line); the others leave it running, silent.
	ReportsLockup bool
}

// Dialects lists every fake: OpenOCD first, QEMU last.
var Dialects = []Dialect{
	{"openocd", gdbremote.StubOpenOCD, NewOpenOCD, true},
	{"jlink", gdbremote.StubJLink, NewJLink, false},
	{"pyocd", gdbremote.StubPyOCD, NewPyOCD, false},
	{"blackmagic", gdbremote.StubBlackMagic, NewBlackMagic, false},
	{"stlink-gdbserver", gdbremote.StubSTLink, NewSTLink, false},
	{"st-util", gdbremote.StubSTUtil, NewSTUtil, false},
	{"qemu", gdbremote.StubQEMU, NewQEMU, false},
}

// ProbeDialects are the servers in front of a real core (all but QEMU).
func ProbeDialects() []Dialect { return Dialects[:len(Dialects)-1] }

// Listen starts the dialect's fake for a test and returns it with its
// address.
func (d Dialect) Listen(t interface {
	Helper()
	Fatalf(string, ...any)
	Cleanup(func())
}, cfg Config) (*Fake, string) {
	t.Helper()
	fk, err := d.New(cfg)
	if err != nil {
		t.Fatalf("fake %s: %v", d.Name, err)
	}
	addr, err := fk.Start()
	if err != nil {
		t.Fatalf("fake %s: %v", d.Name, err)
	}
	t.Cleanup(func() { fk.Close() })
	return fk, addr
}

// LockupRun is how the dialect's server shows a lockup after delay: OpenOCD
// logs it and halts (LockupRun); the others keep quiet and the core sits
// at the lockup PC with DHCSR.S_LOCKUP set until someone halts it.
func (d Dialect) LockupRun(delay time.Duration) Run {
	if d.ReportsLockup {
		return LockupRun(OpenOCDTarget, delay)
	}
	dhcsr := make([]byte, 4)
	binary.LittleEndian.PutUint32(dhcsr, 1<<19|1<<17|1) // S_LOCKUP, S_REGRDY, C_DEBUGEN
	return Run{Delay: delay, Silent: true, Regs: map[string]uint64{"pc": 0xfffffffe},
		Memory: []Region{{Addr: 0xE000EDF0, Data: dhcsr}}}
}

// m-profile registers r0-pc, as every Cortex-M target.xml starts.
func mProfileRegs(attrs string) string {
	var b strings.Builder
	for i := range 13 {
		fmt.Fprintf(&b, `<reg name="r%d" bitsize="32" regnum="%d"%s/>`, i, i, attrs)
	}
	fmt.Fprintf(&b, `<reg name="sp" bitsize="32" regnum="13" type="data_ptr"/><reg name="lr" bitsize="32" regnum="14"/><reg name="pc" bitsize="32" regnum="15" type="code_ptr"/>`)
	return b.String()
}

// jlinkXML: J-Link GDB Server sends one flat description whose registers
// carry regnum, type="uint32" and group (the start of one is in a logged
// session, cortex-debug issue 450). The m-system part (msp, psp, primask,
// basepri, faultmask, control numbered on from xpsr) is assumed.
var jlinkXML = `<?xml version="1.0"?>
<!-- Copyright (C) 2008 Free Software Foundation, Inc. -->
<!DOCTYPE feature SYSTEM "gdb-target.dtd">
<target version="1.0"><architecture>arm</architecture>
<feature name="org.gnu.gdb.arm.m-profile">` + mProfileRegs(` type="uint32" group="general"`) + `<reg name="xpsr" bitsize="32" regnum="16" type="uint32" group="general"/></feature>
<feature name="org.gnu.gdb.arm.m-system"><reg name="msp" bitsize="32" regnum="17" type="uint32" group="general"/><reg name="psp" bitsize="32" regnum="18" type="uint32" group="general"/><reg name="primask" bitsize="32" regnum="19" type="uint32" group="general"/><reg name="basepri" bitsize="32" regnum="20" type="uint32" group="general"/><reg name="faultmask" bitsize="32" regnum="21" type="uint32" group="general"/><reg name="control" bitsize="32" regnum="22" type="uint32" group="general"/></feature>
</target>`

// pyocdXML: pyocd/gdbserver/context_facade.py _build_target_xml over
// pyocd/coresight/cortex_m_core_registers.py (gdb regnums: xpsr 16, msp
// 17, psp 18, control 19, primask 20, basepri 21, faultmask 22; all 32-bit).
var pyocdXML = `<?xml version="1.0"?><!DOCTYPE feature SYSTEM "gdb-target.dtd"><target><architecture>armv7e-m</architecture>` +
	`<feature name="org.gnu.gdb.arm.m-profile">` + mProfileRegs(` type="uint32" group="general"`) + `<reg name="xpsr" bitsize="32" type="uint32" group="general" regnum="16"/></feature>` +
	`<feature name="org.gnu.gdb.arm.m-system"><reg name="msp" bitsize="32" type="data_ptr" group="system" regnum="17"/><reg name="psp" bitsize="32" type="data_ptr" group="system" regnum="18"/>` +
	`<reg name="control" bitsize="32" type="uint32" group="system" regnum="19"/><reg name="primask" bitsize="32" type="uint32" group="system" regnum="20"/>` +
	`<reg name="basepri" bitsize="32" type="uint32" group="system" regnum="21"/><reg name="faultmask" bitsize="32" type="uint32" group="system" regnum="22"/></feature></target>`

// blackmagicXML: src/target/cortexm.c cortexm_build_target_description
// (xpsr regnum 25; msp, psp 32-bit and primask, basepri, faultmask,
// control 8-bit numbered on from it, save-restore="no").
var blackmagicXML = `<?xml version="1.0"?><!DOCTYPE target SYSTEM "gdb-target.dtd"><target><architecture>arm</architecture>` +
	`<feature name="org.gnu.gdb.arm.m-profile">` + mProfileRegs("") + `<reg name="xpsr" bitsize="32" regnum="25"/></feature>` +
	`<feature name="org.gnu.gdb.arm.m-system"><reg name="msp" bitsize="32" save-restore="no" type="data_ptr"/><reg name="psp" bitsize="32" save-restore="no" type="data_ptr"/>` +
	`<reg name="primask" bitsize="8" save-restore="no"/><reg name="basepri" bitsize="8" save-restore="no"/><reg name="faultmask" bitsize="8" save-restore="no"/><reg name="control" bitsize="8" save-restore="no"/></feature></target>`

// stutilXML: src/st-util/gdb-server.c target_description: one m-profile
// feature holding xpsr 25, msp 26, psp 27, control/faultmask/basepri/
// primask 28-31 at 8 bits (its 'p' answers them with 4 bytes), s0-s31 and
// fpscr. Served for every chip.
var stutilXML = func() string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0"?><!DOCTYPE target SYSTEM "gdb-target.dtd"><target version="1.0"><architecture>arm</architecture><osabi>none</osabi><feature name="org.gnu.gdb.arm.m-profile">`)
	b.WriteString(mProfileRegs(""))
	b.WriteString(`<reg name="xpsr" bitsize="32" regnum="25"/><reg name="msp" bitsize="32" regnum="26" type="data_ptr" group="general"/><reg name="psp" bitsize="32" regnum="27" type="data_ptr" group="general"/>`)
	b.WriteString(`<reg name="control" bitsize="8" regnum="28" type="int" group="general"/><reg name="faultmask" bitsize="8" regnum="29" type="int" group="general"/><reg name="basepri" bitsize="8" regnum="30" type="int" group="general"/><reg name="primask" bitsize="8" regnum="31" type="int" group="general"/>`)
	for i := range 32 {
		fmt.Fprintf(&b, `<reg name="s%d" bitsize="32" regnum="%d" type="float" group="float"/>`, i, 32+i)
	}
	b.WriteString(`<reg name="fpscr" bitsize="32" regnum="64" type="int" group="float"/></feature></target>`)
	return b.String()
}()

// stlinkXML: ST's server is closed source; its description is assumed to
// be the m-profile and m-system features OpenOCD sends.
var stlinkXML = string(openocdCM3XML)

// NewJLink returns a fake SEGGER J-Link GDB Server.
func NewJLink(cfg Config) (*Fake, error) {
	return newFake(flavorJLink, cfg, map[string][]byte{"target.xml": []byte(jlinkXML)})
}

// NewPyOCD returns a fake pyOCD gdbserver.
func NewPyOCD(cfg Config) (*Fake, error) {
	return newFake(flavorPyOCD, cfg, map[string][]byte{"target.xml": []byte(pyocdXML)})
}

// NewBlackMagic returns a fake Black Magic Probe GDB server: no target
// until "monitor swd_scan" and vAttach;1.
func NewBlackMagic(cfg Config) (*Fake, error) {
	return newFake(flavorBlackMagic, cfg, map[string][]byte{"target.xml": []byte(blackmagicXML)})
}

// NewSTLink returns a fake ST-LINK gdbserver (mostly assumed; see dialectHandle).
func NewSTLink(cfg Config) (*Fake, error) {
	return newFake(flavorSTLink, cfg, map[string][]byte{"target.xml": []byte(stlinkXML)})
}

// NewSTUtil returns a fake st-util.
func NewSTUtil(cfg Config) (*Fake, error) {
	return newFake(flavorSTUtil, cfg, map[string][]byte{"target.xml": []byte(stutilXML)})
}

// qSupported replies (see gdbremote/dialect.go for where each comes from).
var dialectSupported = map[flavor]string{
	flavorJLink:      "PacketSize=4000;qXfer:memory-map:read-;QStartNoAckMode+;hwbreak+;qXfer:features:read+",
	flavorPyOCD:      "qXfer:features:read+;QStartNoAckMode+;qXfer:threads:read+;QNonStop+;PacketSize=800;qXfer:memory-map:read+",
	flavorBlackMagic: "PacketSize=400;qXfer:memory-map:read+;qXfer:features:read+;vContSupported+;QStartNoAckMode+",
	flavorSTLink:     "PacketSize=4000;qXfer:features:read+;QStartNoAckMode+",
	flavorSTUtil:     "PacketSize=3fff;qXfer:memory-map:read+;qXfer:features:read+",
}

// dialectHandle answers what differs from OpenOCD; ok false leaves the
// request to the shared handler. fk.mu is held.
func (fk *Fake) dialectHandle(pkt string) ([]byte, action, bool) {
	switch {
	case strings.HasPrefix(pkt, "qSupported"):
		return []byte(dialectSupported[fk.flavor]), actReply, true
	case pkt == "QStartNoAckMode":
		if !strings.Contains(dialectSupported[fk.flavor], "QStartNoAckMode+") {
			return []byte{}, actReply, true
		}
		return []byte("OK"), actNoAck, true
	case pkt == "vCont?":
		if !strings.Contains(dialectSupported[fk.flavor], "vContSupported+") {
			return []byte{}, actReply, true
		}
	case strings.HasPrefix(pkt, "vCont;") && !strings.Contains(dialectSupported[fk.flavor], "vContSupported+"):
		return []byte{}, actReply, true
	case strings.HasPrefix(pkt, "vAttach;"):
		if fk.flavor != flavorBlackMagic {
			return []byte{}, actReply, true
		}
		return nil, actAttach, true
	case strings.HasPrefix(pkt, "p"), strings.HasPrefix(pkt, "P"):
		num, _, _ := strings.Cut(pkt[1:], "=")
		var n int
		if _, err := fmt.Sscanf(num, "%x", &n); err != nil || !fk.hasRegnum(n) {
			// None of them drops the connection as OpenOCD does:
			// gdb_main.c answers EFF, gdb-server.c E00, pyOCD E01.
			code := map[flavor]string{flavorBlackMagic: "EFF", flavorSTUtil: "E00"}[fk.flavor]
			if code == "" {
				code = "E01"
			}
			return []byte(code), actReply, true
		}
		if fk.flavor == flavorSTUtil && pkt[0] == 'p' {
			// gdb-server.c answers every register with 4 bytes
			// (sprintf "%08x"), the 8-bit ones too.
			r, _ := fk.regByNum(n)
			return regHex(fk.state.Regs[r.Name], 4), actReply, true
		}
	}
	if fk.flavor == flavorBlackMagic && !fk.bmpAttached {
		// gdb_main.c: no target yet. target.xml E01, '?' W00, and
		// ERROR_IF_NO_TARGET answers EFF to the rest.
		switch {
		case strings.HasPrefix(pkt, "qXfer:features:read:"):
			return []byte("E01"), actReply, true
		case pkt == "?":
			return []byte("W00"), actReply, true
		case strings.HasPrefix(pkt, "qRcmd,"), strings.HasPrefix(pkt, "H"):
			return nil, 0, false
		case strings.HasPrefix(pkt, "q"):
			return []byte{}, actReply, true
		}
		return []byte("EFF"), actReply, true
	}
	return nil, 0, false
}

func (fk *Fake) hasRegnum(n int) bool { _, ok := fk.regByNum(n); return ok }

// attach is Black Magic's vAttach;1 after a scan: the target is halted
// and DEMCR gets the probe's default catches, TRCENA | VC_HARDERR |
// VC_CORERESET (cortexm.c cortexm_probe, written at attach).
func (fk *Fake) attach() []byte {
	fk.mu.Lock()
	defer fk.mu.Unlock()
	if !fk.bmpScanned {
		return []byte("E01")
	}
	fk.bmpAttached = true
	fk.attached = true
	fk.writeDEMCR(1<<24 | 1<<10 | 1)
	return []byte("T05thread:1;")
}

func (fk *Fake) writeDEMCR(v uint32) {
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], v)
	fk.write(demcrAddr, b[:])
}

func (fk *Fake) readDEMCR() uint32 {
	d, _ := fk.read(demcrAddr, 4)
	return binary.LittleEndian.Uint32(d)
}

// haltedStop answers '?' on a halted target (after the first) and a step.
func (fk *Fake) haltedStop() string {
	switch fk.flavor {
	case flavorSTUtil:
		return "S05" // gdb-server.c: '?' and every stop are S05
	case flavorPyOCD, flavorBlackMagic:
		return "T05thread:1;" // context_facade.get_t_response; gdb_main.c
	}
	return fk.stopText("T05")
}

// interruptStop is the reply to 0x03 on a running target.
func (fk *Fake) interruptStop() string {
	switch fk.flavor {
	case flavorSTUtil:
		return "S05" // gdb-server.c answers every halt S05
	case flavorPyOCD, flavorBlackMagic:
		return "T02thread:1;"
	}
	return "T02"
}

// gCount is how many registers (in regnum order) 'g' carries.
func (fk *Fake) gCount() int {
	switch fk.flavor {
	case flavorSTUtil:
		return 16 // gdb-server.c: r0-r15 only
	case flavorBlackMagic:
		return len(fk.regs) // target_regs_read: every register of the description
	}
	return 17 // r0-pc and xpsr (assumed for J-Link, ST-LINK and pyOCD)
}

// unreadable is the answer to 'm' on memory the probe cannot read.
func (fk *Fake) unreadable() []byte {
	if fk.flavor == flavorSTUtil {
		return []byte{} // gdb-server.c: count = 0, an empty reply
	}
	return []byte("E01") // BMP gdb_main.c; pyOCD gdbserver.py; J-Link, ST-LINK assumed
}

// vcBits are the DEMCR vector-catch bits that catch exception n's entry.
func vcBits(n int) uint32 {
	switch n {
	case 3:
		return 1 << 10 // VC_HARDERR
	case 4:
		return 1 << 4 // VC_MMERR
	case 5:
		return 1 << 8 // VC_BUSERR
	case 6:
		return 1<<7 | 1<<6 | 1<<5 // VC_STATERR, VC_CHKERR, VC_NOCPERR
	}
	return 0
}

// faultStop decides whether a scripted stop happens on this server and
// with which reply. A stop in a fault handler (IPSR 2-6) happens only if
// DEMCR catches it or a breakpoint sits at the PC. fk.mu is held.
func (fk *Fake) faultStop(reply string) (string, bool) {
	ipsr := int(fk.state.Regs["xpsr"] & 0x1FF)
	if ipsr < 2 || ipsr > 6 {
		return fk.dialectStop(reply), true
	}
	pc := fk.state.Regs["pc"] &^ 1
	bp := false
	for k := range fk.bps {
		var t int
		var a uint64
		if _, err := fmt.Sscanf(k, "%d,%x,", &t, &a); err == nil && t <= 1 && a == pc {
			bp = true
		}
	}
	// A vector catch is a debug event of the exception entry itself: it
	// halts (DFSR.VCATCH) before a breakpoint on the handler's first
	// instruction could.
	vc := fk.readDEMCR()&vcBits(ipsr) != 0
	switch {
	case !vc && bp:
		return fk.dialectStop("T05"), true
	case !vc:
		return "", false
	}
	switch fk.flavor {
	case flavorPyOCD:
		// context_facade.get_signal_value: FAULT[ipsr]: NMI SIGINT,
		// HardFault and MemManage SIGSEGV, BusFault SIGBUS (10),
		// UsageFault SIGILL.
		sig := map[int]int{2: 2, 3: 11, 4: 11, 5: 10, 6: 4}[ipsr]
		return fmt.Sprintf("T%02xthread:1;", sig), true
	case flavorBlackMagic:
		fk.blackMagicUnwind()
		return "T0bthread:1;", true
	}
	return fk.dialectStop("T05"), true
}

// dialectStop dresses a T05/T02 stop reply the way the server sends it.
func (fk *Fake) dialectStop(reply string) string {
	switch {
	case fk.flavor == flavorSTUtil:
		return "S05"
	case (fk.flavor == flavorPyOCD || fk.flavor == flavorBlackMagic) && strings.HasPrefix(reply, "T") && !strings.Contains(reply, "thread:"):
		return reply + "thread:1;"
	}
	return reply
}

// blackMagicUnwind is cortexm.c cortexm_fault_unwind: with HFSR.FORCED or
// any CFSR bit, the probe clears HFSR and CFSR (writes them back), pops
// the exception frame into r0-r3, r12, lr, pc, moves SP past it and
// clears the active exception, then reports SIGSEGV. fk.mu is held.
func (fk *Fake) blackMagicUnwind() {
	st, _ := fk.read(0xE000ED28, 8)
	cfsr, hfsr := binary.LittleEndian.Uint32(st), binary.LittleEndian.Uint32(st[4:])
	if hfsr&(1<<30) == 0 && cfsr == 0 {
		return
	}
	fk.write(0xE000ED28, make([]byte, 8))
	spName := "msp"
	if fk.state.Regs["lr"]&(1<<2) != 0 {
		spName = "psp"
	}
	sp := fk.state.Regs[spName]
	frame, ok := fk.read(sp, 32)
	if !ok {
		return
	}
	w := func(i int) uint64 { return uint64(binary.LittleEndian.Uint32(frame[4*i:])) }
	for i, r := range []string{"r0", "r1", "r2", "r3", "r12"} {
		fk.state.Regs[r] = w(i)
	}
	fk.state.Regs["lr"], fk.state.Regs["pc"] = w(5), w(6)
	size := uint64(0x20)
	if w(7)&(1<<9) != 0 {
		size += 4
	}
	fk.state.Regs[spName] = sp + size
	fk.state.Regs["sp"] = sp + size
}

// dialectMonitor runs a qRcmd the way each server does.
func (s *session) dialectMonitor(pkt, cmd string) error {
	fk := s.fk
	args := strings.Fields(cmd)
	fk.mu.Lock()
	out, reply := fk.dialectCommand(args)
	fk.mu.Unlock()
	if fk.flavor == flavorPyOCD {
		// gdbserver.py handle_remote_command: the output (or "OK\n") as
		// the hex result, never O packets, never an error code.
		if out == "" {
			out = "OK\n"
		}
		return s.reply(pkt, gdbremote.EncodeHex([]byte(out)))
	}
	if out != "" {
		if err := s.sc.WriteConsole(out); err != nil {
			return err
		}
	}
	return s.reply(pkt, []byte(reply))
}

// dialectCommand returns a monitor command's output and final reply.
// fk.mu is held.
func (fk *Fake) dialectCommand(args []string) (string, string) {
	if len(args) == 0 {
		return "", "OK"
	}
	switch fk.flavor {
	case flavorPyOCD:
		// pyocd/commands: "set vector-catch LETTERS" (values.py
		// VectorCatchValue, cmdline.py VECTOR_CATCH_CHAR_MAP), reset,
		// halt; errors are text.
		switch {
		case len(args) == 3 && args[0] == "set" && (args[1] == "vector-catch" || args[1] == "vc"):
			letters := map[rune]uint32{'h': 1 << 10, 'b': 1 << 8, 'm': 1 << 4, 'i': 1 << 9, 's': 1 << 7, 'c': 1 << 6, 'p': 1 << 5, 'r': 1}
			var set uint32
			switch args[2] {
			case "all", "a":
				set = 0x7F1
			case "none", "n":
			default:
				for _, c := range args[2] {
					b, ok := letters[c]
					if !ok {
						return fmt.Sprintf("invalid vector catch option '%c'\n", c), ""
					}
					set |= b
				}
			}
			fk.writeDEMCR(fk.readDEMCR()&^0x7F1 | set)
			return "", ""
		case args[0] == "reset":
			fk.resetCore()
			return "", ""
		case args[0] == "halt":
			return "", ""
		}
		return fmt.Sprintf("Error: unrecognized command '%s'\n", args[0]), ""
	case flavorBlackMagic:
		switch args[0] {
		case "swd_scan", "swdp_scan":
			fk.bmpScanned = true
			return "Target voltage: 3.3V\nAvailable Targets:\nNo. Att Driver\n 1      STM32F40x M4\n", "OK"
		case "vector_catch":
			if !fk.bmpAttached {
				return "", "EFF"
			}
			// cortexm.c cortexm_vector_catch.
			names := map[string]uint32{"reset": 1, "mm": 1 << 4, "nocp": 1 << 5, "chk": 1 << 6, "stat": 1 << 7, "bus": 1 << 8, "int": 1 << 9, "hard": 1 << 10, "sf": 1 << 11}
			if len(args) < 3 {
				return "usage: monitor vector_catch (enable|disable) (sf|hard|int|bus|stat|chk|nocp|mm|reset)\n", "OK"
			}
			var bits uint32
			for _, a := range args[2:] {
				bits |= names[a]
			}
			d := fk.readDEMCR()
			switch args[1] {
			case "enable":
				d |= bits
			case "disable":
				d &^= bits
			}
			fk.writeDEMCR(d)
			var caught []string
			for _, n := range []string{"reset", "mm", "nocp", "chk", "stat", "bus", "int", "hard", "sf"} {
				if d&names[n] != 0 {
					caught = append(caught, n)
				}
			}
			return "Catching vectors: " + strings.Join(caught, " ") + " \n", "OK"
		case "version":
			return "Black Magic Probe v2.0.0\n", "OK"
		}
		return "", "E01" // command.c: an unknown command fails
	case flavorSTUtil:
		// gdb-server.c: resume, halt, jtag_reset, reset, semihosting;
		// anything else gets an empty reply.
		switch args[0] {
		case "reset", "jtag_reset":
			fk.resetCore()
			return "", "OK"
		case "halt", "resume":
			return "", "OK"
		}
		return "", ""
	case flavorJLink:
		// UM08001 "Supported remote (monitor) commands": reset (and halt),
		// halt, go, memU32, reg, regs, sleep, ... (output text assumed).
		switch strings.ToLower(args[0]) {
		case "reset":
			fk.resetCore()
			return "Resetting target\n", "OK"
		case "halt", "go":
			return "", "OK"
		}
		return "", ""
	}
	// ST-LINK gdbserver: "monitor reset" (UM2576); the rest assumed unknown.
	if args[0] == "reset" {
		fk.resetCore()
		return "", "OK"
	}
	return "", ""
}

// resetCore restarts the core from the vector table and halts it, as
// "reset halt" does. fk.mu is held.
func (fk *Fake) resetCore() {
	if vt, ok := fk.read(0, 8); ok {
		fk.state.Regs["msp"] = uint64(binary.LittleEndian.Uint32(vt[0:]))
		fk.state.Regs["sp"] = fk.state.Regs["msp"]
		fk.state.Regs["pc"] = uint64(binary.LittleEndian.Uint32(vt[4:]) &^ 1)
	}
	fk.state.Regs["xpsr"] = 0x01000000
}
