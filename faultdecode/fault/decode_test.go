package fault

import (
	"encoding/binary"
	"errors"
	"slices"
	"testing"
)

func TestDecodeCFSREveryBit(t *testing.T) {
	tests := []struct {
		bit     uint
		name    string
		exc     int
		precise bool
	}{
		{0, "IACCVIOL", ExcMemManage, true},
		{1, "DACCVIOL", ExcMemManage, true},
		{3, "MUNSTKERR", ExcMemManage, false},
		{4, "MSTKERR", ExcMemManage, false},
		{5, "MLSPERR", ExcMemManage, false},
		{8, "IBUSERR", ExcBusFault, true},
		{9, "PRECISERR", ExcBusFault, true},
		{10, "IMPRECISERR", ExcBusFault, false},
		{11, "UNSTKERR", ExcBusFault, false},
		{12, "STKERR", ExcBusFault, false},
		{13, "LSPERR", ExcBusFault, false},
		{16, "UNDEFINSTR", ExcUsageFault, true},
		{17, "INVSTATE", ExcUsageFault, true},
		{18, "INVPC", ExcUsageFault, true},
		{19, "NOCP", ExcUsageFault, true},
		{20, "STKOF", ExcUsageFault, false},
		{24, "UNALIGNED", ExcUsageFault, true},
		{25, "DIVBYZERO", ExcUsageFault, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := DecodeCFSR(Cfsr(1 << tt.bit))
			if len(got) != 1 {
				t.Fatalf("DecodeCFSR(1<<%d) = %v, want one cause", tt.bit, got)
			}
			c := got[0]
			if c.Name != tt.name || c.Exception != tt.exc || c.Precise != tt.precise || c.Register != "CFSR" || c.Text == "" {
				t.Errorf("got %+v, want name %s exc %d precise %v", c, tt.name, tt.exc, tt.precise)
			}
		})
	}
}

func TestDecodeCFSRValidBitsAreNotCauses(t *testing.T) {
	if got := DecodeCFSR(Cfsr(1<<7 | 1<<15)); len(got) != 0 {
		t.Errorf("MMARVALID|BFARVALID decoded as causes: %v", got)
	}
}

func TestDecodeHFSREveryBit(t *testing.T) {
	for _, tt := range []struct {
		v    uint32
		name string
	}{{1 << 1, "VECTTBL"}, {1 << 30, "FORCED"}, {1 << 31, "DEBUGEVT"}} {
		got := DecodeHFSR(Hfsr(tt.v))
		if len(got) != 1 || got[0].Name != tt.name || got[0].Register != "HFSR" {
			t.Errorf("DecodeHFSR(0x%08x) = %v, want %s", tt.v, got, tt.name)
		}
	}
}

func TestDecodeDFSR(t *testing.T) {
	got := DecodeDFSR(Dfsr(0x1F))
	want := []string{"HALTED", "BKPT", "DWTTRAP", "VCATCH", "EXTERNAL"}
	if !slices.Equal(got, want) {
		t.Errorf("DecodeDFSR(0x1f) = %v, want %v", got, want)
	}
}

func TestRegisterAddresses(t *testing.T) {
	for _, tt := range []struct {
		got, want uint64
	}{
		{Cfsr(0).Address(), 0xE000ED28}, {Hfsr(0).Address(), 0xE000ED2C}, {Dfsr(0).Address(), 0xE000ED30},
		{Mmfar(0).Address(), 0xE000ED34}, {Bfar(0).Address(), 0xE000ED38}, {Shcsr(0).Address(), 0xE000ED24},
		{Dhcsr(0).Address(), 0xE000EDF0}, {Icsr(0).Address(), 0xE000ED04},
	} {
		if tt.got != tt.want {
			t.Errorf("address 0x%08x, want 0x%08x", tt.got, tt.want)
		}
	}
}

func regsWith(pairs ...any) FaultRegs {
	var f FaultRegs
	for i := 0; i < len(pairs); i += 2 {
		f.Set(pairs[i].(uint64), uint32(pairs[i+1].(int)))
	}
	return f
}

