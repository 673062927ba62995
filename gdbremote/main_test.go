package gdbremote_test

import (
	"testing"

	"go.uber.org/goleak"
)

// The client starts no goroutines of its own and the fakes stop theirs at
// Close: nothing may outlive the tests.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
