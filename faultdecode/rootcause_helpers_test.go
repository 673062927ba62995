package faultdecode

import (
	"github.com/faultline-dev/faultline/capture"
	"github.com/faultline-dev/faultline/elfsym"
)

// analyzeForTest is Analyze with the root-cause pass, until Analyze
// runs it itself.
func analyzeForTest(snap *capture.Snapshot, img *elfsym.Image) *Report {
	a := &analysis{snap: snap, img: img}
	a.rep = &Report{Schema: Schema, Registers: map[string]string{}, Frames: []ReportFrame{}, Findings: []Finding{}}
	a.rep.Fault.Registers = map[string]string{}
	a.core = ForCore(coreName(snap))
	a.ram = ramRanges(snap)
	a.elfInfo()
	a.decodeFault()
	a.faultingContext()
	a.unwind()
	a.reportFrames()
	a.findings()
	a.rep.Fault.Summary = a.summary()
	a.rootCause()
	return a.rep
}
