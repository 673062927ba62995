package soak_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/faultline-dev/faultline/bench"
	"github.com/faultline-dev/faultline/capture"
	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/faultdecode"
	"github.com/faultline-dev/faultline/firmware/crashlab"
	"github.com/faultline-dev/faultline/history"
	"github.com/faultline-dev/faultline/internal/syncbuf"
	"github.com/faultline-dev/faultline/probe/probetest"
	"github.com/faultline-dev/faultline/soak"
)

// run soaks with cfg (defaults as the command's where unset) into a fresh
// capture directory and returns the summary, the log and the directory.
func run(t *testing.T, ctx context.Context, cfg soak.Config) (*soak.Summary, string, string) {
	t.Helper()
	var log syncbuf.Buffer
	cfg.Dir, cfg.Log = t.TempDir(), &log
	if cfg.Rate == 0 {
		cfg.Rate = 5
	}
	if cfg.InFlight == 0 {
		cfg.InFlight = 8
	}
	if cfg.RequestTimeout == 0 {
		cfg.RequestTimeout = 2 * time.Second
	}
	if cfg.RecoverWithin == 0 {
		cfg.RecoverWithin = 15 * time.Second
	}
	if cfg.Seed == 0 {
		cfg.Seed = 1
	}
	sum, err := soak.Run(ctx, cfg)
	if err != nil {
		t.Fatalf("soak: %v\n%s", err, log.String())
	}
	return sum, log.String(), cfg.Dir
}

// benchSoak soaks a bundled image on the emulated bench, as
// `soak --bench --variant variant` does.
func benchSoak(t *testing.T, variant string, cfg soak.Config) (*soak.Summary, string, string, *elfsym.Image) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), cfg.Duration+2*time.Minute)
	t.Cleanup(cancel)
	d, err := bench.Start(ctx, bench.Config{Variant: variant, Resume: cfg.ResumeAfterCrash})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	if err := d.WaitServing(ctx); err != nil {
		t.Fatal(err)
	}
	cfg.URL, cfg.Target = d.URL(), variant+" on the emulated bench"
	cfg.Session, cfg.Image, cfg.Bench, cfg.Link = d.Probe, d.Image(), d.Bench, d.Bench.Link()
	sum, log, dir := run(t, ctx, cfg)
	return sum, log, dir, d.Image()
}

