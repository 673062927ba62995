package elfsym_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/elfsym/elfsymtest"
)

// TestLazyLookupsCoverWhatArmclangsRangesMiss: ARM Compiler 6 writes unit
// DW_AT_ranges that miss functions of the unit (a Keil STM32F4 build
// lacked 159 of its 292), and a lazy image found no unit, so no file:line,
// for them, where addr2line and gdb found one. The clang lab build stands
// in for it: producer rewritten to armclang's tool name, every range list
// emptied. Each function must then look up as it does in the whole index
// of the untouched build.
func TestLazyLookupsCoverWhatArmclangsRangesMiss(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	path, err := elfsymtest.Lab(ctx, elfsymtest.LabConfig{Compiler: "clang", Opt: "-O2", GCSections: true})
	if err != nil {
		t.Fatal(err)
	}
	orig, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	producer := []byte("Debian clang version 14.0.6")
	if !bytes.Contains(orig, producer) {
		t.Fatalf("the lab ELF's producer is not %q", producer)
	}
	// Same length, so the inline (DW_FORM_string) copy keeps its DIE's
	// layout.
	data := bytes.ReplaceAll(orig, producer, []byte("Tool: armclang             "))
	off, size := sectionBytes(t, data, ".debug_rnglists")
	// After the 12-byte header: offsets 0, each list then starts with
	// DW_RLE_end_of_list.
	clear(data[off+12 : off+size])
	mod := filepath.Join(t.TempDir(), "armclang.elf")
	if err := os.WriteFile(mod, data, 0o644); err != nil {
		t.Fatal(err)
	}
	whole, err := elfsym.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer whole.Close()
	lazy, err := elfsym.OpenWith(mod, elfsym.Options{Lazy: true})
	if err != nil {
		t.Fatal(err)
	}
	defer lazy.Close()
	checked := 0
	for _, s := range whole.Symbols() {
		if !s.Func || s.Size < 4 {
			continue
		}
		for _, pc := range []uint64{s.Addr, s.Addr + s.Size/2&^1} {
			want := whole.Frames(pc)
			if len(want) == 0 || want[0].File == "" {
				continue
			}
			got := lazy.Frames(pc)
			if len(got) == 0 || got[0].File != want[0].File || got[0].Line != want[0].Line {
				t.Errorf("%s (%#x): lazy %+v, want %s:%d as the whole index of the untouched build", s.Name, pc, got, want[0].File, want[0].Line)
			}
			checked++
		}
	}
	if checked < 10 {
		t.Errorf("checked %d addresses; want every function of the lab", checked)
	}
}
