//go:build !linux

package indexcache

import "os"

// Builders run on Linux only (they need flock, setsid and /proc/self/exe):
// elsewhere the run that asks builds the index itself.

func startBuilder(*Dir, string, string) bool { return false }

func holdLock() (os.FileInfo, bool) { return nil, false }

func locked(string) bool { return false }

func lowerPriority() {}
