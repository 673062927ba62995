// Package indexcache keeps elfsym's built indexes on disk between runs, so
// a command run many times on one firmware (symbolize on a log line,
// analyze of a capture, the TUI's start) indexes its ELF once.
//
// Files live in os.UserCacheDir()/faultline/index (XDG_CACHE_HOME moves it),
// one per firmware, named by build id (by content hash when the ELF has none).
// Each starts with a header: a magic, the file format version, the elfsym
// index version, the build id and content hash it was built from, the payload
// length and its CRC-32. A file whose header does not match the ELF being
// opened (stale: rebuilt firmware, older faultline) or whose payload fails
// the check (damaged) is ignored, and the fresh index replaces it.
//
// Writes go to a temporary file in the same directory and are renamed into
// place, so concurrent runs, and a run killed mid-write, never leave a file
// a reader could see half written. The directory is kept under a size
// bound by removing the least recently used files.
//
// Beside the indexes, small files remember each ELF's content hash by its
// stat identity (device, inode, size, mtime, ctime), so finding the index
// of an unchanged ELF does not read the whole file (see ident.go), and
// empty files mark ELFs opened once, by the same identity (see sight.go).
package indexcache

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/faultline-dev/faultline/elfsym"
)

// FormatVersion is the version of the file layout around the payload.
const FormatVersion = 1

// DefaultMaxBytes bounds the directory: about twenty indexes of 25 MB
// firmware, hundreds of small ones.
const DefaultMaxBytes = 256 << 20

const magic = "FLTIDXC\n"

// touchAfter is how old a file's mtime must be for a hit to refresh it.
const touchAfter = 10 * time.Minute

// staleTemp is how old a temporary file must be before a writer removes
// it as left behind by a killed run (a live writer takes milliseconds).
const staleTemp = time.Hour

// A Dir is a directory of saved indexes. It implements elfsym.IndexCache
// and is safe for concurrent use, also by several processes.
type Dir struct {
	Path     string
	MaxBytes int64 // 0 means DefaultMaxBytes

	mu     sync.Mutex
	mapped map[*byte][]byte // payload start -> its file's mapping, for Release

	// noMkdir: a background builder's, which never makes the directory:
	// one removed under it (a test's temporary cache) gets nothing.
	noMkdir bool
}

var (
	_ elfsym.IndexCache  = (*Dir)(nil)
	_ elfsym.ContentMemo = (*Dir)(nil)
)

// Default returns the per-user cache: os.UserCacheDir()/faultline/index.
func Default() (*Dir, error) {
	d, err := os.UserCacheDir()
	if err != nil {
		return nil, fmt.Errorf("index cache: %w", err)
	}
	return &Dir{Path: filepath.Join(d, "faultline", "index")}, nil
}

// ErrDamaged is wrapped by Load's error for a file that fails its checks.
var ErrDamaged = errors.New("damaged index file")

// fileName is the file for key: build ids and content hashes are hex;
// anything else (a damaged note) falls back to the content hash.
func fileName(key elfsym.IndexKey) string {
	part := ""
	if key.Part != "" {
		part = "." + key.Part
	}
	if key.BuildID != "" && isHex(key.BuildID) && len(key.BuildID) <= 128 {
		return "b-" + key.BuildID + part + ".idx"
	}
	return "s-" + key.Content + part + ".idx"
}

// validPart accepts the lower-case part names elfsym uses, so a part
// never names a path.
func validPart(p string) bool {
	return strings.Trim(p, "abcdefghijklmnopqrstuvwxyz") == "" && len(p) <= 16
}

func isHex(s string) bool {
	return strings.Trim(strings.ToLower(s), "0123456789abcdef") == ""
}

// File returns the file an index for key is kept in.
func (d *Dir) File(key elfsym.IndexKey) string { return filepath.Join(d.Path, fileName(key)) }

