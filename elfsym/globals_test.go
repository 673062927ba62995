package elfsym_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/elfsym/elfsymtest"
)

func openData(t testing.TB) *elfsym.Image {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	p, err := elfsymtest.Data(ctx)
	if err != nil {
		t.Fatalf("build data image: %v", err)
	}
	im, err := elfsym.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { im.Close() })
	return im
}

func mustVar(t *testing.T, im *elfsym.Image, name string) elfsym.Variable {
	t.Helper()
	v, ok := im.LookupVariable(name)
	if !ok {
		var names []string
		for _, v := range im.Variables() {
			names = append(names, v.Name)
		}
		t.Fatalf("variable %q not found; have %v", name, names)
	}
	return v
}

func TestDataAtNamesMembersAndElements(t *testing.T) {
	im := openData(t)
	table := mustVar(t, im, "net::table")
	holder := mustVar(t, im, "g_holder")
	derived := mustVar(t, im, "g_derived")
	matrix := mustVar(t, im, "net::matrix")
	tags := mustVar(t, im, "tags")
	tests := []struct {
		name string
		addr uint64
		want string
	}{
		{"first member", table.Addr, "net::table[0].id"},
		{"char array element", table.Addr + 24 + 6, "net::table[1].name[2]"},
		{"nested struct array member", table.Addr + 24 + 14 + 2, "net::table[1].pos[1].y"},
		{"pointer member", table.Addr + 2*24 + 20, "net::table[2].next"},
		{"inside a scalar", table.Addr + 1, "net::table[0].id+1"},
		{"pointer array", holder.Addr + 4 + 2*4, "g_holder.clients[2]"},
		{"two-dimensional array", matrix.Addr + 5*4, "net::matrix[1][2]"},
		{"union member", tags.Addr + 8 + 4, "tags[1].word"},
		{"vptr of a base", derived.Addr, "g_derived._vptr.Base"},
		{"member of a base", derived.Addr + 4, "g_derived.base_count"},
		{"member of the class", derived.Addr + 8 + 4, "g_derived.extra[1]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, ok := im.DataAt(tt.addr)
			if !ok || got != tt.want {
				t.Errorf("DataAt(0x%x) = %q, %v; want %q", tt.addr, got, ok, tt.want)
			}
		})
	}
}

func TestDataAtStaticsAndMembers(t *testing.T) {
	im := openData(t)
	for name, want := range map[string]string{"net::Counter::hits": "net::Counter::hits", "bump::calls": "bump::calls", "greeting": "greeting[0]"} {
		v := mustVar(t, im, name)
		got, _, ok := im.DataAt(v.Addr)
		if !ok || got != want {
			t.Errorf("DataAt(%s at 0x%x) = %q, %v", name, v.Addr, got, ok)
		}
	}
}

func TestTypesKnowClassesAndBases(t *testing.T) {
	im := openData(t)
	d, ok := im.LookupType("Derived")
	if !ok {
		t.Fatal("type Derived not found")
	}
	b, ok := im.LookupType("Base")
	if !ok {
		t.Fatal("type Base not found")
	}
	if !d.Polymorphic || !b.Polymorphic {
		t.Errorf("Polymorphic: Derived %v, Base %v; want both", d.Polymorphic, b.Polymorphic)
	}
	if !d.IsA(b) || b.IsA(d) {
		t.Errorf("IsA: Derived->Base %v, Base->Derived %v", d.IsA(b), b.IsA(d))
	}
	h := mustVar(t, im, "g_holder")
	if got := h.Type.String(); got != "holder" {
		t.Errorf("g_holder type %q", got)
	}
	var clients *elfsym.Type
	for _, f := range h.Type.Fields {
		if f.Name == "clients" {
			clients = f.Type
		}
	}
	if clients == nil || clients.String() != "Derived*[4]" {
		t.Errorf("clients type %v", clients)
	}
}

func TestDataAtOutsideEveryVariable(t *testing.T) {
	im := openData(t)
	if p, _, ok := im.DataAt(0x1); ok {
		t.Errorf("DataAt(1) = %q, want none", p)
	}
}

// imageMem serves the image's initial contents as target memory.
type imageMem struct{ im *elfsym.Image }

func (m imageMem) ReadMemory(b []byte, a uint64) (int, error) { return m.im.ReadMemory(b, a) }

func TestFormatValuePrintsInitialValues(t *testing.T) {
	im := openData(t)
	v := mustVar(t, im, "greeting")
	if got := im.FormatValue(imageMem{im}, v.Addr, v.Type, elfsym.FormatOptions{}); got != `"hello"` {
		t.Errorf("greeting = %s", got)
	}
	h := mustVar(t, im, "net::Counter::hits")
	got := im.FormatValue(imageMem{im}, h.Addr, h.Type, elfsym.FormatOptions{})
	if got != "5" {
		t.Errorf("hits = %s, want 5", got)
	}
	d := mustVar(t, im, "g_derived")
	got = im.FormatValue(imageMem{im}, d.Addr, d.Type, elfsym.FormatOptions{})
	if !strings.Contains(got, "extra = ") || !strings.Contains(got, "<Base> = {") {
		t.Errorf("g_derived = %s", got)
	}
}

