package tui_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/faultline-dev/faultline/tui"
)

func TestSourceFromDirs(t *testing.T) {
	root := t.TempDir()
	write := func(rel, content string) string {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	abs := write("here/main.cpp", "absolute")
	write("checkout/src/net/server.cpp", "relocated")
	write("checkout/util.cpp", "basename only")
	src := tui.SourceFromDirs(filepath.Join(root, "checkout"))
	tests := []struct {
		file, want, wantErr string
	}{
		{file: abs, want: "absolute"},
		{file: "/home/ci/build/src/net/server.cpp", want: "relocated"},
		{file: "/elsewhere/lib/util.cpp", want: "basename only"},
		{file: "/nowhere/missing.cpp", wantErr: "not found"},
		{file: "", wantErr: "no file name"},
	}
	for _, tc := range tests {
		data, err := src(tc.file)
		switch {
		case tc.wantErr != "":
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%q: err = %v, want %q", tc.file, err, tc.wantErr)
			}
		case err != nil:
			t.Errorf("%q: %v", tc.file, err)
		case string(data) != tc.want:
			t.Errorf("%q: got %q, want %q", tc.file, data, tc.want)
		}
	}
}
