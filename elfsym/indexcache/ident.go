package indexcache

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/internal/plainfile"
)

// Content hashes are remembered by file identity (elfsym.ContentMemo) in
// small files named by device and inode, each holding the whole identity
// and the hash: an ELF whose stat is unchanged is not read again to find
// its index, and an index file whose stat is unchanged since its CRC was
// checked is not checked again. The files are kept under the size bound
// with the indexes.

const identMagic = "FLTIDENT1"

const identSuffix = ".ident"

// racyWindow: a file changed this recently is not remembered as checked
// (see elfsym.FileIdentity.ChangedWithin).
var racyWindow = 3 * time.Second

func changedWithin(id elfsym.FileIdentity, t time.Time) bool {
	return id.ChangedWithin(t, racyWindow)
}

func identName(id elfsym.FileIdentity) string {
	return fmt.Sprintf("i-%x-%x%s", id.Dev, id.Ino, identSuffix)
}

func identLine(id elfsym.FileIdentity, content string) string {
	return string(append(identPrefix(id), content+"\n"...))
}

// identPrefix is an ident file's line up to the content hash.
func identPrefix(id elfsym.FileIdentity) []byte {
	b := make([]byte, 0, 128)
	b = append(b, identMagic...)
	for _, v := range []uint64{id.Dev, id.Ino} {
		b = strconv.AppendUint(append(b, ' '), v, 16)
	}
	for _, v := range []int64{id.Size, id.MtimeNs, id.CtimeNs} {
		b = strconv.AppendInt(append(b, ' '), v, 10)
	}
	return append(b, ' ')
}

// LoadContent returns the content hash remembered for id, "" when none
// is, or the file there was written for another identity (the inode was
// reused, or the file changed since).
func (d *Dir) LoadContent(id elfsym.FileIdentity) string {
	b, err := plainfile.ReadSmall(filepath.Join(d.Path, identName(id)), 512)
	if err != nil {
		return ""
	}
	// Only an exact rewrite of what was stored counts: a damaged file
	// gives no hash. Compared, not parsed: this runs on every warm open.
	p := identPrefix(id)
	if !bytes.HasPrefix(b, p) || !bytes.HasSuffix(b, []byte("\n")) {
		return ""
	}
	content := string(b[len(p) : len(b)-1])
	if !isHex(content) {
		return ""
	}
	return content
}

// StoreContent remembers content as the hash of the file with identity id.
func (d *Dir) StoreContent(id elfsym.FileIdentity, content string) error {
	if content == "" || !isHex(content) {
		return fmt.Errorf("index cache: bad content hash %q", content)
	}
	_, err := d.writeAtomic(identName(id), []byte(identLine(id, content)))
	return err
}

// writeAtomic writes b to name in the directory through a temporary file
// renamed into place. It returns the file's stat after the rename when
// the file under name is still the one written (nil when another writer
// renamed its own over it meanwhile, or stat failed).
func (d *Dir) writeAtomic(name string, b []byte) (os.FileInfo, error) {
	if !d.noMkdir {
		if err := os.MkdirAll(d.Path, 0o755); err != nil {
			return nil, fmt.Errorf("index cache: %w", err)
		}
	}
	tmp, written, err := d.writeTemp(b)
	if err != nil {
		return nil, fmt.Errorf("index cache: %w", err)
	}
	final := filepath.Join(d.Path, name)
	// Rename replaces atomically: readers see the old file or the new
	// one, never a mix, and concurrent writers of one name each rename a
	// complete file.
	if err := os.Rename(tmp, final); err != nil {
		os.Remove(tmp)
		return nil, fmt.Errorf("index cache: %w", err)
	}
	// Stat by name after the rename (which moves ctime), and only if it
	// is the same inode: another writer's file is not ours to vouch for.
	st, err := os.Stat(final)
	if written == nil || err != nil || !os.SameFile(written, st) {
		return nil, nil
	}
	return st, nil
}

// midWrite, if set (tests), is called when a write's temporary file is
// made, before the data is written to it.
var midWrite func(dir string)

// namedOnly (tests) writes through named temporary files, as where the
// system has no unnamed ones.
var namedOnly bool

// writeTemp writes b to a new temporary file in the directory and returns
// its name and stat (nil if stat failed). The file is written unnamed
// where the system allows (createUnnamed) and named once complete, so a
// writer killed mid-write (a run stopped by Ctrl-C, a background builder
// killed) leaves nothing; elsewhere a named temporary file is written,
// which such a writer leaves for trim to remove once stale.
func (d *Dir) writeTemp(b []byte) (string, os.FileInfo, error) {
	if !namedOnly {
		if name, st, ok, err := d.writeUnnamed(b); ok {
			return name, st, err
		}
		// No unnamed files here, or no /proc to name one through, or
		// the write failed: once more, named from the start.
	}
	f, err := os.CreateTemp(d.Path, ".tmp-*")
	if err != nil {
		return "", nil, err
	}
	if midWrite != nil {
		midWrite(d.Path)
	}
	_, werr := f.Write(b)
	st, _ := f.Stat()
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		os.Remove(f.Name())
		return "", nil, werr
	}
	return f.Name(), st, nil
}

// writeUnnamed is writeTemp through an unnamed file; ok is false when it
// could not write one and name it (nothing is left then).
func (d *Dir) writeUnnamed(b []byte) (name string, st os.FileInfo, ok bool, err error) {
	f, err := createUnnamed(d.Path)
	if err != nil {
		return "", nil, false, nil
	}
	if midWrite != nil {
		midWrite(d.Path)
	}
	_, werr := f.Write(b)
	st, _ = f.Stat()
	name = filepath.Join(d.Path, fmt.Sprintf(".tmp-%016x", rand.Uint64()))
	if werr == nil {
		werr = linkUnnamed(f, name)
	}
	cerr := f.Close()
	switch {
	case werr != nil:
		return "", nil, false, nil
	case cerr != nil:
		os.Remove(name)
		return "", nil, true, cerr
	}
	return name, st, true, nil
}