// FuzzDataIndex feeds damaged copies of the data image to the data index:
// no panic, and every variable DataAt names covers the address asked. The
// fuzzer mutates a patch (offset and bytes) rather than the 260 KB file,
// which keeps its inputs small enough to minimize.
func FuzzDataIndex(f *testing.F) {
	p, err := elfsymtest.Data(context.Background())
	if err != nil {
		f.Fatal(err)
	}
	data, err := os.ReadFile(p)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(uint32(0), []byte{}, uint32(0))
	f.Add(uint32(len(data)/3), bytes.Repeat([]byte{0x5a}, 64), uint32(0x20000000))
	f.Fuzz(func(t *testing.T, off uint32, patch []byte, addr uint32) {
		b := bytes.Clone(data)
		if len(b) > 0 {
			copy(b[int(off)%len(b):], patch)
		}
		im, err := elfsym.NewImage(bytes.NewReader(b), int64(len(b)), "fuzz.elf")
		if err != nil {
			return
		}
		vars := im.Variables()
		for _, v := range vars[:min(len(vars), 64)] {
			if name, got, ok := im.DataAt(v.Addr); ok && (v.Addr < got.Addr || v.Addr-got.Addr >= max(got.Size, 1)) {
				t.Errorf("DataAt(0x%x) = %q in %+v, which does not cover it", v.Addr, name, got)
			}
			im.FormatValue(im, v.Addr, v.Type, elfsym.FormatOptions{MaxDepth: 3})
		}
		im.DataAt(uint64(addr))
	})
}

func TestEvalFollowsMembersIndexesAndPointers(t *testing.T) {
	im := openData(t)
	mem := imageMem{im}
	table := mustVar(t, im, "net::table")
	derived := mustVar(t, im, "g_derived")
	tests := []struct {
		expr     string
		wantAddr uint64
		wantType string
	}{
		{"net::table[1].pos[1]", table.Addr + 24 + 14, "point"},
		{"net::table[2].next", table.Addr + 48 + 20, "item*"},
		{"g_derived.base_count", derived.Addr + 4, "int"},
		{"g_derived.extra[2]", derived.Addr + 8 + 8, "long unsigned int"},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			addr, typ, err := im.Eval(mem, tt.expr)
			if err != nil || addr != tt.wantAddr || typ.String() != tt.wantType {
				t.Errorf("Eval(%q) = 0x%x, %v, %v; want 0x%x, %s", tt.expr, addr, typ, err, tt.wantAddr, tt.wantType)
			}
		})
	}
	for _, bad := range []string{"nosuch", "net::table[3]", "net::table[0].nosuch", "g_derived->extra", "net::table[0"} {
		if _, _, err := im.Eval(mem, bad); err == nil {
			t.Errorf("Eval(%q) succeeded", bad)
		}
	}
}

func TestDataAtWithoutDWARFFallsBackToSymbols(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	p, err := elfsymtest.Data(ctx)
	if err != nil {
		t.Fatal(err)
	}
	strip, err := exec.LookPath("arm-none-eabi-strip")
	if err != nil {
		t.Fatal("arm-none-eabi-strip not found: run scripts/setup.sh")
	}
	out := filepath.Join(t.TempDir(), "nodwarf.elf")
	if b, err := exec.CommandContext(ctx, strip, "--strip-debug", "-o", out, p).CombinedOutput(); err != nil {
		t.Fatalf("strip: %v\n%s", err, b)
	}
	im, err := elfsym.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer im.Close()
	v, ok := im.LookupVariable("g_holder")
	if !ok || v.Type != nil {
		t.Fatalf("g_holder from the symbol table: %+v %v", v, ok)
	}
	if got, _, ok := im.DataAt(v.Addr + 8); !ok || got != "g_holder+8" {
		t.Errorf("DataAt = %q, %v; want g_holder+8", got, ok)
	}
	if im.DataWarning() == "" {
		t.Error("no warning that types are missing")
	}
}

// FuzzEval: any expression either names an object or fails; it never
// panics.
func FuzzEval(f *testing.F) {
	im := openData(f)
	for _, s := range []string{"net::table[1].pos[1]", "*g_holder.clients[2]", "g_holder.any->base_count", "tags[1].ref->next", "net::matrix[1][2]", "x[", "->", "*"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		addr, typ, err := im.Eval(imageMem{im}, expr)
		if err == nil && typ == nil {
			t.Errorf("Eval(%q) = 0x%x with no type and no error", expr, addr)
		}
	})
}
