//go:build !unix

package indexcache

import "os"

func mapFile(path string) ([]byte, bool, error) {
	b, err := os.ReadFile(path)
	return b, false, err
}

func unmap([]byte) {}
