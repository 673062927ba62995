package firmware

import (
	"context"
	"debug/elf"
	"testing"
	"time"
)

func TestELFBuildsEveryVariant(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	for _, v := range Variants() {
		path, err := ELF(ctx, v)
		if err != nil {
			t.Fatalf("ELF(%q): %v", v, err)
		}
		f, err := elf.Open(path)
		if err != nil {
			t.Fatalf("open %s: %v", path, err)
		}
		syms, err := f.Symbols()
		f.Close()
		if err != nil {
			t.Fatalf("%s symbols: %v", v, err)
		}
		want := map[string]bool{"HardFault_Handler": false, "_Z16socket_close_allv": false, "__malloc_av_": false}
		for _, s := range syms {
			if _, ok := want[s.Name]; ok {
				want[s.Name] = true
			}
		}
		for name, found := range want {
			if !found {
				t.Errorf("%s: symbol %s missing", v, name)
			}
		}
	}
}

func TestELFRejectsUnknownVariant(t *testing.T) {
	if _, err := ELF(context.Background(), "nope"); err == nil {
		t.Fatal("ELF(nope) succeeded")
	}
}
