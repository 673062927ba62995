package coreserver

import (
	"testing"

	"go.uber.org/goleak"
)

// Every connection goroutine ends with Serve.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
