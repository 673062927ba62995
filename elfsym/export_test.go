package elfsym

import "time"

// SetRacyWindow sets how recently changed a file's hash is not remembered
// (see racyWindow) and returns a function restoring it: tests copy an ELF
// and cannot wait seconds for it to age.
func SetRacyWindow(d time.Duration) (restore func()) {
	old := racyWindow
	racyWindow = d
	return func() { racyWindow = old }
}
