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

// TestRenderersMarkTheCallsLeftOut: where a deep recursion's middle was
// left out, text and Markdown say how many calls, between the frames on
// either side of the gap.
func TestRenderersMarkTheCallsLeftOut(t *testing.T) {
	r := &Report{Frames: []Frame{
		{PC: "0x00000102", Function: "parse_value", How: "cfi", Confidence: "certain"},
		{PC: "0x00000152", Function: "parse_list", How: "cfi", Confidence: "certain", Elided: 3941},
		{PC: "0x00000214", Function: "main", How: "cfi", Confidence: "certain"},
	}}
	for _, tc := range []struct {
		name  string
		write func(*bytes.Buffer) error
		want  string
	}{
		{"text", func(b *bytes.Buffer) error { return r.WriteText(b, Sources{}) }, "parse_value  [cfi, certain]\n      ... 3941 calls of the recursion left out ...\n  #1  0x00000152  parse_list"},
		{"markdown", func(b *bytes.Buffer) error { return r.WriteMarkdown(b, Sources{}) }, "| parse\\_value |  | cfi | certain |\n| | | *3941 calls of the recursion left out* | | | |\n| 1 |"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := tc.write(&b); err != nil {
				t.Fatal(err)
			}
			if got := b.String(); !strings.Contains(got, tc.want) || strings.Count(got, "left out") != 1 {
				t.Errorf("%s lacks %q once:\n%s", tc.name, tc.want, got)
			}
		})
	}
}
