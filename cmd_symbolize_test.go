package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/elfsym/elfsymtest"
)

// symbolizeFixture is the sample ELF, its directory (runs happen there so
// files print relative as src/...) and addresses picked from its index: a
// function entry, an address with at least two inlined frames, and a
// non-code address.
type symbolizeFixture struct {
	elf, dir      string
	im            *elfsym.Image
	entry, inline uint64
	data          uint64
}

func newSymbolizeFixture(t *testing.T) symbolizeFixture {
	t.Helper()
	im, elf := elfsymtest.OpenBuilt(t, elfsymtest.Sample, elfsym.Open)
	fx := symbolizeFixture{elf: elf, dir: filepath.Dir(elf), im: im}
	s, ok := im.LookupSymbol("checksum")
	if !ok {
		t.Fatal("sample has no checksum")
	}
	fx.entry = s.Addr
	for a := s.Addr; a < s.Addr+s.Size; a += 2 {
		if len(im.Frames(a)) >= 3 {
			fx.inline = a
			break
		}
	}
	if fx.inline == 0 {
		t.Fatal("no address with two inlined frames in checksum")
	}
	g, ok := im.LookupSymbol("g_server")
	if !ok {
		t.Fatal("sample has no g_server")
	}
	fx.data = g.Addr
	return fx
}

// wantText is the text answer built from elfsym's frames, so the test
// checks the formatting and plumbing, not one program's lines.
func wantText(fx symbolizeFixture, addr uint64) string {
	fs := fx.im.Frames(addr)
	rel := func(f elfsym.Frame) string {
		r, _ := filepath.Rel(fx.dir, f.File)
		return fmt.Sprintf("%s at %s:%d", f.Function, r, f.Line)
	}
	s := fmt.Sprintf("0x%08x %s\n", addr, rel(fs[0]))
	for _, f := range fs[1:] {
		s += "  inlined into " + rel(f) + "\n"
	}
	return s
}

func TestSymbolizeText(t *testing.T) {
	t.Parallel()
	fx := newSymbolizeFixture(t)
	r := runFaultline(t, context.Background(), fx.dir, "", "symbolize", "--elf", fx.elf,
		fmt.Sprintf("%#x", fx.entry|1), fmt.Sprintf("%08x", fx.inline), fmt.Sprintf("%#x", fx.data))
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	want := strings.Replace(wantText(fx, fx.entry), fmt.Sprintf("0x%08x", fx.entry), fmt.Sprintf("0x%08x", fx.entry|1), 1) +
		wantText(fx, fx.inline) +
		fmt.Sprintf("0x%08x ?? (g_server+0x0)\n", fx.data)
	if r.stdout != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", r.stdout, want)
	}
	if n := strings.Count(r.stdout, "  inlined into "); n < 2 {
		t.Errorf("%d inlined-into lines, want >= 2", n)
	}
}

