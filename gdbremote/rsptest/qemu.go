package rsptest

import "strings"

// qemuMProfile is arm-m-profile.xml as QEMU ships it: r0-pc numbered from
// 0, xpsr at 25 (numbers 16-24 were the FPA registers of old GDBs).
const qemuMProfile = `<?xml version="1.0"?>
<!DOCTYPE feature SYSTEM "gdb-target.dtd">
<feature name="org.gnu.gdb.arm.m-profile">
  <reg name="r0" bitsize="32" regnum="0"/>
  <reg name="r1" bitsize="32"/>
  <reg name="r2" bitsize="32"/>
  <reg name="r3" bitsize="32"/>
  <reg name="r4" bitsize="32"/>
  <reg name="r5" bitsize="32"/>
  <reg name="r6" bitsize="32"/>
  <reg name="r7" bitsize="32"/>
  <reg name="r8" bitsize="32"/>
  <reg name="r9" bitsize="32"/>
  <reg name="r10" bitsize="32"/>
  <reg name="r11" bitsize="32"/>
  <reg name="r12" bitsize="32"/>
  <reg name="sp" bitsize="32" type="data_ptr"/>
  <reg name="lr" bitsize="32"/>
  <reg name="pc" bitsize="32" type="code_ptr"/>
  <reg name="xpsr" bitsize="32" regnum="25"/>
</feature>
`

// qemuMSystem is the m-system feature QEMU 8+ generates (observed on QEMU
// 10.0): one line, every register 32 bits, numbered on from xpsr.
const qemuMSystem = `<?xml version="1.0"?><!DOCTYPE feature SYSTEM "gdb-target.dtd"><feature name="org.gnu.gdb.arm.m-system">` +
	`<reg name="msp" bitsize="32" regnum="26" type="int"/><reg name="psp" bitsize="32" regnum="27" type="int"/>` +
	`<reg name="primask" bitsize="32" regnum="28" type="int"/><reg name="basepri" bitsize="32" regnum="29" type="int"/>` +
	`<reg name="faultmask" bitsize="32" regnum="30" type="int"/><reg name="control" bitsize="32" regnum="31" type="int"/></feature>`

// qemuSysRegs is the (empty on M-profile) coprocessor feature QEMU 10 adds.
const qemuSysRegs = `<?xml version="1.0"?><!DOCTYPE feature SYSTEM "gdb-target.dtd"><feature name="org.qemu.gdb.arm.sys.regs"></feature>`

func qemuTargetXML(mSystem bool) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0"?><!DOCTYPE target SYSTEM "gdb-target.dtd"><target><architecture>arm</architecture>`)
	b.WriteString(`<xi:include href="arm-m-profile.xml"/><xi:include href="system-registers.xml"/>`)
	if mSystem {
		b.WriteString(`<xi:include href="arm-m-system.xml"/>`)
	}
	b.WriteString(`</target>`)
	return b.String()
}

// NewQEMU returns a fake QEMU gdbstub (FACTS.md section 3): its qSupported
// (no QStartNoAckMode, as 7.2), target.xml built from xi:include pieces
// (with arm-m-system.xml unless cfg.NoMSystem), 'g' with r0-pc and xpsr
// (the legacy FPA layout until target.xml was read), thread:p01.01; in stop replies, and any byte
// received while the guest runs stopping it with T02 (the packet is lost).
func NewQEMU(cfg Config) (*Fake, error) {
	xml := map[string][]byte{
		"target.xml":           []byte(qemuTargetXML(!cfg.NoMSystem)),
		"arm-m-profile.xml":    []byte(qemuMProfile),
		"system-registers.xml": []byte(qemuSysRegs),
	}
	if !cfg.NoMSystem {
		xml["arm-m-system.xml"] = []byte(qemuMSystem)
	}
	return newFake(flavorQEMU, cfg, xml)
}

// ListenQEMU starts a fake QEMU for a test and returns it with its address.
func ListenQEMU(t interface {
	Helper()
	Fatalf(string, ...any)
	Cleanup(func())
}, cfg Config) (*Fake, string) {
	t.Helper()
	fk, err := NewQEMU(cfg)
	if err != nil {
		t.Fatalf("fake QEMU: %v", err)
	}
	addr, err := fk.Start()
	if err != nil {
		t.Fatalf("fake QEMU: %v", err)
	}
	t.Cleanup(func() { fk.Close() })
	return fk, addr
}
