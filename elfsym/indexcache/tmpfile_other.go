//go:build !linux

package indexcache

import (
	"errors"
	"os"
)

var errNoUnnamed = errors.New("no unnamed files here")

// Unnamed files are Linux's (O_TMPFILE): elsewhere writers use named
// temporary files.

func createUnnamed(string) (*os.File, error) { return nil, errNoUnnamed }

func linkUnnamed(*os.File, string) error { return errNoUnnamed }