// Load returns the saved index for key: nil and no error when there is
// none or it is stale (another build or version under the same name), nil
// and an error wrapping ErrDamaged when the file fails its checks.
func (d *Dir) Load(key elfsym.IndexKey) ([]byte, error) {
	if !isHex(key.Content) || key.Content == "" || !validPart(key.Part) {
		return nil, fmt.Errorf("index cache: bad key %+v", key)
	}
	p := d.File(key)
	// Mapped, not read: a large firmware's index is megabytes, and a
	// lookup touches a few pages of it.
	b, mapped, st, err := mapFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("index cache: %w", err)
	}
	// The payload's CRC is checked once per file: files are replaced by
	// rename, never written in place, so one whose stat is unchanged since
	// its check (remembered like an ELF's content hash) needs none; damage
	// by anything else moves its mtime or ctime. A check reads every page
	// of a file mapped so that lookups read only a few.
	var id elfsym.FileIdentity
	if st != nil {
		id = elfsym.FileIdentityOf(st)
	}
	checked := ""
	if id != (elfsym.FileIdentity{}) {
		checked = d.LoadContent(id)
	}
	before := time.Now()
	h, payload, sum, err := parse(b, checked)
	if err == nil && h != header(key) {
		payload = nil // stale
	}
	if err != nil || len(payload) == 0 {
		if mapped {
			unmap(b)
		}
		if err != nil {
			return nil, fmt.Errorf("index cache: %s: %w", p, err)
		}
		return nil, nil
	}
	if sum != checked && id != (elfsym.FileIdentity{}) && !changedWithin(id, before) {
		_ = d.StoreContent(id, sum)
	}
	if mapped {
		d.mu.Lock()
		if d.mapped == nil {
			d.mapped = map[*byte][]byte{}
		}
		d.mapped[&payload[0]] = b
		d.mu.Unlock()
	}
	// Eviction removes the least recently used: a hit counts as a use. Only
	// now and then, though: touching changes the file's stat, and with it
	// the remembered check, so touching on every hit would mean a CRC of
	// the whole file on every hit. Ten minutes ago is as recent as
	// eviction needs to know.
	if st == nil || time.Since(st.ModTime()) > touchAfter {
		now := time.Now()
		_ = os.Chtimes(p, now, now)
	}
	return payload, nil
}

// Release unmaps data returned by Load (elfsym.IndexReleaser): elfsym
// calls it when the image using it is garbage, or at once when it decoded
// everything it needs. Data not from Load is ignored.
func (d *Dir) Release(data []byte) {
	if len(data) == 0 {
		return
	}
	d.mu.Lock()
	m, ok := d.mapped[&data[0]]
	delete(d.mapped, &data[0])
	d.mu.Unlock()
	if ok {
		unmap(m)
	}
}

// keyHeader is what a file's header must say for key.
type keyHeader struct {
	format, version        uint32
	buildID, content, part string
}

func header(key elfsym.IndexKey) keyHeader {
	return keyHeader{format: FormatVersion, version: uint32(key.Version), buildID: key.BuildID, content: key.Content, part: key.Part}
}

// encode returns the file for payload under key and the payload's CRC.
func encode(key elfsym.IndexKey, payload []byte) ([]byte, uint32) {
	h := header(key)
	b := make([]byte, 0, 64+len(h.buildID)+len(h.content)+len(payload))
	b = append(b, magic...)
	b = binary.LittleEndian.AppendUint32(b, h.format)
	b = binary.LittleEndian.AppendUint32(b, h.version)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(h.buildID)))
	b = append(b, h.buildID...)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(h.content)))
	b = append(b, h.content...)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(h.part)))
	b = append(b, h.part...)
	sum := crc32.ChecksumIEEE(payload)
	b = binary.LittleEndian.AppendUint64(b, uint64(len(payload)))
	b = binary.LittleEndian.AppendUint32(b, sum)
	return append(b, payload...), sum
}

// parse returns b's header, payload and payload CRC (hex); the CRC is
// computed and compared unless it is checked, a CRC already compared.
func parse(b []byte, checked string) (keyHeader, []byte, string, error) {
	var h keyHeader
	if !bytes.HasPrefix(b, []byte(magic)) {
		return h, nil, "", fmt.Errorf("%w: no header", ErrDamaged)
	}
	b = b[len(magic):]
	if len(b) < 8 {
		return h, nil, "", fmt.Errorf("%w: header cut short", ErrDamaged)
	}
	h.format, h.version = binary.LittleEndian.Uint32(b), binary.LittleEndian.Uint32(b[4:])
	b = b[8:]
	if h.format != FormatVersion {
		return h, nil, "", nil // another layout: stale, not damaged
	}
	str := func() (string, bool) {
		if len(b) < 2 {
			return "", false
		}
		n := int(binary.LittleEndian.Uint16(b))
		if len(b) < 2+n {
			return "", false
		}
		s := string(b[2 : 2+n])
		b = b[2+n:]
		return s, true
	}
	var ok1, ok2, ok3 bool
	h.buildID, ok1 = str()
	h.content, ok2 = str()
	h.part, ok3 = str()
	if !ok1 || !ok2 || !ok3 || len(b) < 12 {
		return h, nil, "", fmt.Errorf("%w: header cut short", ErrDamaged)
	}
	n, sum := binary.LittleEndian.Uint64(b), binary.LittleEndian.Uint32(b[8:])
	payload := b[12:]
	if uint64(len(payload)) != n {
		return h, nil, "", fmt.Errorf("%w: payload is %d bytes, header says %d", ErrDamaged, len(payload), n)
	}
	hex := crcHex(sum)
	if hex != checked && crc32.ChecksumIEEE(payload) != sum {
		return h, nil, "", fmt.Errorf("%w: checksum mismatch", ErrDamaged)
	}
	return h, payload, hex, nil
}

