package fault

import (
	"strings"
	"testing"
)

func TestDecodeSTKOFSaysWhichStackAndByHowMuch(t *testing.T) {
	const stkof = 1 << 20
	tests := []struct {
		name     string
		core     string
		regs     map[string]uint32
		stack    string
		stacking bool
		sentence string // "" when no STKOF is decoded
	}{
		{"thread stack below PSPLIM", "m33",
			map[string]uint32{"lr": 0xFFFFFFFD, "psp": 0x2000fff8, "psplim": 0x20010000, "msp": 0x20020000, "msplim": 0x2001f000},
			"PSP", true, "PSP 0x2000fff8 went below PSPLIM 0x20010000: the stack of the thread (PSP) overflowed by 8 bytes"},
		{"thread stack at PSPLIM: the frame was not stacked", "m33",
			map[string]uint32{"lr": 0xFFFFFFBC, "psp": 0x38000000, "psplim": 0x38000000},
			"PSP", true, "PSP 0x38000000 reached PSPLIM 0x38000000: the stack of the thread (PSP) overflowed; the core stopped stacking at the limit, so the exception frame was not written"},
		{"main stack at MSPLIM", "m33",
			map[string]uint32{"lr": 0xFFFFFFF9, "msp": 0x3800f800, "msplim": 0x3800f800, "psp": 0, "psplim": 0},
			"MSP", true, "MSP 0x3800f800 reached MSPLIM 0x3800f800: the main stack (MSP"},
		{"above the limit: an SP update that would have crossed it", "m55",
			map[string]uint32{"lr": 0xFFFFFFFD, "psp": 0x20010010, "psplim": 0x20010000},
			"PSP", false, "PSP 0x20010010 is 16 bytes above PSPLIM 0x20010000"},
		{"no EXC_RETURN: the stack at its limit", "m33",
			map[string]uint32{"lr": 0x08000123, "msp": 0x20001000, "msplim": 0x20000000, "psp": 0x20010000, "psplim": 0x20010000},
			"PSP", true, "PSP 0x20010000 reached PSPLIM"},
		{"limits not captured", "m33",
			map[string]uint32{"lr": 0xFFFFFFFD, "psp": 0x20010000},
			"PSP", false, "PSP 0x20010000 went below PSPLIM (not captured)"},
		{"bit 20 is reserved on ARMv7-M", "m4",
			map[string]uint32{"lr": 0xFFFFFFFD, "psp": 0x2000fff8, "psplim": 0x20010000},
			"", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			regs := map[string]uint32{"xpsr": 0x01000003}
			for k, v := range tt.regs {
				regs[k] = v
			}
			d := Decode(ForCore(tt.core), regs, regsWith(uint64(AddrCFSR), stkof, uint64(AddrHFSR), 1<<30), "")
			if tt.sentence == "" {
				if d.StackLimit != nil || len(d.Causes) != 1 {
					t.Errorf("STKOF decoded on %s: %v %+v", tt.core, d.CauseNames(), d.StackLimit)
				}
				return
			}
			if d.StackLimit == nil {
				t.Fatalf("no stack limit hit decoded; causes %v", d.CauseNames())
			}
			if d.StackLimit.Stack != tt.stack || d.StackingError != tt.stacking {
				t.Errorf("stack %q stacking error %v, want %q %v", d.StackLimit.Stack, d.StackingError, tt.stack, tt.stacking)
			}
			if s := d.StackLimit.Sentence(); !strings.Contains(s, tt.sentence) {
				t.Errorf("sentence %q\nwant it to contain %q", s, tt.sentence)
			}
		})
	}
}

func TestDecodeSFSRAndSFAR(t *testing.T) {
	f := regsWith(uint64(AddrSFSR), 1<<3|1<<6, uint64(AddrSFAR), 0x10000400)
	d := Decode(ForCore("m33"), map[string]uint32{"xpsr": 0x01000007}, f, "")
	if d.Exception != "SecureFault" || strings.Join(d.CauseNames(), " ") != "AUVIOL" {
		t.Errorf("exception %s causes %v", d.Exception, d.CauseNames())
	}
	if !d.HasAddress || d.FaultAddress != 0x10000400 || d.AddressFrom != "SFAR" {
		t.Errorf("fault address 0x%08x from %q (valid %v), want SFAR 0x10000400", d.FaultAddress, d.AddressFrom, d.HasAddress)
	}
	f = regsWith(uint64(AddrSFSR), 1<<3, uint64(AddrSFAR), 0x10000400)
	if d := Decode(ForCore("m33"), map[string]uint32{"xpsr": 0x01000007}, f, ""); d.HasAddress {
		t.Error("SFAR used without SFARVALID")
	}
	if d := Decode(ForCore("m4"), map[string]uint32{"xpsr": 0x01000003}, regsWith(uint64(AddrSFSR), 1<<3), ""); len(d.Causes) != 0 {
		t.Errorf("SFSR decoded on ARMv7-M: %v", d.CauseNames())
	}
}
