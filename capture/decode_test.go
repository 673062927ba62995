package capture

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func encoded(t testing.TB, s *Snapshot) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := Encode(&b, s); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestDecodeTruncatedAtEveryOffset(t *testing.T) {
	want := fullSnapshot()
	data := encoded(t, want)
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	notesEnd := int(f.Progs[0].Off + f.Progs[0].Filesz)
	// Every offset through the headers and notes, then every segment
	// boundary and its neighbours, and a stride through the data between.
	cuts := map[int]bool{}
	for c := 0; c < notesEnd+8; c++ {
		cuts[c] = true
	}
	for c := notesEnd; c < len(data); c += 61 {
		cuts[c] = true
	}
	for _, p := range f.Progs {
		for _, b := range []int{int(p.Off), int(p.Off + p.Filesz)} {
			for c := b - 2; c <= b+2; c++ {
				cuts[c] = c >= 0 && c < len(data)
			}
		}
	}
	for cut := range cuts {
		if !cuts[cut] {
			continue
		}
		got, err := Decode(bytes.NewReader(data[:cut]), int64(cut))
		if cut < 4 {
			var fe *FormatError
			if !errors.As(err, &fe) || got != nil {
				t.Fatalf("cut at %d: got %v, %v; want a FormatError", cut, got, err)
			}
			continue
		}
		var te *TruncatedError
		if !errors.As(err, &te) || got == nil {
			t.Fatalf("cut at %d: got snapshot %v, err %v; want a partial snapshot and a TruncatedError", cut, got != nil, err)
		}
		// Until the program headers are whole, the file's full size is
		// not known, only a lower bound.
		minWant := int64(len(data))
		switch phEnd := 52 + 32*len(f.Progs); {
		case cut < 52:
			minWant = 52
		case cut < phEnd:
			minWant = int64(phEnd)
		}
		if te.Size != int64(cut) || te.Want < minWant || te.Want > int64(len(data)) {
			t.Errorf("cut at %d: TruncatedError says %d of %d bytes, want %d of %d..%d", cut, te.Size, te.Want, cut, minWant, len(data))
		}
		if !strings.Contains(strings.Join(got.Meta.Missing, "\n"), "truncated") {
			t.Errorf("cut at %d: Meta.Missing does not say truncated: %q", cut, got.Meta.Missing)
		}
		if cut >= notesEnd && !cmp.Equal(want.Registers, got.Registers) {
			t.Errorf("cut at %d, after the notes: registers lost: %v", cut, got.Registers)
		}
		if cut >= notesEnd && got.Meta.Board != want.Meta.Board {
			t.Errorf("cut at %d, after the notes: meta lost", cut)
		}
		// Every region in the result is a prefix of the real one, and
		// every region whose bytes are all in the file is whole.
		for _, r := range got.Memory {
			orig := regionAt(want, r.Addr)
			if orig == nil || !bytes.HasPrefix(orig.Data, r.Data) {
				t.Fatalf("cut at %d: region at %#x is not a prefix of the original", cut, r.Addr)
			}
		}
		for i, p := range f.Progs[1:] {
			if cut >= notesEnd && int(p.Off) <= cut && cut < int(p.Off+p.Filesz) {
				r := want.Memory[i]
				msg := fmt.Sprintf("region %q 0x%08x-0x%08x: %d of %d bytes", r.Name, r.Addr, r.End(), cut-int(p.Off), len(r.Data))
				if !strings.Contains(err.Error(), msg) {
					t.Errorf("cut at %d: error does not say %q: %v", cut, msg, err)
				}
			}
			if int(p.Off+p.Filesz) <= cut {
				if r := regionAt(got, want.Memory[i].Addr); r == nil || len(r.Data) != len(want.Memory[i].Data) {
					t.Errorf("cut at %d: complete region %q missing or short", cut, want.Memory[i].Name)
				}
			}
		}
	}
}

func regionAt(s *Snapshot, addr uint32) *Region {
	for i := range s.Memory {
		if s.Memory[i].Addr == addr {
			return &s.Memory[i]
		}
	}
	return nil
}

func TestDecodeRejectsOtherFiles(t *testing.T) {
	core := encoded(t, fullSnapshot())
	patch := func(off int, v ...byte) []byte {
		b := bytes.Clone(core)
		copy(b[off:], v)
		return b
	}
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"empty file", nil, "not an ELF file"},
		{"text", []byte("0000123456 [hal] PANIC: HardFault\n"), "not an ELF file"},
		{"64-bit ELF", patch(4, byte(elf.ELFCLASS64)), "ELFCLASS64, want ELFCLASS32"},
		{"big-endian ELF", patch(5, byte(elf.ELFDATA2MSB)), "want little-endian"},
		{"firmware ELF, not a core", patch(16, byte(elf.ET_EXEC)), "want ET_CORE (is this the firmware ELF"},
		{"x86 core", patch(18, byte(elf.EM_386)), "EM_386, want EM_ARM"},
		{"unknown ELF version", patch(6, 2), "ELF version 2, want 1"},
		{"odd program header size", patch(42, 20), "program header size 20"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Decode(bytes.NewReader(tc.data), int64(len(tc.data)))
			var fe *FormatError
			if !errors.As(err, &fe) || got != nil {
				t.Fatalf("got %v, %v; want nil and a FormatError", got, err)
			}
			if !strings.HasPrefix(err.Error(), "not a faultline capture: ") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %q, want it to say %q", err, tc.want)
			}
		})
	}
}

