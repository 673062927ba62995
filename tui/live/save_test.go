package live

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/faultline-dev/faultline/capture"
	"github.com/faultline-dev/faultline/elfsym/indexcache"
	"github.com/faultline-dev/faultline/gdbremote/rsptest"
	"github.com/faultline-dev/faultline/probe"
	"github.com/faultline-dev/faultline/probe/probetest"
	"github.com/faultline-dev/faultline/tui"
	"github.com/faultline-dev/faultline/watch"
)

// comparable is a capture file's snapshot without what differs between two
// catches of the same crash (when, through which server port, the
// session's event times), encoded.
func comparable(t *testing.T, path string) []byte {
	t.Helper()
	snap, err := capture.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	snap.Meta.CapturedAt, snap.Meta.Target, snap.Meta.Timeline = time.Time{}, "", nil
	var b bytes.Buffer
	if err := capture.Encode(&b, snap); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestCaughtCrashIsSavedAtOnce: attach and demo save a crash to the
// capture directory the moment it is caught, with what `capture` writes
// for the same crash, and the status bar is told the path; --no-save
// writes nothing and leaves the crash view unsaved.
func TestCaughtCrashIsSavedAtOnce(t *testing.T) {
	rec := probetest.Record(t, "netduino2", "divzero")
	img, err := indexcache.Open(rec.ELF, true)
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	// What `faultline capture --once` writes for this crash.
	captureDir := t.TempDir()
	_, sess := rec.Replay(t, ctx, img, rsptest.Link{})
	if err := watch.Run(ctx, sess, watch.Options{Dir: captureDir, Image: img, Once: true, Out: io.Discard, Log: io.Discard}); err != nil {
		t.Fatal(err)
	}
	captured, _ := filepath.Glob(filepath.Join(captureDir, "*.core"))
	if len(captured) != 1 {
		t.Fatalf("capture wrote %q, want one file", captured)
	}

	for _, tc := range []struct {
		name   string
		link   rsptest.Link
		noSave bool
	}{
		{"saved at once", rsptest.Link{}, false},
		{"first look saved at once, completed in place", probetest.SWDLink, false},
		{"--no-save", rsptest.Link{}, true},
	} {
		noSave := tc.noSave
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			_, sess := rec.Replay(t, ctx, img, tc.link)
			b := &backend{sess: sess, dir: dir, autosave: !noSave}
			fctx, stop := context.WithCancel(ctx)
			updates := make(chan any, 4096)
			fed := make(chan struct{})
			go func() { defer close(fed); feed(fctx, sess, img, b, updates) }()
			defer func() { stop(); <-fed }()

			var crash *tui.Crash // the whole crash, once sent
			var status tui.Status
			firstLookSaved := ""
			for crash == nil || (!noSave && status.Saved == "") {
				select {
				case u := <-updates:
					switch u := u.(type) {
					case tui.Crash:
						if !slices.ContainsFunc(u.Report.Notes, func(n string) bool { return strings.Contains(n, probe.PendingMemoryNote) }) {
							crash = &u
						} else if u.CapturePath != "" {
							firstLookSaved = u.CapturePath
						}
					case tui.Status:
						if crash != nil {
							status = u
						}
					}
				case <-ctx.Done():
					t.Fatalf("no crash (or no status after it): crash %v, status %+v", crash != nil, status)
				}
			}
			files, _ := filepath.Glob(filepath.Join(dir, "*"))
			if noSave {
				if crash.CapturePath != "" || len(files) != 0 {
					t.Fatalf("--no-save: crash view path %q, files %q; want none", crash.CapturePath, files)
				}
				return
			}
			if len(files) != 1 || crash.CapturePath != files[0] {
				t.Fatalf("crash view path %q, files %q; want the one file", crash.CapturePath, files)
			}
			if tc.link != (rsptest.Link{}) && firstLookSaved != crash.CapturePath {
				t.Errorf("first look saved to %q, the whole crash to %q; want the first look saved, then completed in place", firstLookSaved, crash.CapturePath)
			}
			if status.Saved != crash.CapturePath {
				t.Errorf("status bar says saved %q, want %q", status.Saved, crash.CapturePath)
			}
			b.mu.Lock()
			snap := b.snap
			b.mu.Unlock()
			if want := filepath.Join(dir, capture.FileName(snap)); files[0] != want {
				t.Errorf("saved as %s, want %s (capture's name)", files[0], want)
			}
			onDisk, err := os.ReadFile(files[0])
			if err != nil {
				t.Fatal(err)
			}
			var want bytes.Buffer
			if err := capture.Encode(&want, snap); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(onDisk, want.Bytes()) {
				t.Error("the file is not the crash the TUI shows")
			}
			if !bytes.Equal(comparable(t, files[0]), comparable(t, captured[0])) {
				t.Error("the file differs from what capture writes for the same crash")
			}
		})
	}
}