// TestBuggyImageCrashesUnderOneFingerprint: the 0.6 firmware crashes
// again and again under load and link drops; soak captures each crash,
// resets the device and goes on, and the crashes group by fingerprint,
// as the history of the capture directory does.
func TestBuggyImageCrashesUnderOneFingerprint(t *testing.T) {
	t.Parallel()
	sum, log, dir, _ := benchSoak(t, "webserver", soak.Config{Duration: 90 * time.Second, MaxCrashes: 3, DropEvery: 3 * time.Second, Down: 700 * time.Millisecond})
	if sum.Verdict != "crashed" {
		t.Fatalf("verdict %q, want crashed\n%s", sum.Verdict, log)
	}
	if len(sum.Crashes) < 3 || sum.Counts.Crashes != int64(len(sum.Crashes)) {
		t.Fatalf("%d crashes (counted %d), want 3: the soak must go on after a crash\n%s", len(sum.Crashes), sum.Counts.Crashes, log)
	}
	// One bug, one fingerprint: the dangling clients[] entry is called
	// through from tcp_server_t::close() (now and then from
	// dispose_connection() instead, a second site of the same bug).
	top := sum.Groups[0]
	if top.Count < 2 {
		t.Errorf("no fingerprint recurs: groups %+v", sum.Groups)
	}
	for _, c := range sum.Crashes {
		if _, err := os.Stat(c.Capture); err != nil {
			t.Errorf("capture %s: %v", c.Capture, err)
		}
		if c.Fingerprint == "" || c.Trigger != "fault-handler" {
			t.Errorf("crash %+v: want a fingerprint and a fault-handler trigger", c)
		}
	}
	if sum.Counts.Reconnects == 0 || sum.Counts.Success == 0 {
		t.Errorf("counts %+v: the server should have answered again after the resets", sum.Counts)
	}
	if !strings.Contains(log, "device reset by the debugger") {
		t.Errorf("no reset between the crashes:\n%s", log)
	}
	open := func(path string, _ *capture.Snapshot) (*elfsym.Image, error) { return elfsym.Open(path) }
	hr, err := history.Scan(dir, "", open, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if len(hr.Groups) != len(sum.Groups) || hr.Groups[0].Fingerprint != top.Fingerprint || hr.Groups[0].Count != top.Count {
		t.Errorf("the directory's history %+v differs from soak's %+v", hr.Groups, sum.Groups)
	}
}

// TestFixedImageRecoversAfterEveryRestore: the fixed firmware takes link
// drops under load without a crash and answers after every restore. The
// default run is half a minute; FAULTLINE_SOAK_MINUTES=10 runs the issue's
// ten minutes.
func TestFixedImageRecoversAfterEveryRestore(t *testing.T) {
	t.Parallel()
	d := 30 * time.Second
	if m := os.Getenv("FAULTLINE_SOAK_MINUTES"); m != "" {
		var err error
		if d, err = time.ParseDuration(m + "m"); err != nil {
			t.Fatalf("FAULTLINE_SOAK_MINUTES=%q: %v", m, err)
		}
	}
	sum, log, _, _ := benchSoak(t, "webserver-fixed", soak.Config{Duration: d, DropEvery: 3 * time.Second, Down: 700 * time.Millisecond})
	if sum.Verdict != "clean" {
		t.Fatalf("verdict %q, want clean\n%s", sum.Verdict, log)
	}
	c := sum.Counts
	t.Logf("%v: %+v", d, c)
	if c.LinkDrops < int64(d/(6*time.Second)) || c.LinkRestores != c.LinkDrops {
		t.Errorf("link drops %d, restores %d: want one about every 3s, each restored", c.LinkDrops, c.LinkRestores)
	}
	// The last restore's check may be cut short by the end of the run.
	if c.Recovered < c.LinkRestores-1 || c.Recovered == 0 {
		t.Errorf("recovered after %d of %d restores", c.Recovered, c.LinkRestores)
	}
	if c.Success < c.Requests/2 || c.Crashes != 0 {
		t.Errorf("counts %+v: want mostly successes and no crash", c)
	}
}

// TestClientsFixDoesNotRecover: the 0.7 fix stops the crash but the server
// never accepts again; soak says so after the first restore and captures
// the live state, which explains as a manual capture saying why.
func TestClientsFixDoesNotRecover(t *testing.T) {
	t.Parallel()
	sum, log, _, img := benchSoak(t, "webserver-clients-fix", soak.Config{Duration: 90 * time.Second, DropEvery: 4 * time.Second, Down: time.Second, RecoverWithin: 5 * time.Second})
	if sum.Verdict != "did-not-recover" || sum.NotRecovered == nil {
		t.Fatalf("verdict %q; want did-not-recover\n%s", sum.Verdict, log)
	}
	if sum.NotRecovered.Restore != 1 || len(sum.Crashes) != 0 {
		t.Errorf("not recovered after restore #%d with %d crashes; want #1, none", sum.NotRecovered.Restore, len(sum.Crashes))
	}
	if !strings.Contains(log, "server did not recover") {
		t.Errorf("the log does not say it:\n%s", log)
	}
	if sum.NotRecovered.Capture == "" {
		t.Fatalf("no live capture: %+v", sum.NotRecovered)
	}
	snap, err := capture.Read(sum.NotRecovered.Capture)
	if err != nil {
		t.Fatal(err)
	}
	if rep := faultdecode.Analyze(snap, img); rep.Trigger.Kind != "manual" || !strings.Contains(rep.Trigger.Detail, "did not recover") {
		t.Errorf("live capture trigger %+v", rep.Trigger)
	}
}

// TestHookCommandsAndNoRecovery: a device's link switched by the user's
// commands; a server that answers 503 after the first drop did not
// recover, and the restore command ran.
func TestHookCommandsAndNoRecovery(t *testing.T) {
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
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sum, log, _ := run(t, ctx, soak.Config{URL: srv.URL + "/", Target: srv.URL, Rate: 20, Duration: 30 * time.Second,
		Link:      soak.HookLink{Down: "touch " + flag, Up: "echo restored >" + filepath.Join(dir, "restored"), Out: io.Discard},
		DropEvery: time.Second, Down: 300 * time.Millisecond, RecoverWithin: time.Second})
	if sum.Verdict != "did-not-recover" || sum.NotRecovered.Restore != 1 {
		t.Fatalf("verdict %q, %+v; want did-not-recover at restore 1\n%s", sum.Verdict, sum.NotRecovered, log)
	}
	if sum.Counts.Non200 == 0 || sum.Counts.Success == 0 || sum.Counts.LinkDrops != 1 {
		t.Errorf("counts %+v: want successes, then non-200s after one drop", sum.Counts)
	}
	if _, err := os.Stat(filepath.Join(dir, "restored")); err != nil {
		t.Errorf("restore hook did not run: %v", err)
	}
}

// TestDeviceModeCapturesAndResets: soak against a device behind a GDB
// server (here a crash-lab program in QEMU, which faults right after every
// reset) captures each crash, resets the device through the debugger and
// goes on.
func TestDeviceModeCapturesAndResets(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	elf, err := crashlab.ELF(ctx, "netduino2", "divzero")
	if err != nil {
		t.Fatal(err)
	}
	dev := probetest.QEMU(t, ctx, "netduino2", elf)
	img, err := elfsym.Open(elf)
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	sess := probetest.StartSession(t, ctx, dev, img)
	defer sess.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") }))
	defer srv.Close()
	sum, log, _ := run(t, ctx, soak.Config{URL: srv.URL + "/", Target: srv.URL, Session: sess, Image: img, Duration: 60 * time.Second, MaxCrashes: 2})
	if sum.Verdict != "crashed" || len(sum.Crashes) != 2 {
		t.Fatalf("verdict %q, %d crashes; want crashed, 2\n%s", sum.Verdict, len(sum.Crashes), log)
	}
	if len(sum.Groups) != 1 || sum.Groups[0].Count != 2 || !strings.Contains(sum.Groups[0].Signature, "crash_divide < run_test < main") {
		t.Errorf("groups %+v, want one: divzero twice", sum.Groups)
	}
	if !strings.Contains(log, "device reset by the debugger") {
		t.Errorf("no reset between the crashes:\n%s", log)
	}
}
