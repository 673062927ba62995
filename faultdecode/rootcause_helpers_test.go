package faultdecode

import (
	"github.com/faultline-dev/faultline/capture"
	"github.com/faultline-dev/faultline/elfsym"
)

// analyzeForTest is Analyze; the root-cause tests call it by this name.
func analyzeForTest(snap *capture.Snapshot, img *elfsym.Image) *Report {
	return Analyze(snap, img)
}