func TestSymbolizeJSON(t *testing.T) {
	t.Parallel()
	fx := newSymbolizeFixture(t)
	r := runFaultline(t, context.Background(), fx.dir, "", "symbolize", "--json", "--elf", fx.elf,
		fmt.Sprintf("%#x", fx.inline), fmt.Sprintf("%#x", fx.data))
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var got []struct {
		Address string `json:"address"`
		Frames  []struct {
			Function string `json:"function"`
			File     string `json:"file"`
			Line     int    `json:"line"`
			Inlined  bool   `json:"inlined"`
		} `json:"frames"`
		Symbol string `json:"symbol"`
		Offset string `json:"offset"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("stdout is not the JSON array: %v\n%s", err, r.stdout)
	}
	if len(got) != 2 || got[0].Address != fmt.Sprintf("0x%08x", fx.inline) {
		t.Fatalf("got %+v", got)
	}
	want := fx.im.Frames(fx.inline)
	if len(got[0].Frames) != len(want) {
		t.Fatalf("frames %+v, want %+v", got[0].Frames, want)
	}
	for i, f := range want {
		g := got[0].Frames[i]
		if g.Function != f.Function || g.File != f.File || g.Line != f.Line || g.Inlined != f.Inlined {
			t.Errorf("frame %d = %+v, want %+v", i, g, f)
		}
	}
	if got[1].Frames == nil || len(got[1].Frames) != 0 || !strings.Contains(r.stdout, `"frames": []`) {
		t.Errorf("non-code address: want \"frames\": [], got %s", r.stdout)
	}
	// The text output says "?? (g_server+0x0)"; JSON names the object too.
	if got[1].Symbol != "g_server" || got[1].Offset != "0x0" {
		t.Errorf("non-code address: symbol %q offset %q, want g_server 0x0", got[1].Symbol, got[1].Offset)
	}
	if got[0].Symbol != "" {
		t.Errorf("code address has symbol %q; frames already name it", got[0].Symbol)
	}
}

func TestSymbolizeAnnotatesStdin(t *testing.T) {
	t.Parallel()
	fx := newSymbolizeFixture(t)
	in := strings.Join([]string{
		"0000001234 [hal] PANIC: HardFault",
		fmt.Sprintf("pc=0x%08x lr=%08x", fx.inline, fx.entry|1),
		fmt.Sprintf("data %08x magic deadbeef 12345678 0x%x", fx.data, fx.data),
		"no addresses here",
	}, "\n") + "\n"
	r := runFaultline(t, context.Background(), fx.dir, in, "symbolize", "--elf", fx.elf)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	inLines := strings.Split(strings.TrimSuffix(in, "\n"), "\n")
	if len(lines) != len(inLines) {
		t.Fatalf("got %d lines, want %d:\n%s", len(lines), len(inLines), r.stdout)
	}
	for i, want := range []string{inLines[0], "", inLines[2], inLines[3]} {
		if want != "" && lines[i] != want {
			t.Errorf("line %d changed: %q, want %q", i, lines[i], want)
		}
	}
	inner := fx.im.Frames(fx.inline)
	outer := fx.im.Frames(fx.entry)
	for _, want := range []string{
		fmt.Sprintf("pc=0x%08x [%s at ", fx.inline, inner[0].Function),
		fmt.Sprintf(", inlined into %s at ", inner[len(inner)-1].Function),
		fmt.Sprintf("lr=%08x [%s at ", fx.entry|1, outer[0].Function),
	} {
		if !strings.Contains(lines[1], want) {
			t.Errorf("line 1 %q lacks %q", lines[1], want)
		}
	}
}

// TestSymbolizeDashReadsAddressesFromStdin: `symbolize --elf F -` answers
// the addresses on stdin exactly as it answers them on the command line,
// text and JSON, however they are spaced.
func TestSymbolizeDashReadsAddressesFromStdin(t *testing.T) {
	t.Parallel()
	fx := newSymbolizeFixture(t)
	addrs := []string{fmt.Sprintf("%#x", fx.entry), fmt.Sprintf("%08x", fx.inline), fmt.Sprintf("%#x", fx.data), fmt.Sprintf("%#x", fx.entry|1)}
	// Spelled otherwise than on the command line (upper case, 17 digits
	// with a leading zero), with odd spacing: the same addresses.
	stdin := addrs[0] + "\n" + fmt.Sprintf("0X%X", fx.inline) + "  " + fmt.Sprintf("%017x", fx.data) + "\r\n\n\t" + addrs[3] + "\n"
	for _, extra := range [][]string{nil, {"--json"}} {
		t.Run(fmt.Sprint("flags", extra), func(t *testing.T) {
			base := append([]string{"symbolize", "--elf", fx.elf}, extra...)
			want := runFaultline(t, context.Background(), fx.dir, "", append(base, addrs...)...)
			got := runFaultline(t, context.Background(), fx.dir, stdin, append(base, "-")...)
			if want.code != 0 || got.code != 0 {
				t.Fatalf("exit %d (args), %d (stdin): %s%s", want.code, got.code, want.stderr, got.stderr)
			}
			if strings.Count(want.stdout, "\n") < len(addrs) {
				t.Fatalf("args run printed too little:\n%s", want.stdout)
			}
			if got.stdout != want.stdout {
				t.Fatalf("stdin answers differ from the command line's:\nstdin:\n%s\nargs:\n%s", got.stdout, want.stdout)
			}
		})
	}
	t.Run("bad address on stdin is a usage error", func(t *testing.T) {
		r := runFaultline(t, context.Background(), fx.dir, addrs[0]+" 0xzz\n", "symbolize", "--elf", fx.elf, "-")
		if r.code != exitUsage || !strings.Contains(r.stderr, `stdin: bad address "0xzz"`) || r.stdout != "" {
			t.Fatalf("exit %d, stderr %q, stdout %q", r.code, r.stderr, r.stdout)
		}
	})
}

// TestSymbolizeStreams checks a log is annotated line by line while stdin
// stays open, as when a serial console is piped through.
func TestSymbolizeStreams(t *testing.T) {
	t.Parallel()
	fx := newSymbolizeFixture(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd, stdin, stdout := startSymbolize(t, ctx, fx.elf)
	defer cmd.Wait()
	defer stdin.Close()
	out := bufio.NewReader(stdout)
	for i := 0; i < 3; i++ {
		fmt.Fprintf(stdin, "line %d pc 0x%08x\n", i, fx.entry)
		got := make(chan string, 1)
		go func() { l, _ := out.ReadString('\n'); got <- l }()
		select {
		case l := <-got:
			if !strings.Contains(l, fmt.Sprintf("line %d pc 0x%08x [", i, fx.entry)) {
				t.Fatalf("line %d = %q", i, l)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("line %d not answered while stdin is open: output is not streamed", i)
		}
	}
}

// startSymbolize starts `faultline symbolize --elf elf args...` with
// pipes on its stdin and stdout; the caller closes stdin and waits.
func startSymbolize(t *testing.T, ctx context.Context, elf string, args ...string) (*exec.Cmd, io.WriteCloser, io.ReadCloser) {
	t.Helper()
	cmd := exec.CommandContext(ctx, faultlineBin, append([]string{"symbolize", "--elf", elf}, args...)...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, stdin, stdout
}

func TestSymbolizeExitCodes(t *testing.T) {
	t.Parallel()
	fx := newSymbolizeFixture(t)
	x86, err := elfsymtest.X86(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	nope := filepath.Join(t.TempDir(), "nope.elf")
	tests := []struct {
		name     string
		args     []string
		code     int
		stderrRe string
		stdin    string
	}{
		{"no --elf", []string{"symbolize", "0x8000"}, exitUsage, "--elf FILE is required", ""},
		{"bad address", []string{"symbolize", "--elf", fx.elf, "0xzz"}, exitUsage, `bad address "0xzz"`, ""},
		{"json from stdin", []string{"symbolize", "--elf", fx.elf, "--json"}, exitUsage, "--json needs addresses", ""},
		{"missing ELF", []string{"symbolize", "--elf", filepath.Join(t.TempDir(), "nope.elf"), "0x8000"}, exitError, "no such file", ""},
		{"x86 ELF", []string{"symbolize", "--elf", x86, "0x8000"}, exitError, "not an ARM ELF (machine EM_X86_64)", ""},
		{"unknown flag", []string{"symbolize", "--nope"}, exitUsage, "unknown flag", ""},
		// With "-" the ELF opens while stdin is read: what is said and
		// the exit code are as if one came after the other.
		{"missing ELF, addresses on stdin", []string{"symbolize", "--elf", nope, "-"}, exitError, "no such file", "0x8000\n"},
		{"missing ELF, bad address on stdin", []string{"symbolize", "--elf", nope, "-"}, exitUsage, `stdin: bad address "0xzz"`, "0x8000 0xzz\n"},
		{"missing ELF, no address on stdin", []string{"symbolize", "--elf", nope, "-"}, exitOK, "", " \n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := runFaultline(t, context.Background(), t.TempDir(), tc.stdin, tc.args...)
			if r.code != tc.code {
				t.Fatalf("exit %d, want %d; stderr %q", r.code, tc.code, r.stderr)
			}
			if !strings.Contains(r.stderr, tc.stderrRe) || strings.Count(strings.TrimSpace(r.stderr), "\n") > 1 {
				t.Errorf("stderr %q, want one line containing %q", r.stderr, tc.stderrRe)
			}
		})
	}
}

func TestSymbolizeHelpHasExamples(t *testing.T) {
	t.Parallel()
	r := runFaultline(t, context.Background(), t.TempDir(), "", "symbolize", "--help")
	for _, want := range []string{"--elf", "--json", "Examples:", "stdin", "inlined into"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("help lacks %q", want)
		}
	}
}
