package main

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// TestHelpShowsNewFlagsWithExamples: the flags that change how a device is
// reached or what is kept (--gdb with a serial port, --mem, --no-save,
// --no-cache) are shown in use in the Examples of each command's --help
// that has them, and the README's command reference names them.
func TestHelpShowsNewFlagsWithExamples(t *testing.T) {
	t.Parallel()
	examples := map[string]string{}
	for _, c := range newRootCmd("").Commands() {
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

// TestCommandBuiltAloneBehavesAsInTheTree: run builds only the command
// its first argument names; that command's --help and its flag errors must
// read exactly as when the whole tree is built, and each registered name
// must be the command's own (or run would build the whole tree for it, or
// the wrong one).
func TestCommandBuiltAloneBehavesAsInTheTree(t *testing.T) {
	t.Parallel()
	if len(commands) < 2 {
		t.Fatalf("%d commands registered", len(commands))
	}
	exec := func(root *cobra.Command, args ...string) string {
		var out strings.Builder
		root.SetOut(&out)
		root.SetErr(&out)
		root.SetArgs(args)
		err := root.Execute()
		return fmt.Sprintf("%s\nerr: %v", out.String(), err)
	}
	for _, c := range commands {
		if got := c.build().Name(); got != c.name {
			t.Errorf("command registered as %q is named %q", c.name, got)
		}
		alone := newRootCmd(c.name)
		if n := len(alone.Commands()); n != 1 {
			t.Errorf("newRootCmd(%q) built %d commands, want 1", c.name, n)
		}
		for _, args := range [][]string{{c.name, "--help"}, {c.name, "--no-such-flag"}} {
			if got, want := exec(newRootCmd(c.name), args...), exec(newRootCmd(""), args...); got != want {
				t.Errorf("faultline %s built alone:\n%s\nin the whole tree:\n%s", strings.Join(args, " "), got, want)
			}
		}
	}
	if n := len(newRootCmd("no-such-command").Commands()); n != len(commands) {
		t.Errorf("an unknown name built %d commands, want all %d (for suggestions)", n, len(commands))
	}
}
