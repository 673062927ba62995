package capture

import (
	"bytes"
	"debug/elf"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var t0 = time.Date(2026, 11, 26, 3, 30, 0, 123456789, time.UTC)

// fullSnapshot is a capture with every field set, as a live session would
// produce.
func fullSnapshot() *Snapshot {
	ram := make([]byte, 4096)
	for i := range ram {
		ram[i] = byte(i * 7)
	}
	return &Snapshot{
		Registers: map[string]uint32{
			"r0": 1, "r1": 2, "r2": 3, "r3": 4, "r4": 5, "r5": 6, "r6": 7, "r7": 0x2001ffe0,
			"r8": 9, "r9": 10, "r10": 11, "r11": 12, "r12": 13,
			"sp": 0x2001ffd0, "lr": 0xfffffff9, "pc": 0x08000a12, "xpsr": 0x21000003,
			"msp": 0x2001ffd0, "psp": 0x20001000, "primask": 0, "basepri": 0x20,
			"faultmask": 0, "control": 2,
		},
		Memory: []Region{
			{Addr: 0x08000000, Data: []byte{0x00, 0x00, 0x02, 0x20, 0x65, 0x00, 0x00, 0x08}, Name: "flash-sample"},
			{Addr: 0x20000000, Data: ram, Name: "ram"},
			{Addr: 0xE000ED00, Data: bytes.Repeat([]byte{0xED}, 0x40), Name: "scb"},
			{Addr: 0xE000EDF0, Data: bytes.Repeat([]byte{0xDF}, 0x10), Name: "debug"},
		},
		Meta: Meta{
			Schema:     SchemaV1,
			ELF:        ELFRef{Path: "/src/build/app.elf", BuildID: "8d3f", SHA256: strings.Repeat("ab", 32)},
			Board:      "netduino2",
			Trigger:    Trigger{Kind: "fault-handler", Detail: "breakpoint at HardFault_Handler"},
			CapturedAt: t0,
			Target:     "qemu netduino2 127.0.0.1:1234",
			StopReply:  "T05thread:p01.01;",
			Missing:    []string{"DHCSR reads 0 on QEMU"},
			Serial: []SerialLine{
				{Time: t0.Add(-2 * time.Second), Text: "0000123456 [hal] PANIC: HardFault"},
				{Time: t0.Add(-time.Second), Text: "héllo wörld ✓ 日本語 \"quoted\" \\ \t tab"},
				{Time: t0, Text: ""},
			},
			LED: []LEDSample{
				{Time: t0.Add(-300 * time.Millisecond), R: 1, G: 0, B: 0, Pattern: "sos"},
				{Time: t0, R: 0.123456789, G: 0.5, B: 1e-9},
			},
			Timeline: []Event{
				{Time: t0.Add(-5 * time.Second), Kind: "wifi-drop", Detail: "link down"},
				{Time: t0, Kind: "fault", Detail: "HardFault FORCED"},
			},
			Extra: map[string]string{"openocd": "0.12.0", "ключ": "значение"},
		},
	}
}

func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		snap func() *Snapshot
	}{
		{"everything set", fullSnapshot},
		{"empty snapshot", func() *Snapshot { return &Snapshot{Meta: Meta{Schema: SchemaV1}} }},
		{"registers only", func() *Snapshot {
			return &Snapshot{Registers: map[string]uint32{"pc": 0xfffffffe, "lr": 0xffffffff}, Meta: Meta{Schema: SchemaV1}}
		}},
		{"odd-sized regions need padding", func() *Snapshot {
			return &Snapshot{Meta: Meta{Schema: SchemaV1}, Memory: []Region{
				{Addr: 0x10, Data: []byte{1}, Name: "a"},
				{Addr: 0x11, Data: []byte{2, 3, 4, 5, 6}, Name: "b"},
				{Addr: 0xfffffffd, Data: []byte{7, 8, 9}, Name: "top"},
			}}
		}},
		{"unicode region names and meta", func() *Snapshot {
			s := fullSnapshot()
			s.Memory[1].Name = "ram ☃"
			s.Meta.Board = "fötöboard"
			s.Meta.Trigger.Detail = "panic: 💥"
			return s
		}},
		{"capture time in another zone", func() *Snapshot {
			s := fullSnapshot()
			s.Meta.CapturedAt = t0.In(time.FixedZone("CET", 3600))
			return s
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want := tc.snap()
			path := filepath.Join(t.TempDir(), "crash.core")
			if err := Write(path, want); err != nil {
				t.Fatalf("Write: %v", err)
			}
			got, err := Read(path)
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Read(Write(x)) differs (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEncodeLayout(t *testing.T) {
	var buf bytes.Buffer
	if err := Encode(&buf, fullSnapshot()); err != nil {
		t.Fatal(err)
	}
	f, err := elf.NewFile(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatalf("debug/elf cannot read the capture: %v", err)
	}
	if f.Type != elf.ET_CORE || f.Machine != elf.EM_ARM || f.Class != elf.ELFCLASS32 || f.Data != elf.ELFDATA2LSB {
		t.Errorf("header: type %v machine %v class %v data %v", f.Type, f.Machine, f.Class, f.Data)
	}
	if len(f.Progs) != 5 || f.Progs[0].Type != elf.PT_NOTE {
		t.Fatalf("want PT_NOTE then 4 PT_LOAD, got %d segments, first %v", len(f.Progs), f.Progs[0].Type)
	}
	wantFlags := []elf.ProgFlag{elf.PF_R | elf.PF_X, elf.PF_R | elf.PF_W, elf.PF_R | elf.PF_W, elf.PF_R | elf.PF_W}
	for i, p := range f.Progs[1:] {
		if p.Type != elf.PT_LOAD || p.Filesz != p.Memsz || p.Flags != wantFlags[i] || p.Off%4 != 0 {
			t.Errorf("segment %d: %+v", i+1, p.ProgHeader)
		}
	}
	notes, used := parseNotes(mustReadAll(t, f.Progs[0]), 0)
	if used != int(f.Progs[0].Filesz) {
		t.Errorf("notes use %d of %d bytes", used, f.Progs[0].Filesz)
	}
	var kinds []string
	for _, n := range notes {
		kinds = append(kinds, n.name)
		if n.name == noteNameCore && len(n.desc) != prstatusSize {
			t.Errorf("NT_PRSTATUS is %d bytes, gdb wants %d", len(n.desc), prstatusSize)
		}
	}
	if diff := cmp.Diff([]string{"CORE", "FAULTLINE", "GDB"}, kinds); diff != "" {
		t.Errorf("notes (-want +got):\n%s", diff)
	}
}

func mustReadAll(t *testing.T, p *elf.Prog) []byte {
	t.Helper()
	b := make([]byte, p.Filesz)
	if _, err := p.ReadAt(b, 0); err != nil {
		t.Fatal(err)
	}
	return b
}

func TestPrstatusCarriesCoreRegisters(t *testing.T) {
	regs := fullSnapshot().Registers
	got, err := parsePrstatus(prstatus(regs))
	if err != nil {
		t.Fatal(err)
	}
	for name, v := range got {
		if regs[name] != v {
			t.Errorf("%s = %#x, want %#x", name, v, regs[name])
		}
	}
	if len(got) != 17 {
		t.Errorf("NT_PRSTATUS gave %d registers, want r0-r15 and xpsr", len(got))
	}
}

func TestDecodeFallsBackToPrstatus(t *testing.T) {
	// A core without the FAULTLINE note, as gdb's gcore writes one.
	s := fullSnapshot()
	notes := appendNote(nil, noteNameCore, uint32(elf.NT_PRSTATUS), prstatus(s.Registers))
	data := rawCore(notes, s.Memory)
	got, err := Decode(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if got.Registers["pc"] != 0x08000a12 || got.Registers["xpsr"] != 0x21000003 || len(got.Registers) != 17 {
		t.Errorf("registers from NT_PRSTATUS: %v", got.Registers)
	}
	if len(got.Memory) != len(s.Memory) {
		t.Errorf("got %d regions, want %d", len(got.Memory), len(s.Memory))
	}
	if len(got.Meta.Missing) == 0 || !strings.Contains(got.Meta.Missing[0], "no FAULTLINE note") {
		t.Errorf("Missing should say the metadata is absent: %q", got.Meta.Missing)
	}
}

// rawCore builds a core with the given notes, as another tool might write.
func rawCore(notes []byte, mem []Region) []byte {
	var b bytes.Buffer
	if err := writeCore(&b, notes, mem); err != nil {
		panic(err)
	}
	return b.Bytes()
}

func TestSerialNoiseIsStoredAsReplacementCharacters(t *testing.T) {
	// A console at the wrong baud rate gives bytes that are not UTF-8;
	// JSON cannot hold them, so they come back as U+FFFD (doc.go).
	s := &Snapshot{Meta: Meta{Schema: SchemaV1, Serial: []SerialLine{{Time: t0, Text: "ok \xff\xfe end"}}}}
	got, err := Decode(bytes.NewReader(encoded(t, s)), int64(len(encoded(t, s))))
	if err != nil {
		t.Fatal(err)
	}
	if want := "ok \ufffd\ufffd end"; got.Meta.Serial[0].Text != want {
		t.Errorf("serial text %q, want %q", got.Meta.Serial[0].Text, want)
	}
}

// TestRegionFlagsFollowWhatWasRead: a segment's permissions say what the
// region is, not which part of the memory map it lies in: RAM below
// 0x20000000 (CCM, block RAM, SRAM_L) is writable, and a flash sample is
// code wherever the code executes (XIP flash at 0x60000000).
func TestRegionFlagsFollowWhatWasRead(t *testing.T) {
	tests := []struct {
		r    Region
		want elf.ProgFlag
	}{
		{Region{Name: "flash-sample", Addr: 0x08000000}, elf.PF_R | elf.PF_X},
		{Region{Name: "flash-sample", Addr: 0x60000000}, elf.PF_R | elf.PF_X},
		{Region{Name: "stack-psp", Addr: 0x10000680}, elf.PF_R | elf.PF_W},
		{Region{Name: "section .ccmram", Addr: 0x10000000}, elf.PF_R | elf.PF_W},
		{Region{Name: "stack-msp", Addr: 0x1fffff00}, elf.PF_R | elf.PF_W},
		{Region{Name: "ram", Addr: 0x20000000}, elf.PF_R | elf.PF_W},
		{Region{Name: "scb", Addr: 0xE000ED00}, elf.PF_R | elf.PF_W},
	}
	for _, tc := range tests {
		if got := regionFlags(tc.r); got != tc.want {
			t.Errorf("%s at %#x: flags %v, want %v", tc.r.Name, tc.r.Addr, got, tc.want)
		}
	}
}
