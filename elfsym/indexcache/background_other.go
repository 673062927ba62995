//go:build !linux

package indexcache

import "os"

// Builders run on Linux only (they need flock, setsid and /proc/self/exe):
// elsewhere the run that asks builds the index itself.

func startBuilder(*Dir, string, string) (func(), bool) { return nil, false }

func waitForGo() {}

func holdLock(string, string) (*os.File, bool) { return nil, false }

func startedByBuildIndex() bool { return false }

func locked(string) bool { return false }

func lowerPriority() {}
