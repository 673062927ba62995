package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/faultline-dev/faultline/faultdecode/report"
	"github.com/faultline-dev/faultline/history"
	"github.com/faultline-dev/faultline/soak"
)

// TestAnalyzeDirGroupsByFingerprint: two runs of one bug and one of
// another give two groups, counted, with the build; temporary and broken
// files do not stop the listing.
func TestAnalyzeDirGroupsByFingerprint(t *testing.T) {
	ctx := context.Background()
	progs := []string{"divzero", "badfnptr", "divzero"}
	caps := make([]labCapture, len(progs))
	dir := t.TempDir()
	t.Run("capture", func(t *testing.T) {
		for i, p := range progs {
			t.Run(p, func(t *testing.T) {
				t.Parallel()
				c := captureLab(t, ctx, "netduino2", p)
				// The subtest's temporary directory goes with it.
				b, err := os.ReadFile(c.core)
				if err != nil {
					t.Fatal(err)
				}
				name := strings.TrimSuffix(filepath.Base(c.core), ".core") + "-" + string(rune('a'+i)) + ".core"
				if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
					t.Fatal(err)
				}
				caps[i] = c
			})
		}
	})
	if t.Failed() {
		t.FailNow()
	}
	// A half-written temporary file of capture.Write and a broken file.
	os.WriteFile(filepath.Join(dir, ".crash-x.core.tmp-1"), []byte("ELF"), 0o644)
	os.WriteFile(filepath.Join(dir, "broken.core"), []byte("not a core"), 0o644)

	r := runFaultline(t, ctx, dir, "", "analyze", dir, "--json")
	if r.code != 0 {
		t.Fatalf("analyze DIR exit %d: %s", r.code, r.stderr)
	}
	var hr history.Summary
	if err := json.Unmarshal([]byte(r.stdout), &hr); err != nil {
		t.Fatalf("analyze DIR --json: %v\n%s", err, r.stdout)
	}
	if hr.Schema != history.Schema || hr.Captures != 3 || len(hr.Groups) != 2 {
		t.Fatalf("history: schema %q, %d captures, %d groups; want 3 captures in 2 groups\n%s", hr.Schema, hr.Captures, len(hr.Groups), r.stdout)
	}
	if len(hr.Unreadable) != 1 || !strings.HasSuffix(hr.Unreadable[0].Path, "broken.core") {
		t.Errorf("unreadable = %+v, want broken.core alone", hr.Unreadable)
	}
	g := hr.Groups[0]
	if g.Count != 2 || !strings.Contains(g.Signature, "crash_divide") || g.FirstSeen.After(g.LastSeen) {
		t.Errorf("first group %+v, want the two divzero runs", g)
	}
	if len(g.Builds) != 1 || g.Builds[0] != caps[0].rep.ELF.BuildID || g.Builds[0] == "" {
		t.Errorf("builds %q, want [%s]", g.Builds, caps[0].rep.ELF.BuildID)
	}
	if hr.Groups[1].Count != 1 || !strings.Contains(hr.Groups[1].Signature, "dispatch_client") {
		t.Errorf("second group %+v, want badfnptr", hr.Groups[1])
	}

	txt := runFaultline(t, ctx, dir, "", "analyze", dir)
	if txt.code != 0 || !strings.Contains(txt.stdout, "3 captures in") || !strings.Contains(txt.stdout, g.Fingerprint+"  2 ") {
		t.Errorf("text history (exit %d):\n%s\n%s", txt.code, txt.stdout, txt.stderr)
	}
}

// soakJSON runs `soak --json` with args in a fresh directory and decodes
// its summary.
func soakJSON(t *testing.T, ctx context.Context, args ...string) (soak.Summary, result, string) {
	t.Helper()
	dir := t.TempDir()
	r := runFaultline(t, ctx, dir, "", append([]string{"soak", "--json", "--dir", filepath.Join(dir, "crashes")}, args...)...)
	var sum soak.Summary
	if err := json.Unmarshal([]byte(r.stdout), &sum); err != nil {
		t.Fatalf("soak --json (exit %d): %v\nstdout:\n%s\nstderr:\n%s", r.code, err, r.stdout, r.stderr)
	}
	return sum, r, dir
}

