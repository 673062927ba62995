package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
)

// A command that is not the TUI must never talk to the terminal it runs
// in. Upstream bubbletea asks the terminal for its background colour in an
// init (so in every command) and waits up to 5 s for an answer; a
// pseudo-terminal that never answers, as `script`, CI runners and editor
// shells give, made `faultline symbolize` take 5 s, and the query's escape
// codes landed in its output. third_party/bubbletea drops that init.
func TestCommandsDoNotQueryTheTerminal(t *testing.T) {
	for _, args := range [][]string{
		{"--help"},
		{"symbolize", "--help"},
		{"analyze", "--help"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, faultlineBin, args...)
			cmd.Env = append(os.Environ(), "TERM=xterm-256color")
			// pty.Start makes the terminal the command's controlling
			// terminal with the command in its foreground, so a query
			// would be sent; the test never answers one.
			term, err := pty.Start(cmd)
			if err != nil {
				t.Skipf("no pseudo-terminal here: %v", err)
			}
			defer term.Close()
			var out bytes.Buffer
			copied := make(chan struct{})
			go func() {
				io.Copy(&out, term) // ends with EIO when the command exits
				close(copied)
			}()
			start := time.Now()
			err = cmd.Wait()
			took := time.Since(start)
			if err != nil {
				t.Fatalf("faultline %s: %v", strings.Join(args, " "), err)
			}
			select {
			case <-copied:
			case <-time.After(5 * time.Second):
				t.Fatal("the terminal's output did not end after the command exited")
			}
			// termenv's query: OSC 11 ("what is your background?"), then
			// a cursor position request.
			for _, q := range []string{"\x1b]11;?", "\x1b[6n"} {
				if strings.Contains(out.String(), q) {
					t.Errorf("faultline %s wrote the terminal query %q", strings.Join(args, " "), q)
				}
			}
			// A query waits up to 5 s for its answer; a help text takes
			// milliseconds even on a loaded machine.
			if took > 3*time.Second {
				t.Errorf("faultline %s took %v on a terminal that does not answer queries", strings.Join(args, " "), took)
			}
		})
	}
}
