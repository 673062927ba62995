package elfsym

import "time"

// SetRacyWindow sets how recently changed a file's hash is not remembered
// (see racyWindow) and returns a function restoring it: tests copy an ELF
// and cannot wait seconds for it to age.
func SetRacyWindow(d time.Duration) (restore func()) {
	old := racyWindow
	racyWindow = d
	return func() { racyWindow = old }
}

// IsLazy reports whether im indexes DWARF unit by unit.
func (im *Image) IsLazy() bool { return im.lazy != nil }

// ContentHashed reports whether im has its content hash (computed or
// remembered).
func (im *Image) ContentHashed() bool { return im.content.hex != "" }

// LazyUnits says how many of a lazy image's units are built, of how many.
func (im *Image) LazyUnits() (built, total int) {
	if im.lazy == nil {
		return 0, 0
	}
	for _, h := range im.lazy.merged.Load().have {
		if h {
			built++
		}
	}
	return built, len(im.lazy.units)
}