// crcHex formats a CRC as %08x does (without fmt: this runs on every
// warm open).
func crcHex(sum uint32) string {
	var b [8]byte
	const digits = "0123456789abcdef"
	for i := range b {
		b[i] = digits[sum>>(28-4*i)&0xf]
	}
	return string(b[:])
}

// Store saves data as the index for key, replacing any file for it, then
// trims the directory to MaxBytes. An index larger than MaxBytes on its own
// is not kept.
func (d *Dir) Store(key elfsym.IndexKey, data []byte) error {
	if !isHex(key.Content) || key.Content == "" || !validPart(key.Part) {
		return fmt.Errorf("index cache: bad key %+v", key)
	}
	b, sum := encode(key, data)
	if int64(len(b)) > d.maxBytes() {
		return fmt.Errorf("index cache: index of %d bytes exceeds the cache bound of %d", len(b), d.maxBytes())
	}
	old, _ := os.Stat(d.File(key))
	st, err := d.writeAtomic(fileName(key), b)
	if err != nil {
		return err
	}
	if old != nil && (st == nil || !os.SameFile(old, st)) {
		// The replaced file's remembered check describes nothing now.
		if id := elfsym.FileIdentityOf(old); id != (elfsym.FileIdentity{}) {
			os.Remove(filepath.Join(d.Path, identName(id)))
		}
	}
	// The file just written holds the payload whose CRC is sum: it is
	// remembered as checked at once. Otherwise a file changed within the
	// racy window is checked on every load (see Load), and runs again at
	// once (a script symbolizing line after line) each read all of a large
	// firmware's index, a millisecond, for its first seconds. What the
	// window guards against, a change in place within the timestamp tick
	// of the stat, would here take a writer in place (nothing writes index
	// files in place) in the tick of the rename: accepted, as damage after
	// a check is.
	if st != nil {
		if id := elfsym.FileIdentityOf(st); id != (elfsym.FileIdentity{}) {
			_ = d.StoreContent(id, crcHex(sum))
		}
	}
	return d.trim(fileName(key))
}

func (d *Dir) maxBytes() int64 {
	if d.MaxBytes > 0 {
		return d.MaxBytes
	}
	return DefaultMaxBytes
}

// trim removes least recently used index files until the directory is
// within MaxBytes, sparing keep (the file just written), the oldest first
// sight marks beyond maxMarks, and temporary and lock files left by killed
// writers and builders.
func (d *Dir) trim(keep string) error {
	ents, err := os.ReadDir(d.Path)
	if err != nil {
		return fmt.Errorf("index cache: %w", err)
	}
	type file struct {
		name string
		size int64
		mod  time.Time
	}
	var files, marks []file
	var total int64
	for _, e := range ents {
		info, err := e.Info()
		if err != nil || !info.Mode().IsRegular() {
			continue // removed by another run meanwhile
		}
		name := e.Name()
		if strings.HasPrefix(name, ".tmp-") {
			if time.Since(info.ModTime()) > staleTemp {
				os.Remove(filepath.Join(d.Path, name))
			}
			continue
		}
		if strings.HasSuffix(name, lockSuffix) {
			// A builder's lock file goes with its build; one left by a
			// killed builder goes once old (and free).
			if p := filepath.Join(d.Path, name); time.Since(info.ModTime()) > staleTemp && !locked(p) {
				os.Remove(p)
			}
			continue
		}
		if strings.HasSuffix(name, markSuffix) {
			marks = append(marks, file{name, 0, info.ModTime()})
			continue
		}
		if !strings.HasSuffix(name, ".idx") && !strings.HasSuffix(name, identSuffix) {
			continue
		}
		files = append(files, file{name, info.Size(), info.ModTime()})
		total += info.Size()
	}
	byAge := func(a, b file) int { return a.mod.Compare(b.mod) }
	// Marks are empty: bounded by count, the oldest going first.
	if len(marks) > maxMarks {
		slices.SortFunc(marks, byAge)
		for _, m := range marks[:len(marks)-maxMarks] {
			os.Remove(filepath.Join(d.Path, m.name))
		}
	}
	slices.SortFunc(files, byAge)
	for _, f := range files {
		if total <= d.maxBytes() {
			break
		}
		if f.name == keep {
			continue
		}
		if err := os.Remove(filepath.Join(d.Path, f.name)); err == nil || errors.Is(err, os.ErrNotExist) {
			total -= f.size
		}
	}
	return nil
}
