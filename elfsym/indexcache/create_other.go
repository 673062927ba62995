//go:build !unix

package indexcache

import (
	"errors"
	"io/fs"
	"os"
)

// createEmpty creates an empty file at path unless one is there already
// (no error then).
func createEmpty(path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return f.Close()
}
