package main

import (
	"github.com/spf13/pflag"

	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/elfsym/indexcache"
)

// addNoCacheFlag adds --no-cache, the same on every command that loads an
// ELF.
func addNoCacheFlag(fl *pflag.FlagSet, p *bool) {
	fl.BoolVar(p, "no-cache", false, "neither read nor write the saved ELF index (in the user cache dir, faultline/index): index the ELF from scratch")
}

// openImage is the one place commands load a firmware ELF: lazily (DWARF
// read unit by unit as lookups need it), with the per-user index cache so
// a firmware used again is indexed once however many times it is
// symbolized or analysed, unless noCache. A cache that cannot be found or
// written costs time, never an answer.
func openImage(path string, noCache bool) (*elfsym.Image, error) {
	opts := elfsym.Options{Lazy: true}
	if !noCache {
		if c, err := indexcache.Default(); err == nil {
			opts.Cache = c
		}
	}
	return elfsym.OpenWith(path, opts)
}
