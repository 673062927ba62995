package soak_test

import (
	"testing"

	"github.com/faultline-dev/faultline/elfsym/elfsymtest"
)

// The bench sessions these tests start index the firmware with the per-user
// index cache, as `faultline soak` does: in a directory of the run's own.
func TestMain(m *testing.M) { elfsymtest.MainWithPrivateUserCache(m) }