func TestDecodeFaultAddressOnlyWhenValid(t *testing.T) {
	tests := []struct {
		name     string
		cfsr     int
		want     bool
		wantFrom string
		wantAddr uint32
	}{
		{"DACCVIOL with MMARVALID", 1<<1 | 1<<7, true, "MMFAR", 0x11111111},
		{"DACCVIOL without MMARVALID", 1 << 1, false, "", 0},
		{"PRECISERR with BFARVALID", 1<<9 | 1<<15, true, "BFAR", 0x22222222},
		{"PRECISERR without BFARVALID", 1 << 9, false, "", 0},
		{"IMPRECISERR never has an address", 1 << 10, false, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := regsWith(uint64(AddrCFSR), tt.cfsr, uint64(AddrMMFAR), 0x11111111, uint64(AddrBFAR), 0x22222222)
			d := Decode(ForCore("m3"), map[string]uint32{"xpsr": 0x01000003}, f, "")
			if d.HasAddress != tt.want || d.AddressFrom != tt.wantFrom || d.FaultAddress != tt.wantAddr {
				t.Errorf("got has=%v from=%q addr=0x%08x", d.HasAddress, d.AddressFrom, d.FaultAddress)
			}
		})
	}
}

func TestDecodeExceptionAndEscalation(t *testing.T) {
	tests := []struct {
		name      string
		xpsr      uint32
		cfsr      int
		hfsr      int
		shcsr     int
		dhcsr     int
		trigger   string
		pc        uint32
		core      string
		exception string
		forced    bool
		escalated int
		lockup    bool
		causes    []string
	}{
		{name: "usage fault handler", xpsr: 0x01000006, cfsr: 1 << 25, shcsr: 1 << 18, exception: "UsageFault", causes: []string{"DIVBYZERO"}},
		{name: "forced from MemManage", xpsr: 0x01000003, cfsr: 1, hfsr: 1 << 30, exception: "HardFault", forced: true, escalated: ExcMemManage, causes: []string{"FORCED", "IACCVIOL"}},
		{name: "forced from BusFault", xpsr: 0x01000003, cfsr: 1 << 9, hfsr: 1 << 30, exception: "HardFault", forced: true, escalated: ExcBusFault, causes: []string{"FORCED", "PRECISERR"}},
		{name: "vector table", xpsr: 0x01000003, hfsr: 1 << 1, exception: "HardFault", causes: []string{"VECTTBL"}},
		{name: "debug event", xpsr: 0x01000003, hfsr: 1 << 31, exception: "HardFault", causes: []string{"DEBUGEVT"}},
		{name: "NMI", xpsr: 0x01000002, exception: "NMI", causes: []string{}},
		{name: "lockup from DHCSR", xpsr: 0x01000003, cfsr: 1, hfsr: 1 << 30, dhcsr: 1 << 19, exception: "Lockup", forced: true, escalated: ExcMemManage, lockup: true, causes: []string{"FORCED", "IACCVIOL"}},
		{name: "lockup from trigger", xpsr: 0x01000003, trigger: "lockup", exception: "Lockup", lockup: true, causes: []string{}},
		{name: "lockup PC v7-M", xpsr: 0x01000003, pc: 0xFFFFFFFE, exception: "Lockup", lockup: true, causes: []string{}},
		{name: "lockup PC v8-M", xpsr: 0x01000003, pc: 0xEFFFFFFE, core: "cortex-m33", exception: "Lockup", lockup: true, causes: []string{}},
		{name: "v8-M PC 0xFFFFFFFE is not its lockup", xpsr: 0x01000003, pc: 0xFFFFFFFE, core: "m33", exception: "HardFault", causes: []string{}},
		{name: "v6-M has no CFSR", xpsr: 0x01000003, cfsr: 1, hfsr: 1 << 30, core: "cortex-m0+", exception: "HardFault", causes: []string{}},
		{name: "thread mode, sticky bits", xpsr: 0x01000000, cfsr: 1 << 25, exception: "UsageFault", causes: []string{"DIVBYZERO"}},
		{name: "thread mode, nothing", xpsr: 0x01000000, exception: "None", causes: []string{}},
		{name: "IRQ active", xpsr: 0x01000025, exception: "None", causes: []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := regsWith(uint64(AddrCFSR), tt.cfsr, uint64(AddrHFSR), tt.hfsr, uint64(AddrSHCSR), tt.shcsr, uint64(AddrDHCSR), tt.dhcsr)
			regs := map[string]uint32{"xpsr": tt.xpsr}
			if tt.pc != 0 {
				regs["pc"] = tt.pc
			}
			d := Decode(ForCore(tt.core), regs, f, tt.trigger)
			if d.Exception != tt.exception || d.Forced != tt.forced || d.EscalatedFrom != tt.escalated || d.Lockup != tt.lockup {
				t.Errorf("got exception %s forced %v escalated %d lockup %v", d.Exception, d.Forced, d.EscalatedFrom, d.Lockup)
			}
			if got := d.CauseNames(); !slices.Equal(got, tt.causes) {
				t.Errorf("causes %v, want %v", got, tt.causes)
			}
		})
	}
}

