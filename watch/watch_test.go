package watch

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/faultline-dev/faultline/elfsym/indexcache"
	"github.com/faultline-dev/faultline/firmware/crashlab"
	"github.com/faultline-dev/faultline/gdbremote/rsptest"
	"github.com/faultline-dev/faultline/probe"
	"github.com/faultline-dev/faultline/probe/probetest"
)

// TestEachCrashIsSavedUnlessNoSave: a caught crash is saved to Dir under
// capture's name and its report printed; with NoSave (demo --no-save) the
// report is printed and nothing is written.
func TestEachCrashIsSavedUnlessNoSave(t *testing.T) {
	rec := probetest.Record(t, "netduino2", "divzero")
	img, err := indexcache.Open(rec.ELF, true)
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	for _, noSave := range []bool{false, true} {
		t.Run(map[bool]string{false: "saved", true: "no-save"}[noSave], func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			_, sess := rec.Replay(t, ctx, img, rsptest.Link{})
			defer sess.Close()
			dir := t.TempDir()
			var out, log bytes.Buffer
			if err := Run(ctx, sess, Options{Dir: dir, NoSave: noSave, Image: img, Once: true, Out: &out, Log: &log}); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out.String(), "UsageFault") {
				t.Errorf("no report of the divide by zero:\n%s", out.String())
			}
			files, _ := filepath.Glob(filepath.Join(dir, "*"))
			saidSaved := strings.Contains(log.String(), "capture saved to")
			if noSave {
				if len(files) != 0 || saidSaved {
					t.Errorf("NoSave wrote %q (log: %s)", files, log.String())
				}
				return
			}
			if len(files) != 1 || !strings.HasPrefix(filepath.Base(files[0]), "crash-") || savedPath(t, log.String()) != files[0] {
				t.Errorf("files %q, log:\n%s", files, log.String())
			}
		})
	}
}

// TestWithoutOnceKeepsWatching: without Once each crash is saved, the
// firmware's handler runs (the session resumes it), the watch goes on, and
// the Timeout after a crash is a clean stop.
func TestWithoutOnceKeepsWatching(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	elf, err := crashlab.ELF(ctx, "netduino2", "divzero")
	if err != nil {
		t.Fatal(err)
	}
	dev := probetest.QEMU(t, ctx, "netduino2", elf)
	img, err := indexcache.Open(elf, true)
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	sess := probetest.StartSession(t, ctx, dev, img, func(o *probe.SessionOptions) {
		o.Resume = true // as capture without --once
	})
	defer sess.Close()
	dir := t.TempDir()
	var out, log bytes.Buffer
	start := time.Now()
	if err := Run(ctx, sess, Options{Dir: dir, Image: img, Timeout: 5 * time.Second, Out: &out, Log: &log}); err != nil {
		t.Fatalf("Run: %v, want a clean stop after a crash\n%s", err, log.String())
	}
	if took := time.Since(start); took < 5*time.Second {
		t.Errorf("Run returned after %v, before its timeout: it stopped watching at the crash", took)
	}
	if files, _ := filepath.Glob(filepath.Join(dir, "*.core")); len(files) != 1 {
		t.Errorf("capture files %q, want 1", files)
	}
	if !strings.Contains(out.String(), "UsageFault") {
		t.Errorf("text report lacks the exception:\n%s", out.String())
	}
}
