package indexcache

import "time"

// SetRacyWindow sets racyWindow and returns a function restoring it:
// tests check files written just now.
func SetRacyWindow(d time.Duration) (restore func()) {
	old := racyWindow
	racyWindow = d
	return func() { racyWindow = old }
}

// SetMarkBounds sets maxMarks and markTrimEvery and returns a function
// restoring them: tests bound a handful of marks and trim on every one.
func SetMarkBounds(max, trimEvery int) (restore func()) {
	oldMax, oldEvery := maxMarks, markTrimEvery
	maxMarks, markTrimEvery = max, trimEvery
	return func() { maxMarks, markTrimEvery = oldMax, oldEvery }
}
