package indexcache

import (
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"

	"github.com/faultline-dev/faultline/elfsym"
)

// A first open of an ELF leaves a mark (elfsym.SightMemo): an empty file
// whose name is the ELF's whole stat identity. Its presence is all it
// says, so it is made by one exclusive create, with no temporary file,
// rename or directory scan: a first run on a small firmware takes a few
// milliseconds, and writing the mark as a saved index took a third of
// them. Concurrent first opens race harmlessly: one creates it, the
// others find it there.

var _ elfsym.SightMemo = (*Dir)(nil)

const markSuffix = ".seen"

// maxMarks bounds how many marks the directory keeps (they are empty, so
// the byte bound does not): each rebuilt firmware run once leaves one.
var maxMarks = 4096

// markTrimEvery: one mark in this many (at random) trims the directory.
// Storing an index always trims; marks alone (every firmware run just
// once) must too, now and then, or they would pile up.
var markTrimEvery = 64

func markName(id elfsym.FileIdentity) string {
	b := make([]byte, 0, 96)
	b = append(b, "m-"...)
	for i, v := range []uint64{id.Dev, id.Ino, uint64(id.Size), uint64(id.MtimeNs), uint64(id.CtimeNs)} {
		if i > 0 {
			b = append(b, '-')
		}
		b = strconv.AppendUint(b, v, 16)
	}
	return string(append(b, markSuffix...))
}

// Sighted reports whether MarkSighted was called for id (and the mark
// has not been trimmed since).
func (d *Dir) Sighted(id elfsym.FileIdentity) bool {
	st, err := os.Lstat(filepath.Join(d.Path, markName(id)))
	return err == nil && st.Mode().IsRegular()
}

// MarkSighted leaves the mark for id.
func (d *Dir) MarkSighted(id elfsym.FileIdentity) error {
	if id == (elfsym.FileIdentity{}) {
		return fmt.Errorf("index cache: no file identity to mark")
	}
	p := filepath.Join(d.Path, markName(id))
	err := createEmpty(p)
	if errors.Is(err, fs.ErrNotExist) {
		// The first write to this cache: make the directory.
		if err := os.MkdirAll(d.Path, 0o755); err != nil {
			return fmt.Errorf("index cache: %w", err)
		}
		err = createEmpty(p)
	}
	if err != nil {
		return fmt.Errorf("index cache: %w", err)
	}
	if markTrimEvery > 0 && rand.IntN(markTrimEvery) == 0 {
		return d.trim("")
	}
	return nil
}
