//go:build unix

package elfsym

import (
	"os"
	"syscall"
)

// mapSection maps bytes [off, off+size) of f privately: pages are read as
// they are touched, from the page cache, instead of copied into fresh
// memory, and a write (lazy.go points a unit's DW_AT_stmt_list at its own
// line program) copies only its page. It returns the section's bytes and
// the whole mapping to unmap, ok false when f cannot be mapped.
func mapSection(f *os.File, off, size uint64) (sec, mapping []byte, ok bool) {
	page := uint64(os.Getpagesize())
	start := off &^ (page - 1)
	length := off - start + size
	if size == 0 || length != uint64(int(length)) || int64(start) < 0 {
		return nil, nil, false
	}
	rc, err := f.SyscallConn()
	if err != nil {
		return nil, nil, false
	}
	var m []byte
	var merr error
	err = rc.Control(func(fd uintptr) {
		m, merr = syscall.Mmap(int(fd), int64(start), int(length), syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE)
	})
	if err != nil || merr != nil {
		return nil, nil, false
	}
	lo := off - start
	return m[lo : lo+size : lo+size], m, true
}

func unmapSection(m []byte) { _ = syscall.Munmap(m) }
