package rsptest

import (
	_ "embed"
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/faultline-dev/faultline/gdbremote"
)

// The target descriptions OpenOCD sends, rebuilt from its source (see
// /work/shared/fixtures/openocd/).
var (
	//go:embed xml/openocd_cm3_target.xml
	openocdCM3XML []byte
	//go:embed xml/openocd_cm4f_target.xml
	openocdCM4FXML []byte
)

// OpenOCDTarget is the target name in OpenOCD's log lines.
const OpenOCDTarget = "stm32f2x.cpu"

// NewOpenOCD returns a fake OpenOCD gdb server (FACTS.md section 2):
// its qSupported, a flat target.xml (Cortex-M3 or, with cfg.CM4F, M4F),
// S02 after attach, 'g' with 17 registers, the connection dropped on 'p'
// for a regnum not in target.xml or a Z type above 4, O log lines, monitor
// commands (reset, halt, cortex_m vector_catch, gdb report_data_abort).
func NewOpenOCD(cfg Config) (*Fake, error) {
	x := openocdCM3XML
	if cfg.CM4F {
		x = openocdCM4FXML
	}
	if cfg.OldXPSRName {
		x = []byte(strings.Replace(string(x), `name="xpsr"`, `name="xPSR"`, 1))
	}
	return newFake(flavorOpenOCD, cfg, map[string][]byte{"target.xml": x})
}

// ListenOpenOCD starts a fake OpenOCD for a test and returns it with its
// address.
func ListenOpenOCD(t interface {
	Helper()
	Fatalf(string, ...any)
	Cleanup(func())
}, cfg Config) (*Fake, string) {
	t.Helper()
	fk, err := NewOpenOCD(cfg)
	if err != nil {
		t.Fatalf("fake OpenOCD: %v", err)
	}
	addr, err := fk.Start()
	if err != nil {
		t.Fatalf("fake OpenOCD: %v", err)
	}
	t.Cleanup(func() { fk.Close() })
	return fk, addr
}

const demcrAddr = 0xE000EDFC

// vectorCatchBits are the DEMCR bits OpenOCD's vector_catch names set.
var vectorCatchBits = []struct {
	name string
	bit  uint
}{
	{"hard_err", 10}, {"int_err", 9}, {"bus_err", 8}, {"state_err", 7},
	{"chk_err", 6}, {"nocp_err", 5}, {"mm_err", 4}, {"reset", 0},
}

// monitor runs a qRcmd: log lines as O packets, then OK or E01.
func (s *session) monitor(pkt string) error {
	fk := s.fk
	raw, err := gdbremote.DecodeHex([]byte(strings.TrimPrefix(pkt, "qRcmd,")))
	if err != nil {
		return s.reply(pkt, []byte("E01"))
	}
	if fk.flavor == flavorQEMU {
		// QEMU 10 accepts any qRcmd here and answers OK (observed).
		return s.reply(pkt, []byte("OK"))
	}
	if fk.flavor >= flavorJLink {
		return s.dialectMonitor(pkt, string(raw))
	}
	out, ok := fk.openocdMonitor(strings.Fields(string(raw)))
	for _, line := range out {
		if err := s.sc.WriteConsole(line + "\n"); err != nil {
			return err
		}
	}
	if !ok {
		return s.reply(pkt, []byte("E01"))
	}
	return s.reply(pkt, []byte("OK"))
}

func (fk *Fake) openocdMonitor(args []string) ([]string, bool) {
	fk.mu.Lock()
	defer fk.mu.Unlock()
	if len(args) == 0 {
		return nil, true
	}
	halted := func() string {
		return fmt.Sprintf("[%s] halted due to debug-request, current mode: Thread \nxPSR: %#08x pc: %#08x msp: %#08x",
			OpenOCDTarget, fk.state.Regs["xpsr"], fk.state.Regs["pc"], fk.state.Regs["msp"])
	}
	switch {
	case args[0] == "halt":
		return []string{halted()}, true
	case args[0] == "reset":
		// Reset: the core restarts from the vector table. The fake halts
		// it again (as "reset halt" does) so the client's state stays right.
		if vt, ok := fk.read(0, 8); ok {
			fk.state.Regs["msp"] = uint64(binary.LittleEndian.Uint32(vt[0:]))
			fk.state.Regs["sp"] = fk.state.Regs["msp"]
			fk.state.Regs["pc"] = uint64(binary.LittleEndian.Uint32(vt[4:]) &^ 1)
		}
		fk.state.Regs["xpsr"] = 0x01000000
		return []string{halted()}, true
	case args[0] == "cortex_m" && len(args) >= 2 && args[1] == "vector_catch":
		d, _ := fk.read(demcrAddr, 4)
		demcr := binary.LittleEndian.Uint32(d)
		if len(args) > 2 {
			var set uint32
			for _, a := range args[2:] {
				switch a {
				case "all":
					for _, v := range vectorCatchBits {
						set |= 1 << v.bit
					}
				case "none":
				default:
					found := false
					for _, v := range vectorCatchBits {
						if v.name == a {
							set |= 1 << v.bit
							found = true
						}
					}
					if !found {
						return []string{fmt.Sprintf("No CM3 vector '%s'", a)}, false
					}
				}
			}
			var mask uint32
			for _, v := range vectorCatchBits {
				mask |= 1 << v.bit
			}
			demcr = demcr&^mask | set
			binary.LittleEndian.PutUint32(d, demcr)
			fk.write(demcrAddr, d)
		}
		var out []string
		for _, v := range vectorCatchBits {
			state := "ignore"
			if demcr&(1<<v.bit) != 0 {
				state = "catch"
			}
			out = append(out, fmt.Sprintf("%9s: %s", v.name, state))
		}
		return out, true
	case args[0] == "gdb" && len(args) == 3 && args[1] == "report_data_abort":
		fk.dataAbort = args[2] == "enable"
		return nil, true
	}
	return []string{fmt.Sprintf("invalid command name \"%s\"", args[0])}, false
}
