package watch

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/faultline-dev/faultline/elfsym/indexcache"
	"github.com/faultline-dev/faultline/faultdecode/report"
	"github.com/faultline-dev/faultline/firmware/crashlab"
	"github.com/faultline-dev/faultline/probe/probetest"
)

// TestReportsShowSourcePathsRelative: the text report (capture, watch,
// analyze) and the Markdown one (analyze --markdown) of a real crash show
// its source paths relative to the working directory, else to the ELF's
// compile directory, never the absolute path of the machine they were
// made on; the JSON keeps frames[].file as DWARF records it. Not parallel:
// it changes the working directory.
func TestReportsShowSourcePathsRelative(t *testing.T) {
	rec := probetest.Record(t, "netduino2", "divzero")
	img, err := indexcache.Open(rec.ELF, true)
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	labDir, err := crashlab.Dir()
	if err != nil {
		t.Fatal(err)
	}
	rep := Explain(rec.Snap, img, &bytes.Buffer{})
	src := filepath.Join(labDir, "programs", "divzero.c")
	if len(rep.Frames) == 0 || rep.Frames[0].File != src {
		t.Fatalf("want the innermost frame in %s as DWARF records it, got %+v", src, rep.Frames)
	}
	tests := []struct {
		name, cwd string
		want      string // the culprit as shown
	}{
		{"under the working directory", filepath.Dir(filepath.Dir(labDir)), "firmware/crashlab/programs/divzero.c:"},
		{"under the compile directory only", t.TempDir(), "programs/divzero.c:"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Chdir(tc.cwd)
			var text, md, js bytes.Buffer
			if err := PrintReport(&text, rep, img, false); err != nil {
				t.Fatal(err)
			}
			if err := rep.WriteMarkdown(&md, LocalSources(img)); err != nil {
				t.Fatal(err)
			}
			for name, out := range map[string]string{"text": text.String(), "markdown": md.String()} {
				for line := range strings.Lines(out) {
					// The ELF line names the file it was given, not a source.
					if strings.Contains(line, labDir) && !strings.HasPrefix(line, "ELF: ") {
						t.Errorf("%s report shows a source's absolute path: %q", name, line)
					}
				}
				if !strings.Contains(out, tc.want) {
					t.Errorf("%s report does not show the source as %s:\n%s", name, tc.want, out)
				}
				if !strings.Contains(out, "return total / parts;") {
					t.Errorf("%s report lost the source excerpt:\n%s", name, out)
				}
			}
			if err := PrintReport(&js, rep, img, true); err != nil {
				t.Fatal(err)
			}
			var back report.Report
			if err := json.Unmarshal(js.Bytes(), &back); err != nil {
				t.Fatal(err)
			}
			if back.Frames[0].File != src {
				t.Errorf("JSON frames[0].file = %q, want %q as recorded", back.Frames[0].File, src)
			}
		})
	}
}
