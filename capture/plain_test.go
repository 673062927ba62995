package capture

import (
	"bytes"
	"debug/elf"
	"strings"
	"testing"
)

func TestPlainCoreSaysWhatItLacks(t *testing.T) {
	gdbTdesc := tdescXML(nil) // the M-profile core registers only
	withSystem := strings.Replace(gdbTdesc, "</target>", `<feature name="org.gnu.gdb.arm.m-system"><reg name="msp" bitsize="32"/><reg name="psp" bitsize="32"/><reg name="primask" bitsize="32"/><reg name="control" bitsize="32"/></feature><feature name="org.gnu.gdb.arm.secext"><reg name="msplim" bitsize="32"/><reg name="psplim" bitsize="32"/><reg name="msp_ns" bitsize="32"/></feature></target>`, 1)
	tests := []struct {
		name   string
		tdesc  string // "" for no NT_GDB_TDESC
		scb    bool
		want   []string
		absent []string
	}{
		{"no target description, no SCB", "", false,
			[]string{"no FAULTLINE note", "registers: only r0-r15 and xPSR (NT_PRSTATUS); msp, psp, primask, basepri, faultmask, control were not captured", "the System Control Block (0xE000ED00-0xE000ED40"},
			nil},
		{"a description with system registers", withSystem, false,
			[]string{"the target also had msp, psp, primask, control, msplim, psplim, whose values a core cannot carry"},
			[]string{"msp_ns"}},
		{"a description without them", gdbTdesc, true,
			[]string{"the target description names no system registers"},
			[]string{"System Control Block"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := fullSnapshot()
			var mem []Region
			for _, r := range s.Memory {
				if r.Name != "scb" || tt.scb {
					mem = append(mem, r)
				}
			}
			notes := appendNote(nil, noteNameCore, uint32(elf.NT_PRSTATUS), prstatus(s.Registers))
			if tt.tdesc != "" {
				notes = appendNote(notes, noteNameGDB, ntGDBTdesc, append([]byte(tt.tdesc), 0))
			}
			data := rawCore(notes, mem)
			got, err := Decode(bytes.NewReader(data), int64(len(data)))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			missing := strings.Join(got.Meta.Missing, "\n")
			for _, w := range tt.want {
				if !strings.Contains(missing, w) {
					t.Errorf("Missing lacks %q:\n%s", w, missing)
				}
			}
			for _, w := range tt.absent {
				if strings.Contains(missing, w) {
					t.Errorf("Missing names %q:\n%s", w, missing)
				}
			}
		})
	}
}
