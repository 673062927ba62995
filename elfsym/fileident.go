package elfsym

import (
	"fmt"
	"os"
	"time"
)

// A FileIdentity is what stat says about a file: its device and inode,
// size, and modification and change times in nanoseconds. Any write to the
// file, or a rename over it, changes one of them (a touch that restores
// the mtime still moves ctime), so a content hash computed for one
// identity holds while stat keeps saying the same, as git's index and
// ccache assume. The zero value means unknown: the hash is then computed.
type FileIdentity struct {
	Dev, Ino         uint64
	Size             int64
	MtimeNs, CtimeNs int64
}

// A ContentMemo is an IndexCache that remembers content hashes by file
// identity, so a cached index is found without reading the whole ELF
// (a CRC of 25 MB costs more than the lookups it serves). LoadContent
// returns "" when it has nothing for id.
type ContentMemo interface {
	LoadContent(id FileIdentity) string
	StoreContent(id FileIdentity, content string) error
}

// racyWindow is how long after a file's last change its hash is not
// remembered: a write landing in the same timestamp tick as the one the
// hash saw would leave stat unchanged (git's "racily clean" entries).
// Filesystem timestamps are at worst a couple of seconds coarse.
var racyWindow = 3 * time.Second

// FileIdentityOf returns st's identity, the zero value where the platform's
// stat lacks inode or change time.
func FileIdentityOf(st os.FileInfo) FileIdentity { return statIdentity(st) }

// memoContent returns the content hash from c's memo when id is known and
// remembered there, "" otherwise.
func memoContent(c IndexCache, id FileIdentity) string {
	m, ok := c.(ContentMemo)
	if !ok || id == (FileIdentity{}) {
		return ""
	}
	return m.LoadContent(id)
}

// rememberContent stores content for id in c's memo unless the file
// changed too recently (before is when hashing started) for its stat to
// be trusted.
func rememberContent(c IndexCache, id FileIdentity, content string, before time.Time) {
	m, ok := c.(ContentMemo)
	if !ok || id == (FileIdentity{}) {
		return
	}
	if id.ChangedWithin(before, racyWindow) {
		return
	}
	_ = m.StoreContent(id, content) // best effort, like the index itself
}

// ChangedWithin reports whether the file changed (mtime or ctime) less
// than d before t: a hash or check made at t may then have missed a write
// landing in the same timestamp tick, which stat would not show.
func (id FileIdentity) ChangedWithin(t time.Time, d time.Duration) bool {
	limit := t.Add(-d).UnixNano()
	return id.CtimeNs >= limit || id.MtimeNs >= limit
}

// partSeenIdent marks an ELF opened lazily before by its file identity,
// for a first open, which has no content hash (see NewImageWith). It only
// decides whether the next open builds the whole index, never an answer,
// so a file that changed without its stat showing it costs time at worst.
const partSeenIdent = "seenid"

// identKey is the key of the identity mark, ok false without a cache or a
// known identity.
func (im *Image) identKey() (k IndexKey, ok bool) {
	id := im.ident
	if im.cache == nil || id == (FileIdentity{}) {
		return IndexKey{}, false
	}
	// Hex like a content hash, and longer than one, so the two never meet.
	tok := fmt.Sprintf("%016x%016x%016x%016x%016x", id.Dev, id.Ino, uint64(id.Size), uint64(id.MtimeNs), uint64(id.CtimeNs))
	return IndexKey{BuildID: im.buildID, Content: tok, Version: IndexVersion, Part: partSeenIdent}, true
}

// A SightMemo is an IndexCache that keeps a first open's mark itself, by
// file identity, more cheaply than as a saved part (a first run writes
// it, and a small firmware's first run takes a few milliseconds in all).
// Sighted reports whether MarkSighted was called for id.
type SightMemo interface {
	Sighted(id FileIdentity) bool
	MarkSighted(id FileIdentity) error
}

// firstSight reports whether the cache knows nothing of this file: no
// content hash remembered for its identity and no identity mark. A hash
// it remembers is kept for contentKey.
func (im *Image) firstSight() bool {
	k, ok := im.identKey()
	if !ok {
		return false
	}
	if h := memoContent(im.cache, im.ident); h != "" {
		im.content.once.Do(func() { im.content.hex = h })
		return false
	}
	if m, ok := im.cache.(SightMemo); ok {
		return !m.Sighted(im.ident)
	}
	data, err := im.cache.Load(k)
	if data != nil {
		release(im.cache, data)
	}
	return err == nil && data == nil
}

// seenUnhashed reports, after firstSight said false, whether that was for
// a first open's mark alone, with no content hash remembered for the
// file's identity: a cache that keeps marks and hashes itself, as
// indexcache does, says so without reading the file. A file changed
// within the racy window does not count: no hash of it is remembered
// yet however often it was hashed (rememberContent), so the absence
// says nothing.
func (im *Image) seenUnhashed() bool {
	_, memo := im.cache.(ContentMemo)
	_, marks := im.cache.(SightMemo)
	return memo && marks && im.ident != (FileIdentity{}) && im.content.hex == "" &&
		!im.ident.ChangedWithin(time.Now(), racyWindow)
}

// seenByIdentity reports whether a first open left its mark.
func (im *Image) seenByIdentity() bool {
	k, ok := im.identKey()
	if !ok {
		return false
	}
	if m, ok := im.cache.(SightMemo); ok {
		return m.Sighted(im.ident)
	}
	data, _ := im.cache.Load(k)
	if data != nil {
		release(im.cache, data)
	}
	return data != nil
}

// markSeenByIdentity leaves a first open's mark (best effort, like the
// index: a mark that cannot be written costs the next open time).
func (im *Image) markSeenByIdentity() {
	if k, ok := im.identKey(); ok {
		if m, ok := im.cache.(SightMemo); ok {
			_ = m.MarkSighted(im.ident)
			return
		}
		w := &idxWriter{st: strtab{idx: map[string]uint32{}}}
		_ = im.cache.Store(k, w.bytes())
	}
}
