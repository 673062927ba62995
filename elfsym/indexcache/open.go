package indexcache

import "github.com/faultline-dev/faultline/elfsym"

// Open is how faultline loads a firmware ELF: lazily (DWARF read unit by
// unit as lookups need it), with the per-user cache (Default) so a
// firmware used again is indexed once however many times it is symbolized
// or analysed, unless noCache (--no-cache). A cache that cannot be found
// or written costs time, never an answer.
func Open(path string, noCache bool) (*elfsym.Image, error) {
	opts := elfsym.Options{Lazy: true}
	if !noCache {
		if c, err := Default(); err == nil {
			opts.Cache = c
			if background.Load() {
				opts.Builder = c // see ServeBackground
			}
		}
	}
	return elfsym.OpenWith(path, opts)
}
