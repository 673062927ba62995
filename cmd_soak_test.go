package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
	var hr historyReport
	if err := json.Unmarshal([]byte(r.stdout), &hr); err != nil {
		t.Fatalf("analyze DIR --json: %v\n%s", err, r.stdout)
	}
	if hr.Schema != historySchema || hr.Captures != 3 || len(hr.Groups) != 2 {
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
