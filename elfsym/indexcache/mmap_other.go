//go:build !unix

package indexcache

import "os"

func mapFile(path string) ([]byte, bool, os.FileInfo, error) {
	b, err := os.ReadFile(path)
	return b, false, nil, err
}

func unmap([]byte) {}
