package elfsym_test

import (
	"reflect"
	"testing"

	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/elfsym/elfsymtest"
)

// TestAppendFramesIsFramesAppended: AppendFrames into a reused slice gives
// what Frames gives, after whatever dst held, for code, data and
// unmapped addresses alike.
func TestAppendFramesIsFramesAppended(t *testing.T) {
	im, _ := elfsymtest.OpenBuilt(t, elfsymtest.Sample, elfsym.Open)
	mark := elfsym.Frame{Function: "mark"}
	var buf []elfsym.Frame
	checked := 0
	for _, s := range im.Symbols() {
		for _, a := range []uint64{s.Addr, s.Addr + 2, s.Addr + s.Size/2, 0xfffffff0} {
			want := im.Frames(a)
			buf = im.AppendFrames(buf[:0], a)
			if !reflect.DeepEqual(buf, want) && !(len(buf) == 0 && len(want) == 0) {
				t.Fatalf("%#x: AppendFrames %+v, Frames %+v", a, buf, want)
			}
			got := im.AppendFrames([]elfsym.Frame{mark}, a)
			if got[0] != mark || len(got) != 1+len(want) {
				t.Fatalf("%#x: AppendFrames after a frame gave %+v", a, got)
			}
			if len(want) > 1 {
				checked++
			}
		}
	}
	if checked == 0 {
		t.Fatal("no address with inlined frames was compared")
	}
}
