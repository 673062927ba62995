package elfsym

import (
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
