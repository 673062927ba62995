package report

import (
	"bytes"
	"strings"
	"testing"
)

// TestTextNamesTheServer: the trigger line says which GDB server the
// capture came through; a console-only capture has none to name.
func TestTextNamesTheServer(t *testing.T) {
	tests := []struct {
		target string
		want   string // "" : no "through" at all
	}{
		{"jlink 127.0.0.1:2331", "Trigger: fault-handler (HardFault handler entered), through jlink 127.0.0.1:2331\n"},
		{"blackmagic /dev/ttyACM0", ", through blackmagic /dev/ttyACM0\n"},
		{"serial-only", ""},
		{"", ""},
	}
	for _, tc := range tests {
		t.Run(tc.target, func(t *testing.T) {
			r := &Report{Trigger: Trigger{Kind: "fault-handler", Detail: "HardFault handler entered"}, Target: tc.target}
			var b bytes.Buffer
			if err := r.WriteText(&b, Sources{}); err != nil {
				t.Fatal(err)
			}
			got := b.String()
			if tc.want == "" {
				if strings.Contains(got, "through") {
					t.Errorf("text names a server for %q:\n%s", tc.target, got)
				}
				return
			}
			if !strings.Contains(got, tc.want) {
				t.Errorf("text lacks %q:\n%s", tc.want, got)
			}
		})
	}
}
