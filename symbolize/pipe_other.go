//go:build !linux

package symbolize

import "os"

// GrowPipe enlarges the pipe f writes to where the platform can (Linux).
func GrowPipe(*os.File) {}