func TestDecodeStackingErrors(t *testing.T) {
	for _, tt := range []struct {
		cfsr      uint32
		stack, un bool
	}{
		{1 << 4, true, false}, {1 << 12, true, false}, {1 << 3, false, true}, {1 << 11, false, true}, {1 << 1, false, false},
	} {
		f := regsWith(uint64(AddrCFSR), int(tt.cfsr))
		d := Decode(ForCore("m4"), map[string]uint32{"xpsr": 3}, f, "")
		if d.StackingError != tt.stack || d.Unstacking != tt.un {
			t.Errorf("CFSR 0x%08x: stacking %v unstacking %v", tt.cfsr, d.StackingError, d.Unstacking)
		}
	}
}

func TestShcsrActiveAndEnabled(t *testing.T) {
	s := Shcsr(1<<0 | 1<<3 | 1<<17)
	if !slices.Equal(s.Active(), []int{ExcMemManage, ExcUsageFault}) {
		t.Errorf("Active = %v", s.Active())
	}
	if s.Enabled(ExcMemManage) || !s.Enabled(ExcBusFault) || s.Enabled(ExcUsageFault) {
		t.Errorf("Enabled wrong for 0x%08x", uint32(s))
	}
}

func TestExcReturnVariants(t *testing.T) {
	tests := []struct {
		v           uint32
		thread, psp bool
		fp          bool
		size        uint32
		text        string
	}{
		{0xFFFFFFF1, false, false, false, 0x20, "handler mode, MSP"},
		{0xFFFFFFF9, true, false, false, 0x20, "thread mode, MSP"},
		{0xFFFFFFFD, true, true, false, 0x20, "thread mode, PSP"},
		{0xFFFFFFE1, false, false, true, 0x68, "handler mode, MSP, FP frame"},
		{0xFFFFFFE9, true, false, true, 0x68, "thread mode, MSP, FP frame"},
		{0xFFFFFFED, true, true, true, 0x68, "thread mode, PSP, FP frame"},
	}
	for _, tt := range tests {
		er := ExcReturn(tt.v)
		if !er.Valid() || er.ThreadMode() != tt.thread || er.PSP() != tt.psp || er.FPFrame() != tt.fp || er.FrameSize() != tt.size || er.String() != tt.text {
			t.Errorf("0x%08x: thread %v psp %v fp %v size %#x %q", tt.v, er.ThreadMode(), er.PSP(), er.FPFrame(), er.FrameSize(), er.String())
		}
	}
	if v8 := ExcReturn(0xFFFFFFBC); !v8.Valid() || !v8.PSP() || !v8.ThreadMode() || v8.FPFrame() {
		t.Error("ARMv8-M non-secure thread/PSP EXC_RETURN 0xFFFFFFBC")
	}
	for _, bad := range []uint32{0xFFFFFFFF, 0xFFFFFFF5, 0xFFFFFF00 | 0x7D} {
		if ExcReturn(bad).Valid() {
			t.Errorf("0x%08x must not be a valid EXC_RETURN", bad)
		}
	}
	if IsExcReturn(0x08000123) {
		t.Error("a code address is not an EXC_RETURN")
	}
}

