package faultdecode

import (
	"github.com/faultline-dev/faultline/capture"
	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/faultdecode/report"
)

// analyzeForTest is Analyze; the root-cause tests call it by this name.
func analyzeForTest(snap *capture.Snapshot, img *elfsym.Image) *report.Report {
	return Analyze(snap, img)
}
