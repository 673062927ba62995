package elfsym_test

import (
	"bytes"
	"context"
	"errors"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/elfsym/elfsymtest"
)

// stripDebug returns a copy of elf with --strip-debug applied.
func stripDebug(t testing.TB, elf string) string {
	t.Helper()
	tool, err := exec.LookPath("arm-none-eabi-strip")
	if err != nil {
		t.Fatal("arm-none-eabi-strip not found: run scripts/setup.sh")
	}
	out := filepath.Join(t.TempDir(), "stripped.elf")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if b, err := exec.CommandContext(ctx, tool, "--strip-debug", "-o", out, elf).CombinedOutput(); err != nil {
		t.Fatalf("strip: %v\n%s", err, b)
	}
	return out
}

func writeTemp(t testing.TB, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// exercise calls every lookup on an image built from damaged input; it must
// not panic whatever the index holds.
func exercise(im *elfsym.Image) {
	for _, s := range im.Sections() {
		for a := s.Addr; a < s.Addr+s.Size && a < s.Addr+64; a += 2 {
			im.Frames(a)
			im.SymbolAt(a)
			im.FrameContext(a)
			im.ReadMemory(make([]byte, 8), a)
			im.IsCode(a)
		}
	}
	for _, s := range im.Symbols() {
		im.Frames(s.Addr)
		im.FrameContext(s.Addr + 2)
	}
	im.Frames(0)
	im.Frames(^uint64(0))
}

func TestOpenBadInput(t *testing.T) {
	ctx := context.Background()
	sample, err := elfsymtest.Sample(ctx)
	if err != nil {
		t.Fatal(err)
	}
	x86, err := elfsymtest.X86(ctx)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(sample)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		path    string
		wantErr string // substring; "" means it must open
		check   func(t *testing.T, im *elfsym.Image)
	}{
		{name: "missing file", path: filepath.Join(t.TempDir(), "nope.elf"), wantErr: "no such file"},
		{name: "directory", path: t.TempDir(), wantErr: "is a directory"},
		{name: "x86 ELF", path: x86, wantErr: "not an ARM ELF (machine EM_X86_64)"},
		{name: "text file", path: writeTemp(t, "notes.txt", []byte(strings.Repeat("not an elf\n", 20))), wantErr: "not a readable ELF file"},
		{name: "empty file", path: writeTemp(t, "empty.elf", nil), wantErr: "too short for an ELF header"},
		{name: "header only", path: writeTemp(t, "head.elf", data[:64]), wantErr: "truncated: section headers end at"},
		{name: "stripped of debug info", path: stripDebug(t, sample), check: func(t *testing.T, im *elfsym.Image) {
			if w := strings.Join(im.Warnings(), "\n"); !strings.Contains(w, "no DWARF") || !strings.Contains(w, "no .debug_frame") {
				t.Errorf("Warnings = %q, want no DWARF and no .debug_frame", w)
			}
			s, ok := im.LookupSymbol("net::Server::poll_clients()")
			if !ok {
				t.Fatal("symbol table lost")
			}
			fs := im.Frames(s.Addr + 4)
			if len(fs) != 1 || fs[0].Function != "net::Server::poll_clients()" || fs[0].File != "" || fs[0].Line != 0 || fs[0].Entry != s.Addr {
				t.Errorf("Frames = %+v, want one symbol-table frame without file:line", fs)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			im, err := elfsym.Open(tc.path)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Open error = %v, want it to contain %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), "\n") {
					t.Errorf("error spans lines: %q", err)
				}
				var fe *elfsym.FormatError
				if isFormat := errors.As(err, &fe); isFormat != (tc.name != "missing file" && tc.name != "directory") {
					t.Errorf("errors.As(%v, *FormatError) = %v: damaged or foreign files must be FormatErrors, I/O errors not", err, isFormat)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer im.Close()
			tc.check(t, im)
		})
	}
}

// TestOpenTruncatedAndCorrupted cuts and scrambles a real ELF: each result
// is a one-line error or an image that answers (with warnings when it lost
// something), never a panic.
func TestOpenTruncatedAndCorrupted(t *testing.T) {
	sample, err := elfsymtest.Sample(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(sample)
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		name string
		data []byte
	}
	for _, cut := range []int{0, 16, 51, 52, 100, 4096, len(data) / 4, len(data) / 2, len(data) - 4096, len(data) - 100, len(data) - 1} {
		cases = append(cases, struct {
			name string
			data []byte
		}{"cut at " + itoa(cut), data[:cut]})
	}
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 40; i++ {
		c := bytes.Clone(data)
		for j := 0; j < 1+i%8; j++ {
			c[rng.Intn(len(c))] = byte(rng.Intn(256))
		}
		cases = append(cases, struct {
			name string
			data []byte
		}{"corrupt " + itoa(i), c})
	}
	opened, failed, degraded := 0, 0, 0
	for _, tc := range cases {
		im, err := elfsym.NewImage(bytes.NewReader(tc.data), int64(len(tc.data)), tc.name)
		if err != nil {
			failed++
			if msg := err.Error(); strings.Contains(msg, "\n") || !strings.Contains(msg, tc.name) {
				t.Errorf("%s: error %q: want one line naming the file", tc.name, msg)
			}
			if strings.HasPrefix(tc.name, "cut at") && !strings.HasSuffix(tc.name, " 0") && !strings.HasSuffix(tc.name, " 16") && !strings.HasSuffix(tc.name, " 51") && !strings.Contains(err.Error(), "truncated") {
				t.Errorf("%s: error %q does not say the file is truncated", tc.name, err)
			}
			continue
		}
		opened++
		for _, w := range im.Warnings() {
			degraded++
			if strings.Contains(w, "\n") {
				t.Errorf("%s: multi-line warning %q", tc.name, w)
			}
		}
		exercise(im)
	}
	t.Logf("%d opened (%d warnings), %d refused", opened, degraded, failed)
	if degraded == 0 {
		t.Errorf("no corruption produced a warning: corrupting DWARF bytes should degrade the image")
	}
	if failed == 0 {
		t.Errorf("no damaged input was refused: the cuts should break the ELF header or section table")
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func FuzzOpen(f *testing.F) {
	sample, err := elfsymtest.Sample(context.Background())
	if err != nil {
		f.Fatal(err)
	}
	data, err := os.ReadFile(sample)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add(data[:len(data)/2])
	f.Add(data[:200])
	c := bytes.Clone(data)
	c[0x30] ^= 0xff // e_shnum/e_shstrndx area
	f.Add(c)
	f.Fuzz(func(t *testing.T, b []byte) {
		im, err := elfsym.NewImage(bytes.NewReader(b), int64(len(b)), "fuzz.elf")
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("multi-line error %q", err)
			}
			return
		}
		exercise(im)
	})
}
