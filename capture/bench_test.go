package capture

import (
	"bytes"
	"io"
	"path/filepath"
	"testing"
)

// benchSnapshot is what a live capture of a netduino2/Photon holds: all
// 128 KiB of SRAM, the SCB and the debug registers, with a serial tail.
func benchSnapshot() *Snapshot {
	s := fullSnapshot()
	ram := make([]byte, 128<<10)
	for i := range ram {
		ram[i] = byte(i * 31)
	}
	s.Memory = []Region{
		{Addr: 0x20000000, Data: ram, Name: "ram"},
		{Addr: 0xE000ED00, Data: make([]byte, 0x40), Name: "scb"},
		{Addr: 0xE000EDF0, Data: make([]byte, 0x10), Name: "debug"},
	}
	return s
}

func snapshotBytes(s *Snapshot) int64 {
	var n int64
	for _, r := range s.Memory {
		n += int64(len(r.Data))
	}
	return n
}

// BenchmarkWrite includes the fsyncs of the file and its directory, which
// dominate on most disks.
func BenchmarkWrite(b *testing.B) {
	s := benchSnapshot()
	path := filepath.Join(b.TempDir(), "crash.core")
	b.SetBytes(snapshotBytes(s))
	for b.Loop() {
		if err := Write(path, s); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncode(b *testing.B) {
	s := benchSnapshot()
	b.SetBytes(snapshotBytes(s))
	for b.Loop() {
		if err := Encode(io.Discard, s); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecode(b *testing.B) {
	data := encoded(b, benchSnapshot())
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Decode(bytes.NewReader(data), int64(len(data))); err != nil {
			b.Fatal(err)
		}
	}
}
