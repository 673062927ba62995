package faultdecode

import (
	"encoding/binary"
	"testing"

	"github.com/faultline-dev/faultline/faultdecode/fault"
	"github.com/faultline-dev/faultline/faultdecode/internal/fdtest"
	"github.com/faultline-dev/faultline/faultdecode/report"
)

func TestGlobalObjectWithOverwrittenVptr(t *testing.T) {
	snap, img := fdtest.BigDataSnapshot(t, 30)
	snap.Registers = map[string]uint32{"pc": 0xfffffff0, "sp": 0x2001ff00, "lr": 0x00000101, "xpsr": 0x01000000}
	snap.Memory = append(snap.Memory, fdtest.SCBRegion(map[uint64]uint32{fault.AddrCFSR: 1, fault.AddrHFSR: 1 << 30}))
	rep := analyzeForTest(snap, img)
	if hasFinding(rep, report.FindCorruptVtable, "") {
		t.Fatalf("corrupt-vtable on sound objects:\n%s", findingList(rep))
	}
	v, ok := img.LookupVariable("sub4")
	if !ok {
		t.Fatal("no sub4")
	}
	binary.LittleEndian.PutUint32(snap.Memory[0].Data[v.Addr-0x20000000:], 0x41414141)
	rep = analyzeForTest(snap, img)
	if !hasFinding(rep, report.FindCorruptVtable, "the global Sub object sub4") {
		t.Errorf("no corrupt-vtable finding for sub4:\n%s", findingList(rep))
	}
}