// TestSoakBuggyImageCrashesUnderOneFingerprint: the 0.6 firmware crashes
// again and again under load and link drops; soak captures each crash,
// resets the device and goes on, and the crashes group by fingerprint;
// analyze DIR agrees.
func TestSoakBuggyImageCrashesUnderOneFingerprint(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sum, r, dir := soakJSON(t, ctx, "--bench", "--variant", "webserver", "--duration", "90s", "--max-crashes", "3",
		"--drop-every", "3s", "--down-for", "700ms")
	if r.code != exitError || sum.Verdict != "crashed" {
		t.Fatalf("exit %d, verdict %q; want 1, crashed\nstderr:\n%s", r.code, sum.Verdict, r.stderr)
	}
	if len(sum.Crashes) < 3 || sum.Counts.Crashes != int64(len(sum.Crashes)) {
		t.Fatalf("%d crashes (counted %d), want 3: the soak must go on after a crash\n%s", len(sum.Crashes), sum.Counts.Crashes, r.stderr)
	}
	// One bug, one fingerprint: the dangling clients[] entry is called
	// through from tcp_server_t::close() (now and then from
	// dispose_connection() instead, a second site of the same bug).
	top := sum.Groups[0]
	if top.Count < 2 {
		t.Errorf("no fingerprint recurs: groups %+v", sum.Groups)
	}
	for _, c := range sum.Crashes {
		if _, err := os.Stat(filepath.Join(dir, c.Capture)); err != nil && !filepath.IsAbs(c.Capture) {
			t.Errorf("capture %s: %v", c.Capture, err)
		}
		if c.Fingerprint == "" || c.Trigger != "fault-handler" {
			t.Errorf("crash %+v: want a fingerprint and a fault-handler trigger", c)
		}
	}
	if sum.Counts.Reconnects == 0 || sum.Counts.Success == 0 {
		t.Errorf("counts %+v: the server should have answered again after the resets", sum.Counts)
	}
	a := runFaultline(t, ctx, dir, "", "analyze", "crashes", "--json")
	var hr history.Summary
	if err := json.Unmarshal([]byte(a.stdout), &hr); err != nil || a.code != 0 {
		t.Fatalf("analyze DIR (exit %d): %v\n%s", a.code, err, a.stderr)
	}
	if len(hr.Groups) != len(sum.Groups) || hr.Groups[0].Fingerprint != top.Fingerprint || hr.Groups[0].Count != top.Count {
		t.Errorf("analyze DIR groups %+v differ from soak's %+v", hr.Groups, sum.Groups)
	}
}

// TestSoakFixedImageRecoversAfterEveryRestore: the fixed firmware takes
// link drops under load without a crash and answers after every restore.
// The default run is about a minute; FAULTLINE_SOAK_MINUTES=10 runs the
// issue's ten minutes.
func TestSoakFixedImageRecoversAfterEveryRestore(t *testing.T) {
	t.Parallel()
	dur := "60s"
	if m := os.Getenv("FAULTLINE_SOAK_MINUTES"); m != "" {
		dur = m + "m"
	}
	d, err := time.ParseDuration(dur)
	if err != nil {
		t.Fatalf("FAULTLINE_SOAK_MINUTES=%q: %v", os.Getenv("FAULTLINE_SOAK_MINUTES"), err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), d+2*time.Minute)
	defer cancel()
	sum, r, _ := soakJSONLong(t, ctx, d+time.Minute, "--bench", "--variant", "webserver-fixed", "--duration", dur,
		"--drop-every", "5s", "--down-for", "1s")
	if r.code != 0 || sum.Verdict != "clean" {
		t.Fatalf("exit %d, verdict %q; want 0, clean\nstdout:\n%s\nstderr:\n%s", r.code, sum.Verdict, r.stdout, r.stderr)
	}
	c := sum.Counts
	t.Logf("%s: %+v", dur, c)
	if c.LinkDrops < int64(d/(10*time.Second)) || c.LinkRestores != c.LinkDrops {
		t.Errorf("link drops %d, restores %d: want one about every 5s, each restored", c.LinkDrops, c.LinkRestores)
	}
	// The last restore's check may be cut short by the end of the run.
	if c.Recovered < c.LinkRestores-1 || c.Recovered == 0 {
		t.Errorf("recovered after %d of %d restores", c.Recovered, c.LinkRestores)
	}
	if c.Success < c.Requests/2 || c.Crashes != 0 {
		t.Errorf("counts %+v: want mostly successes and no crash", c)
	}
}

// soakJSONLong is soakJSON with a run longer than runFaultline's limit.
func soakJSONLong(t *testing.T, ctx context.Context, limit time.Duration, args ...string) (soak.Summary, result, string) {
	t.Helper()
	if limit <= 3*time.Minute {
		return soakJSON(t, ctx, args...)
	}
	dir := t.TempDir()
	cctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	cmd := exec.CommandContext(cctx, faultlineBin, append([]string{"soak", "--json", "--dir", filepath.Join(dir, "crashes")}, args...)...)
	cmd.Dir = dir
	var so, se strings.Builder
	cmd.Stdout, cmd.Stderr = &so, &se
	err := cmd.Run()
	r := result{stdout: so.String(), stderr: se.String()}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	var sum soak.Summary
	if err := json.Unmarshal([]byte(r.stdout), &sum); err != nil {
		t.Fatalf("soak --json (exit %d): %v\n%s\n%s", r.code, err, r.stdout, r.stderr)
	}
	return sum, r, dir
}

