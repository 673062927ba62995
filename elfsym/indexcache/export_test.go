package indexcache

import "time"

// SetRacyWindow sets racyWindow and returns a function restoring it:
// tests check files written just now.
func SetRacyWindow(d time.Duration) (restore func()) {
	old := racyWindow
	racyWindow = d
	return func() { racyWindow = old }
}
