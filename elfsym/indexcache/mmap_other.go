//go:build !unix

package indexcache

import (
	"fmt"
	"os"
)

func mapFile(path string) ([]byte, bool, os.FileInfo, error) {
	b, err := os.ReadFile(path)
	return b, false, nil, err
}

func unmap([]byte) {}

// readSmall returns the contents of the file at path, an error if it is
// longer than max bytes.
func readSmall(path string, max int) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err == nil && len(b) > max {
		return nil, fmt.Errorf("%s: longer than %d bytes", path, max)
	}
	return b, err
}