func TestXpsrAndIcsr(t *testing.T) {
	x := Xpsr(0x21000205)
	if x.Exception() != 5 || !x.Thumb() || !x.Realigned() {
		t.Errorf("xPSR 0x%08x: exc %d thumb %v realigned %v", uint32(x), x.Exception(), x.Thumb(), x.Realigned())
	}
	if Icsr(0x00400803).VECTACTIVE() != 3 {
		t.Error("VECTACTIVE")
	}
}

// frameBytes lays out an exception frame for the tests.
func frameBytes(words ...uint32) []byte {
	b := make([]byte, 4*len(words))
	for i, w := range words {
		binary.LittleEndian.PutUint32(b[4*i:], w)
	}
	return b
}

// sliceMem is a Memory over one buffer at base.
type sliceMem struct {
	base uint64
	data []byte
}

func (m sliceMem) ReadMemory(buf []byte, addr uint64) (int, error) {
	if addr < m.base || addr >= m.base+uint64(len(m.data)) {
		return 0, errors.New("not captured")
	}
	n := copy(buf, m.data[addr-m.base:])
	if n < len(buf) {
		return n, errors.New("not captured")
	}
	return n, nil
}

func TestReadExceptionFrame(t *testing.T) {
	basic := []uint32{1, 2, 3, 4, 12, 0x08000101, 0x08000200, 0x01000000}
	realigned := []uint32{1, 2, 3, 4, 12, 0x08000101, 0x08000200, 0x01000200}
	fp := append(append([]uint32{}, basic...), make([]uint32, 18)...)
	fp[8+15] = 0x15 // s15
	fp[24] = 0xF000 // FPSCR
	tests := []struct {
		name      string
		words     []uint32
		er        uint32
		wantSize  uint32
		wantFP    bool
		plausible bool
	}{
		{"basic", basic, 0xFFFFFFF9, 0x20, false, true},
		{"realigned", realigned, 0xFFFFFFF9, 0x24, false, true},
		{"FP frame", fp, 0xFFFFFFE9, 0x68, true, true},
		{"Thumb bit clear", []uint32{0, 0, 0, 0, 0, 0, 0x08000200, 0}, 0xFFFFFFF9, 0x20, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := sliceMem{0x20001000, frameBytes(tt.words...)}
			f, err := ReadExceptionFrame(mem, 0x20001000, ExcReturn(tt.er))
			if err != nil {
				t.Fatal(err)
			}
			if f.Size != tt.wantSize || f.FP != tt.wantFP || f.Plausible() != tt.plausible || f.SPBefore() != 0x20001000+tt.wantSize {
				t.Errorf("size %#x fp %v plausible %v spbefore 0x%08x", f.Size, f.FP, f.Plausible(), f.SPBefore())
			}
			if f.PC != tt.words[6] || f.LR != tt.words[5] || f.R12 != tt.words[4] {
				t.Errorf("registers wrong: %+v", f)
			}
			if tt.wantFP && (f.S[15] != 0x15 || f.FPSCR != 0xF000) {
				t.Errorf("FP state wrong: s15 %#x fpscr %#x", f.S[15], f.FPSCR)
			}
		})
	}
	if _, err := ReadExceptionFrame(sliceMem{0x20001000, make([]byte, 0x10)}, 0x20001000, 0xFFFFFFF9); err == nil {
		t.Error("a frame past the captured memory must be an error")
	}
}

func TestThumbDecoding(t *testing.T) {
	// bl 0x08000104 at 0x08000100 is f000 f800; blx r3 is 4798.
	if !isBL(0xF000, 0xF800) || isBL(0xB580, 0xAF00) || !isBLXReg(0x4798) || isBLXReg(0x4718) /* bx r3 */ {
		t.Error("BL/BLX recognition")
	}
	if got := blTarget(0x08000100, 0xF000, 0xF800); got != 0x08000104 {
		t.Errorf("blTarget = 0x%08x", got)
	}
	if got := blTarget(0x08000100, 0xF7FF, 0xFFFE); got != 0x08000100 {
		t.Errorf("blTarget backwards = 0x%08x", got)
	}
}
