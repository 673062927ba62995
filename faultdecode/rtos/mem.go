package rtos

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/faultline-dev/faultline/elfsym"
)

// Memory is the captured target memory (a capture.Snapshot implements it).
type Memory interface {
	ReadMemory(buf []byte, addr uint64) (int, error)
}

// Image is what the package needs from the firmware's ELF; *elfsym.Image
// implements it.
type Image interface {
	LookupVariable(name string) (elfsym.Variable, bool)
	LookupSymbol(name string) (elfsym.Symbol, bool)
}

var errShort = errors.New("short read")

func read32(mem Memory, addr uint32) (uint32, error) {
	var b [4]byte
	n, err := mem.ReadMemory(b[:], uint64(addr))
	if n < 4 {
		if err == nil {
			err = errShort
		}
		return 0, fmt.Errorf("read 0x%08x: %w", addr, err)
	}
	return binary.LittleEndian.Uint32(b[:]), nil
}

// readWords reads n consecutive words from addr.
func readWords(mem Memory, addr uint32, n int) ([]uint32, error) {
	b := make([]byte, 4*n)
	got, err := mem.ReadMemory(b, uint64(addr))
	if got < len(b) {
		if err == nil {
			err = errShort
		}
		return nil, fmt.Errorf("read %d bytes at 0x%08x: %w", len(b), addr, err)
	}
	w := make([]uint32, n)
	for i := range w {
		w[i] = binary.LittleEndian.Uint32(b[4*i:])
	}
	return w, nil
}

// fieldOffset is the offset of the named member of t (through typedefs,
// which elfsym resolves), ok false when t has none.
func fieldOffset(t *elfsym.Type, name string) (uint32, bool) {
	f, ok := elfsym.FindField(t, name)
	return uint32(f.Offset), ok
}

// field finds a member by name in t or in its anonymous struct and union
// members (Zephyr puts prio in one), with its offset from t's start.
func field(t *elfsym.Type, name string) (elfsym.Field, bool) { return elfsym.FindField(t, name) }

// pointerLike is the cheap check before following a pointer: TCBs and
// list items are word aligned and never at 0. Whether the memory is there
// is for the read to say.
func pointerLike(p uint32) bool {
	return p != 0 && p&3 == 0
}
