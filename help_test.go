package main

import (
	"os"
	"strings"
	"testing"
)

// TestHelpShowsNewFlagsWithExamples: the flags that change how a device is
// reached or what is kept (--gdb with a serial port, --mem, --no-save,
// --no-cache) are shown in use in the Examples of each command's --help
// that has them, and the README's command reference names them.
func TestHelpShowsNewFlagsWithExamples(t *testing.T) {
	t.Parallel()
	examples := map[string]string{}
	for _, c := range newRootCmd().Commands() {
		examples[c.Name()] = c.Example
	}
	tests := []struct {
		command string
		want    []string // each in the command's Examples
	}{
		{"capture", []string{"--gdb /dev/ttyACM0", "--gdb serial:", "--mem 0x", "--no-cache"}},
		{"attach", []string{"--gdb /dev/ttyACM0", "--mem 0x", "--no-save"}},
		{"demo", []string{"--no-save"}},
		{"analyze", []string{"--no-cache"}},
		{"symbolize", []string{"--no-cache"}},
	}
	for _, tc := range tests {
		ex, ok := examples[tc.command]
		if !ok {
			t.Errorf("no command %q", tc.command)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(ex, w) {
				t.Errorf("%s --help has no example with %q:\n%s", tc.command, w, ex)
			}
		}
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"--gdb /dev/ttyACM0", "--gdb serial:PATH", "--mem ADDR:SIZE", "--no-save", "--no-cache"} {
		if !strings.Contains(string(readme), w) {
			t.Errorf("README's command reference does not name %q", w)
		}
	}
}
