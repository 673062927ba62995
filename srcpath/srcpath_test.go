package srcpath

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRelShowsPathsUnderTheFirstDirTheyAreUnder(t *testing.T) {
	tests := []struct {
		file string
		dirs []string
		want string
	}{
		{"/w/fw/src/a.cpp", []string{"/w/fw"}, "src/a.cpp"},
		{"/w/fw/src/a.cpp", []string{"/home/me", "/w/fw"}, "src/a.cpp"}, // the compile dir when not under the working dir
		{"/w/fw/src/a.cpp", []string{"/w", "/w/fw"}, "fw/src/a.cpp"},    // the working dir first
		{"/usr/lib/gcc/x.h", []string{"/w/fw"}, "/usr/lib/gcc/x.h"},     // under none: as recorded
		{"/w/fw2/a.cpp", []string{"/w/fw"}, "/w/fw2/a.cpp"},             // a sibling with the same prefix
		{"src/a.cpp", []string{"/w/fw"}, "src/a.cpp"},                   // relative already
		{"/w/fw/a.cpp", []string{"", "./build", "/w/fw"}, "a.cpp"},      // unusable dirs skipped
		{"/w/fw/..x/a.cpp", []string{"/w/fw"}, "..x/a.cpp"},             // a directory named ..x is under
		{"/w/fw/a.cpp", nil, "/w/fw/a.cpp"},                             // no dirs: as recorded
	}
	for _, tc := range tests {
		if got := Rel(tc.file, tc.dirs...); got != tc.want {
			t.Errorf("Rel(%q, %q) = %q, want %q", tc.file, tc.dirs, got, tc.want)
		}
	}
}

func TestDirsTriesTheWorkingDirectoryBeforeTheCompileDirs(t *testing.T) {
	cwd := t.TempDir()
	t.Chdir(cwd)
	got := Dirs("/build/fw", "/build/lib")
	want := []string{cwd, "/build/fw", "/build/lib"}
	if len(got) != len(want) {
		t.Fatalf("Dirs = %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("Dirs = %q, want %q", got, want)
		}
	}
	if rel := Rel(filepath.Join(cwd, "src", "main.c"), got...); rel != filepath.Join("src", "main.c") {
		t.Errorf("a file under the working directory shows as %q, want src/main.c", rel)
	}
}

// TestRelAnswersAsFilepathRel: Rel's fast way for clean paths gives what
// filepath.Rel gives, on paths made of a few elements that share
// prefixes, with dots, doubled and trailing slashes, and the root.
func TestRelAnswersAsFilepathRel(t *testing.T) {
	elems := []string{"w", "fw", "fw2", "src", "a.c", ".", "..", ".git", "..x", "", "w.c"}
	rng := rand.New(rand.NewPCG(14, 2))
	path := func() string {
		n := 1 + rng.IntN(5)
		p := ""
		for range n {
			p += "/" + elems[rng.IntN(len(elems))]
		}
		if rng.IntN(8) == 0 {
			p += "/"
		}
		return p
	}
	// What Rel did before the fast way, for comparison.
	slow := func(file string, dirs ...string) string {
		if !filepath.IsAbs(file) {
			return file
		}
		for _, d := range dirs {
			if d == "" || !filepath.IsAbs(d) {
				continue
			}
			if rel, err := filepath.Rel(d, file); err == nil && rel != ".." && !strings.HasPrefix(rel, "../") {
				return rel
			}
		}
		return file
	}
	cases := [][2]string{{"/", "/w/a.c"}, {"/w", "/w"}, {"/w/", "/w/a.c"}, {"/w", "/w/"}, {"/w/fw", "/w/fw2/a.c"}, {"/w/fw", "/w/fw/../a.c"}, {"/w/./fw", "/w/fw/a.c"}}
	for range 20000 {
		cases = append(cases, [2]string{path(), path()})
	}
	for _, c := range cases {
		d, file := c[0], c[1]
		if got, want := Rel(file, d), slow(file, d); got != want {
			t.Errorf("Rel(%q, %q) = %q, filepath.Rel's way %q", file, d, got, want)
		}
	}
}

// TestWindowsPathsShowUnderTheirCompileDir: Keil and IAR record paths like
// C:\Users\me\lab4\Sources\main.c; under a compile directory they show
// as the rest (gdb shows such a unit as Sources\main.c), compared as
// Windows compares them (either separator, any case).
func TestWindowsPathsShowUnderTheirCompileDir(t *testing.T) {
	tests := []struct {
		file string
		dirs []string
		want string
	}{
		{`C:\Users\me\lab4\Sources\main.c`, []string{"/home/me", `C:\Users\me\lab4`}, `Sources\main.c`},
		{`C:\Users\me\lab4\Sources\main.c`, []string{`c:/users/ME/lab4/`}, `Sources\main.c`},
		{`D:\proj\MDK-ARM\../Drivers/Src\hal.c`, []string{`D:\proj\MDK-ARM`}, `../Drivers/Src\hal.c`},
		{`C:\Keil_v5\ARM\PACK\RTX_CM_lib.h`, []string{`C:\Users\me\lab4`}, `C:\Keil_v5\ARM\PACK\RTX_CM_lib.h`},
		{`C:\Users\me\lab4x\main.c`, []string{`C:\Users\me\lab4`}, `C:\Users\me\lab4x\main.c`}, // not under it
		{`\\server\share\proj\a.c`, []string{`\\server\share\proj`}, `a.c`},
		{`Sources\main.c`, []string{`C:\Users\me\lab4`}, `Sources\main.c`}, // relative: as recorded
	}
	for _, tc := range tests {
		if got := Rel(tc.file, tc.dirs...); got != tc.want {
			t.Errorf("Rel(%q, %q) = %q, want %q", tc.file, tc.dirs, got, tc.want)
		}
	}
}

// TestReadFileFindsAWindowsPathInACheckout: a source a Windows build
// recorded is read from the working directory by its path under the
// compile directory, and nothing outside the working directory is.
func TestReadFileFindsAWindowsPathInACheckout(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "Sources"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "Sources", "main.c"), []byte("int main;\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	got, err := ReadFile(`C:\Users\me\lab4\Sources\main.c`, `C:\Users\me\lab4`)
	if err != nil || string(got) != "int main;\n" {
		t.Errorf("ReadFile = %q, %v; want ./Sources/main.c", got, err)
	}
	for _, f := range []string{
		`C:\Users\me\other\Sources\main.c`,     // under no compile dir
		`C:\Users\me\lab4\..\x\Sources\main.c`, // climbs out of the working directory
	} {
		if _, err := ReadFile(f, `C:\Users\me\lab4`); err == nil {
			t.Errorf("ReadFile(%q) found a file; want an error", f)
		}
	}
}

// A summary names a frame's file by its base name, whichever system built
// the firmware: "at main.c:12", never "at C:\Users\me\lab4\main.c:12".
func TestBaseNamesTheFileOfAnyBuildsPath(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"/work/fw/src/main.c", "main.c"},
		{"main.c", "main.c"},
		{"src/net/socket_hal.cpp", "socket_hal.cpp"},
		{`C:\Users\me\lab4\Sources\main.c`, "main.c"},
		{`Sources\main.c`, "main.c"},
		{`D:\proj\MDK-ARM\../Drivers/x.c`, "x.c"},
		{`..\Core/Src/stm32f4xx_it.c`, "stm32f4xx_it.c"},
		{`\\server\share\fw\app.c`, "app.c"},
		{"", ""},
	} {
		if got := Base(tc.in); got != tc.want {
			t.Errorf("Base(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
