package srcdir

import (
	"os"
	"path/filepath"
	"testing"
)

func TestFindPrefersTheCallersDirectory(t *testing.T) {
	dir, err := Find("firmware/internal/srcdir", "srcdir.go")
	if err != nil {
		t.Fatal(err)
	}
	wd, _ := os.Getwd()
	if dir != wd {
		t.Errorf("Find = %s, want this package's directory %s", dir, wd)
	}
}

func TestFindWalksUpFromTheWorkingDirectory(t *testing.T) {
	root := t.TempDir()
	want := filepath.Join(root, "firmware", "lab")
	deep := filepath.Join(root, "a", "b")
	for _, d := range []string{want, deep} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(want, "lab.marker"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(deep)
	got, err := Find("firmware/lab", "lab.marker")
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("Find = %s, want %s", got, want)
	}
}

func TestFindFailsWhenNoDirectoryHasTheMarkers(t *testing.T) {
	t.Chdir(t.TempDir())
	if dir, err := Find("firmware/nowhere", "no-such-marker"); err == nil {
		t.Errorf("Find = %s, want an error", dir)
	}
}
