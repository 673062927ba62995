package main

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/faultline-dev/faultline/history"
)

// TestAnalyzeDirPrintsTheHistory: `analyze DIR` is the history of a
// capture directory (history.Scan, tested with real captures there), as
// JSON or text; a broken file is listed, not fatal.
func TestAnalyzeDirPrintsTheHistory(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "broken.core"), []byte("not a core"), 0o644)
	r := runFaultline(t, context.Background(), dir, "", "analyze", dir, "--json")
	var hr history.Summary
	if err := json.Unmarshal([]byte(r.stdout), &hr); err != nil || r.code != 0 {
		t.Fatalf("analyze DIR --json (exit %d): %v\n%s%s", r.code, err, r.stdout, r.stderr)
	}
	if hr.Schema != history.Schema || hr.Captures != 0 || len(hr.Unreadable) != 1 {
		t.Errorf("history %+v, want no capture and broken.core unreadable", hr)
	}
	txt := runFaultline(t, context.Background(), dir, "", "analyze", dir)
	if txt.code != 0 || !strings.Contains(txt.stdout, "no capture files in") {
		t.Errorf("text history (exit %d):\n%s\n%s", txt.code, txt.stdout, txt.stderr)
	}
}

// TestSoakInterruptLeavesNothingBehind: Ctrl-C (SIGINT) ends a soak with
// its summary, no QEMU left running and no temporary files.
func TestSoakInterruptLeavesNothingBehind(t *testing.T) {
	t.Parallel()
	dir, tmp := t.TempDir(), t.TempDir()
	cmd := exec.Command(faultlineBin, "soak", "--bench", "--variant", "webserver-fixed", "--duration", "5m",
		"--drop-every", "2s", "--down-for", "500ms", "--dir", "crashes")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	var so strings.Builder
	cmd.Stdout = &so
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	var errLog strings.Builder
	soaking := make(chan struct{})
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		sc := bufio.NewScanner(stderr)
		once := false
		for sc.Scan() {
			errLog.WriteString(sc.Text() + "\n")
			if !once && strings.HasPrefix(sc.Text(), "faultline: soaking") {
				once = true
				close(soaking)
			}
		}
	}()
	select {
	case <-soaking:
	case <-time.After(2 * time.Minute):
		t.Fatalf("soak did not start")
	}
	time.Sleep(3 * time.Second) // into the first link drop
	kids := childPIDs(cmd.Process.Pid)
	if len(kids) == 0 {
		t.Fatal("no child process (QEMU) found under soak")
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { <-copied; done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("soak after SIGINT: %v\n%s", err, errLog.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("soak did not end within 30s of SIGINT")
	}
	if !strings.Contains(so.String(), "(interrupted)") || !strings.Contains(so.String(), "verdict:") {
		t.Errorf("no summary after SIGINT:\n%s", so.String())
	}
	for _, pid := range kids {
		if alive(pid) {
			t.Errorf("child %d still running after soak ended", pid)
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	for _, d := range []string{tmp, filepath.Join(dir, "crashes")} {
		ents, _ := os.ReadDir(d)
		for _, e := range ents {
			if d == tmp || strings.HasPrefix(e.Name(), ".") {
				t.Errorf("left behind: %s", filepath.Join(d, e.Name()))
			}
		}
	}
}

// childPIDs lists the processes whose parent is pid (Linux /proc).
func childPIDs(pid int) []int {
	var out []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		n, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces, so split after ')'.
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) > 1 && f[1] == strconv.Itoa(pid) {
			out = append(out, n)
		}
	}
	return out
}

// alive reports whether pid exists and is not a zombie.
func alive(pid int) bool {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && !strings.HasPrefix(strings.TrimSpace(s[i+1:]), "Z")
}

func TestSoakUsageErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
	}{
		{"no target", []string{"soak"}},
		{"flap without restore", []string{"soak", "--url", "http://127.0.0.1:1/", "--flap-cmd", "true"}},
		{"bench and gdb", []string{"soak", "--bench", "--gdb", "127.0.0.1:1"}},
		{"zero rate", []string{"soak", "--url", "http://127.0.0.1:1/", "--rate", "0"}},
		{"drop shorter than down", []string{"soak", "--bench", "--drop-every", "1s", "--down-for", "2s"}},
		{"bad after-crash", []string{"soak", "--bench", "--after-crash", "pray"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := runFaultline(t, context.Background(), t.TempDir(), "", tc.args...)
			if r.code != exitUsage || r.stderr == "" {
				t.Fatalf("exit %d, want %d with a message; stderr: %s", r.code, exitUsage, r.stderr)
			}
		})
	}
}
