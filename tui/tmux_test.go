package tui_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// tmuxSession is a detached tmux server of its own (-L) running one program.
type tmuxSession struct {
	t      *testing.T
	socket string
}

func startTmux(t *testing.T, w, h int, command string) *tmuxSession {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Fatalf("tmux is not installed: run scripts/setup.sh (%v)", err)
	}
	s := &tmuxSession{t: t, socket: fmt.Sprintf("faultline-tui-%d-%d", os.Getpid(), time.Now().UnixNano())}
	s.run("-f", "/dev/null", "new-session", "-d", "-x", fmt.Sprint(w), "-y", fmt.Sprint(h), "-s", "tui", command)
	socketPath := strings.TrimSpace(s.run("display-message", "-p", "#{socket_path}"))
	t.Cleanup(func() {
		_ = exec.Command("tmux", "-L", s.socket, "kill-server").Run()
		if socketPath != "" {
			_ = os.Remove(socketPath) // kill-server leaves the socket file behind
		}
	})
	return s
}

func (s *tmuxSession) run(args ...string) string {
	s.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-L", s.socket}, args...)...).CombinedOutput()
	if err != nil {
		s.t.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func (s *tmuxSession) keys(keys ...string) {
	s.t.Helper()
	s.run(append([]string{"send-keys", "-t", "tui"}, keys...)...)
}

func (s *tmuxSession) screen() string {
	s.t.Helper()
	return s.run("capture-pane", "-p", "-t", "tui")
}

// waitFor polls the screen until every want is on it.
func (s *tmuxSession) waitFor(what string, want ...string) string {
	s.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var scr string
	for time.Now().Before(deadline) {
		scr = s.screen()
		ok := true
		for _, w := range want {
			if !strings.Contains(scr, w) {
				ok = false
				break
			}
		}
		if ok {
			return scr
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.t.Fatalf("%s: screen never showed %q; last screen:\n%s", what, want, scr)
	return ""
}

// TestTmuxRealTerminal runs the TUI (the demo session, from this test
// binary) in a real terminal and drives it with keys.
func TestTmuxRealTerminal(t *testing.T) {
	t.Parallel()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	crashFile := filepath.Join(t.TempDir(), "crash-now")
	cmd := fmt.Sprintf("env %s=1 %s_ARGS='-crash-file %s' %s; echo EXIT:$?; sleep 120",
		demoEnv, demoEnv, crashFile, exe)
	s := startTmux(t, 100, 30, cmd)

	s.waitFor("start", "RUNNING", "TCPServer listening on :7123", "h halt", "GET /status 200")
	s.keys("h")
	s.waitFor("halt", "HALTED", "halt: done")
	s.keys("c")
	s.waitFor("continue", "RUNNING", "continue: done")
	s.keys("/", "joining", "Enter")
	s.waitFor("search", "match: joining")
	s.keys("2")
	s.waitFor("timeline pane", "[2 timeline]", "halt         by user")

	// A smaller terminal: the layout must follow and keep its help line.
	s.run("resize-window", "-t", "tui", "-x", "80", "-y", "24")
	scr := s.waitFor("resize", "q quit")
	for i, l := range strings.Split(strings.TrimRight(scr, "\n"), "\n") {
		if len([]rune(l)) > 80 {
			t.Errorf("line %d wider than 80 after resize: %q", i, l)
		}
	}

	if err := os.WriteFile(crashFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	s.waitFor("crash", "CRASHED", "HardFault (forced)", "UNSAVED (s saves)", "> 36 │")
	s.keys("Down")
	s.waitFor("frame selection", "── src/net/server.cpp:51")
	s.keys("q")
	s.waitFor("quit prompt", "unsaved capture: save? (y/n/esc)")
	s.keys("y")
	s.waitFor("exit", "demo: backend calls: halt,continue,save", "EXIT:0")
}
