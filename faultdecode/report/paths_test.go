package report

import (
	"bytes"
	"strings"
	"testing"
)

// TestRenderersShowSourcePathsThroughSources: the culprit line above the
// excerpt and the frame list show a source path relative to the first of
// Sources.Dirs it is under, in text and Markdown; with no Dirs, or under
// none, as recorded. The excerpt is still read by the recorded name.
func TestRenderersShowSourcePathsThroughSources(t *testing.T) {
	const file = "/home/me/fw/src/main.c"
	r := &Report{Frames: []Frame{
		{PC: "0x08000100", Function: "crash", File: file, Line: 2, How: "fault-pc", Confidence: "certain"},
		{PC: "0x08000200", Function: "memcpy", File: "/opt/gcc/lib/memcpy.c", Line: 9, How: "lr", Confidence: "likely"},
	}}
	var read []string
	src := func(name string) ([]byte, error) {
		read = append(read, name)
		return []byte("int a;\nint b = 1 / 0;\nint c;\n"), nil
	}
	tests := []struct {
		name      string
		dirs      []string
		wantShown string
	}{
		{"under the working directory", []string{"/home/me/fw", "/build"}, "src/main.c:2"},
		{"under the compile directory", []string{"/elsewhere", "/home/me"}, "fw/src/main.c:2"},
		{"under none", []string{"/elsewhere"}, file + ":2"},
		{"no dirs", nil, file + ":2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			render := map[string]func(*bytes.Buffer, Sources) error{
				"text":     func(b *bytes.Buffer, s Sources) error { return r.WriteText(b, s) },
				"markdown": func(b *bytes.Buffer, s Sources) error { return r.WriteMarkdown(b, s) },
			}
			for format, write := range render {
				read = nil
				var b bytes.Buffer
				if err := write(&b, Sources{Read: src, Dirs: tc.dirs}); err != nil {
					t.Fatal(err)
				}
				out := b.String()
				// The culprit line and its frame: two mentions each.
				if n := strings.Count(out, tc.wantShown); n != 2 {
					t.Errorf("%s shows %q %d times, want 2 (culprit and frame):\n%s", format, tc.wantShown, n, out)
				}
				if tc.wantShown != file+":2" && strings.Contains(out, file) {
					t.Errorf("%s still shows %s:\n%s", format, file, out)
				}
				if !strings.Contains(out, "/opt/gcc/lib/memcpy.c:9") {
					t.Errorf("%s changed a path under no dir:\n%s", format, out)
				}
				if len(read) != 1 || read[0] != file {
					t.Errorf("%s read %q, want the recorded name %q", format, read, file)
				}
			}
		})
	}
}
