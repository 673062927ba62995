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

// SetMidWrite sets a function called when a write's temporary file is
// made, before the data is written, and returns a function removing it.
func SetMidWrite(f func(dir string)) (restore func()) {
	old := midWrite
	midWrite = f
	return func() { midWrite = old }
}

// SetNamedOnly makes writes use named temporary files, as where the system
// has no unnamed ones, and returns a function undoing it.
func SetNamedOnly() (restore func()) {
	namedOnly = true
	return func() { namedOnly = false }
}

// BuilderArg is what a builder's first argument is: tests find builders
// among the processes by it.
const BuilderArg = builderArg
