package history_test

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/faultline-dev/faultline/capture"
	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/faultdecode"
	"github.com/faultline-dev/faultline/history"
	"github.com/faultline-dev/faultline/probe/probetest"
)

// TestScanGroupsByFingerprint: two captures of one bug and one of another
// give two groups, counted, with the build; temporary and broken files do
// not stop the listing.
func TestScanGroupsByFingerprint(t *testing.T) {
	divzero := probetest.Record(t, "netduino2", "divzero")
	badfn := probetest.Record(t, "netduino2", "badfnptr")
	dir := t.TempDir()
	at := time.Date(2026, 11, 26, 10, 15, 0, 0, time.UTC)
	for i, rec := range []probetest.Recorded{divzero, badfn, divzero} {
		snap := *rec.Snap // a crash caught again later: its own file
		snap.Meta.CapturedAt = at.Add(time.Duration(i) * time.Minute)
		if _, err := capture.Save(dir, &snap); err != nil {
			t.Fatal(err)
		}
	}
	// A half-written temporary file of capture.Write and a broken file.
	os.WriteFile(filepath.Join(dir, ".crash-x.core.tmp-1"), []byte("ELF"), 0o644)
	os.WriteFile(filepath.Join(dir, "broken.core"), []byte("not a core"), 0o644)

	open := func(path string, _ *capture.Snapshot) (*elfsym.Image, error) { return elfsym.Open(path) }
	hr, err := history.Scan(dir, "", open, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if hr.Schema != history.Schema || hr.Captures != 3 || len(hr.Groups) != 2 {
		t.Fatalf("history: schema %q, %d captures, %d groups; want 3 captures in 2 groups\n%+v", hr.Schema, hr.Captures, len(hr.Groups), hr)
	}
	if len(hr.Unreadable) != 1 || !strings.HasSuffix(hr.Unreadable[0].Path, "broken.core") {
		t.Errorf("unreadable = %+v, want broken.core alone", hr.Unreadable)
	}
	img, err := elfsym.Open(divzero.ELF)
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	build := faultdecode.Analyze(divzero.Snap, img).ELF.BuildID
	g := hr.Groups[0]
	if g.Count != 2 || !strings.Contains(g.Signature, "crash_divide") || !g.FirstSeen.Equal(at) || !g.LastSeen.Equal(at.Add(2*time.Minute)) {
		t.Errorf("first group %+v, want the two divzero captures", g)
	}
	if len(g.Builds) != 1 || g.Builds[0] != build || build == "" {
		t.Errorf("builds %q, want [%s]", g.Builds, build)
	}
	if hr.Groups[1].Count != 1 || !strings.Contains(hr.Groups[1].Signature, "dispatch_client") {
		t.Errorf("second group %+v, want badfnptr", hr.Groups[1])
	}
	var txt bytes.Buffer
	if err := hr.WriteText(&txt); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(txt.String(), "3 captures in") || !strings.Contains(txt.String(), g.Fingerprint+"  2 ") {
		t.Errorf("text history:\n%s", txt.String())
	}
}
