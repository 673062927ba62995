package fault

import "testing"

// FuzzReadExceptionFrame checks frame decoding on arbitrary bytes.
func FuzzReadExceptionFrame(f *testing.F) {
	f.Add(make([]byte, 0x68), uint32(0xFFFFFFE9))
	f.Add(make([]byte, 0x20), uint32(0xFFFFFFF9))
	f.Fuzz(func(t *testing.T, data []byte, er uint32) {
		fr, err := ReadExceptionFrame(sliceMem{0x20000000, data}, 0x20000000, ExcReturn(er))
		if err != nil {
			return
		}
		if fr.Size != ExcReturn(er).FrameSize() && fr.Size != ExcReturn(er).FrameSize()+4 {
			t.Fatalf("size %#x for EXC_RETURN 0x%08x", fr.Size, er)
		}
	})
}