// TestSoakClientsFixDoesNotRecover: the 0.7 fix stops the crash but the
// server never accepts again; soak says so after the first restore and
// captures the live state.
func TestSoakClientsFixDoesNotRecover(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sum, r, dir := soakJSON(t, ctx, "--bench", "--variant", "webserver-clients-fix", "--duration", "90s",
		"--drop-every", "4s", "--down-for", "1s", "--recover-within", "5s")
	if r.code != exitError || sum.Verdict != "did-not-recover" || sum.NotRecovered == nil {
		t.Fatalf("exit %d, verdict %q; want 1, did-not-recover\nstderr:\n%s", r.code, sum.Verdict, r.stderr)
	}
	if sum.NotRecovered.Restore != 1 || len(sum.Crashes) != 0 {
		t.Errorf("not recovered after restore #%d with %d crashes; want #1, none", sum.NotRecovered.Restore, len(sum.Crashes))
	}
	if !strings.Contains(r.stderr, "server did not recover") {
		t.Errorf("stderr does not say it:\n%s", r.stderr)
	}
	if sum.NotRecovered.Capture == "" {
		t.Fatalf("no live capture: %+v", sum.NotRecovered)
	}
	a := runFaultline(t, ctx, dir, "", "analyze", sum.NotRecovered.Capture, "--json")
	var rep report.Report
	if err := json.Unmarshal([]byte(a.stdout), &rep); err != nil || a.code != 0 {
		t.Fatalf("analyze the live capture (exit %d): %v\n%s", a.code, err, a.stderr)
	}
	if rep.Trigger.Kind != "manual" || !strings.Contains(rep.Trigger.Detail, "did not recover") {
		t.Errorf("live capture trigger %+v", rep.Trigger)
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

// TestSoakHookCommandsAndNoRecovery drives soak against a plain HTTP
// server with --flap-cmd/--restore-cmd hooks: the restore hook "forgets"
// to bring the server back, which must be reported as no recovery; the
// hooks really ran.
func TestSoakHookCommandsAndNoRecovery(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	flag := filepath.Join(dir, "down")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := os.Stat(flag); err == nil {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "hello")
	}))
	defer srv.Close()
	sum, r, _ := soakJSON(t, context.Background(), "--url", srv.URL+"/", "--rate", "20", "--duration", "30s",
		"--flap-cmd", "touch "+flag, "--restore-cmd", "echo restored >"+filepath.Join(dir, "restored"),
		"--drop-every", "1s", "--down-for", "300ms", "--recover-within", "1s")
	if r.code != exitError || sum.Verdict != "did-not-recover" || sum.NotRecovered.Restore != 1 {
		t.Fatalf("exit %d, verdict %q, %+v; want did-not-recover at restore 1\n%s", r.code, sum.Verdict, sum.NotRecovered, r.stderr)
	}
	if sum.Counts.Non200 == 0 || sum.Counts.Success == 0 || sum.Counts.LinkDrops != 1 {
		t.Errorf("counts %+v: want successes, then non-200s after one drop", sum.Counts)
	}
	if _, err := os.Stat(filepath.Join(dir, "restored")); err != nil {
		t.Errorf("restore hook did not run: %v", err)
	}
}

// TestSoakDeviceModeCapturesAndResets: soak against a device behind a GDB
// server (here a crash-lab program in QEMU, which faults right after every
// reset) captures each crash, resets the device through the debugger and
// goes on.
func TestSoakDeviceModeCapturesAndResets(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	elf, q := bootLab(t, ctx, "netduino2", "divzero")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") }))
	defer srv.Close()
	sum, r, _ := soakJSON(t, ctx, "--url", srv.URL+"/", "--gdb", q.GDBAddr, "--elf", elf, "--board", "netduino2",
		"--duration", "60s", "--max-crashes", "2")
	if r.code != exitError || sum.Verdict != "crashed" || len(sum.Crashes) != 2 {
		t.Fatalf("exit %d, verdict %q, %d crashes; want 1, crashed, 2\n%s", r.code, sum.Verdict, len(sum.Crashes), r.stderr)
	}
	if len(sum.Groups) != 1 || sum.Groups[0].Count != 2 || !strings.Contains(sum.Groups[0].Signature, "crash_divide < run_test < main") {
		t.Errorf("groups %+v, want one: divzero twice", sum.Groups)
	}
	if !strings.Contains(r.stderr, "device reset by the debugger") {
		t.Errorf("no reset between the crashes:\n%s", r.stderr)
	}
}