func TestDecodeDamagedCapture(t *testing.T) {
	s := fullSnapshot()
	prs := appendNote(nil, noteNameCore, uint32(elf.NT_PRSTATUS), prstatus(s.Registers))
	tests := []struct {
		name     string
		data     []byte
		wantErr  string
		wantRegs bool // registers still come through
		wantMem  int  // regions that survive
	}{
		{"FAULTLINE note not JSON",
			rawCore(appendNote(bytes.Clone(prs), noteNameFaultline, NoteTypeFaultline, []byte("{not json")), s.Memory),
			"FAULTLINE note at offset", true, 4},
		{"FAULTLINE note of another schema",
			rawCore(appendNote(nil, noteNameFaultline, NoteTypeFaultline, []byte(`{"schema":"something/else","registers":{"pc":1}}`)), s.Memory),
			`schema "something/else"`, true, 4},
		{"NT_PRSTATUS of the wrong size",
			rawCore(appendNote(nil, noteNameCore, uint32(elf.NT_PRSTATUS), make([]byte, 124)), s.Memory),
			"NT_PRSTATUS is 124 bytes, want 148", false, 4},
		{"overlapping segments",
			rawCore(prs, []Region{{Addr: 0x100, Data: []byte{1, 2, 3, 4}}, {Addr: 0x102, Data: []byte{5, 6}}}),
			"overlaps", true, 1},
		{"note sizes past the segment",
			rawCore(append(bytes.Clone(prs), 4, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0), s.Memory),
			"runs past the segment", true, 4},
		{"segments sharing file bytes", aliasedCore(t, 50), "more bytes than the file holds", true, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Decode(bytes.NewReader(tc.data), int64(len(tc.data)))
			var ce *CorruptError
			if !errors.As(err, &ce) || got == nil {
				t.Fatalf("got snapshot %v, err %v; want a partial snapshot and a CorruptError", got != nil, err)
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("err = %q, want it to say %q", err, tc.wantErr)
			}
			if tc.wantRegs && len(got.Registers) == 0 {
				t.Error("registers lost")
			}
			if len(got.Memory) != tc.wantMem {
				t.Errorf("%d regions, want %d", len(got.Memory), tc.wantMem)
			}
			if !strings.Contains(strings.Join(got.Meta.Missing, "\n"), "capture damaged") {
				t.Errorf("Meta.Missing does not say so: %q", got.Meta.Missing)
			}
		})
	}
}

// aliasedCore is a small core whose n PT_LOAD headers all point at the same
// file bytes at different addresses: Decode must not allocate n times.
func aliasedCore(t *testing.T, n int) []byte {
	t.Helper()
	data := rawCore(appendNote(nil, noteNameCore, uint32(elf.NT_PRSTATUS), prstatus(nil)),
		[]Region{{Addr: 0x1000, Data: make([]byte, 4096)}})
	hdr := data[:52]
	ph := data[52+32 : 52+64] // the PT_LOAD
	var out []byte
	out = append(out, hdr...)
	binary.LittleEndian.PutUint16(out[44:], uint16(1+n))
	notes := data[52 : 52+32]
	// Offsets move by n-1 program headers.
	shift := uint32((n - 1) * 32)
	np := bytes.Clone(notes)
	binary.LittleEndian.PutUint32(np[4:], binary.LittleEndian.Uint32(np[4:])+shift)
	out = append(out, np...)
	for i := 0; i < n; i++ {
		p := bytes.Clone(ph)
		binary.LittleEndian.PutUint32(p[4:], binary.LittleEndian.Uint32(p[4:])+shift)
		binary.LittleEndian.PutUint32(p[8:], uint32(0x10000*(i+1)))
		out = append(out, p...)
	}
	return append(out, data[52+64:]...)
}

func TestReadNamesThePath(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(path, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Read(path)
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "not a faultline capture") {
		t.Errorf("err = %v", err)
	}
	if _, err := Read(filepath.Join(dir, "absent.core")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: err = %v, want ErrNotExist", err)
	}
}

func FuzzDecode(f *testing.F) {
	full := encoded(f, fullSnapshot())
	f.Add(full)
	f.Add(full[:len(full)/2])
	f.Add(full[:300])
	f.Add(rawCore(appendNote(nil, noteNameCore, uint32(elf.NT_PRSTATUS), prstatus(nil)), []Region{{Addr: 4, Data: []byte{1}}}))
	f.Add(encoded(f, &Snapshot{}))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Decode(bytes.NewReader(data), int64(len(data)))
		if s == nil && err == nil {
			t.Fatal("nil snapshot without an error")
		}
		if s == nil {
			return
		}
		// Whatever Decode returns keeps the Snapshot invariants, and is
		// accepted by Encode unless JSON cannot carry its LED numbers.
		if err := s.Validate(); err != nil {
			t.Fatalf("Decode returned an invalid snapshot: %v", err)
		}
		buf := make([]byte, 8)
		for _, r := range s.Memory {
			s.ReadMemory(buf, uint64(r.Addr))
		}
		if err == nil {
			var b bytes.Buffer
			if err := Encode(&b, s); err != nil {
				t.Fatalf("re-encode: %v", err)
			}
		}
	})
}
