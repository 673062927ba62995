//go:build !unix

package plainfile

import "os"

// Open opens path read-only (os.Open).
func Open(path string) (*os.File, error) { return os.Open(path) }
