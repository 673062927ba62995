package bench

import (
	"testing"

	"github.com/faultline-dev/faultline/elfsym/elfsymtest"
)

// The sessions these tests start index the firmware with the per-user
// index cache, as `faultline demo` does: in a directory of the run's own.
func TestMain(m *testing.M) { elfsymtest.MainWithPrivateUserCache(m) }
