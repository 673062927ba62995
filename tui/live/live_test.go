package live

import (
	"context"
	"testing"
	"time"

	"github.com/faultline-dev/faultline/capture"
	"github.com/faultline-dev/faultline/probe"
)

// TestAttachCompletesASavedFirstLook: in the TUI, a first look the user
// saved is rewritten in place with the whole capture when it comes; an
// unsaved one, or another crash's, is left alone.
func TestAttachCompletesASavedFirstLook(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	snap := func(at time.Time, ram int, missing ...string) *capture.Snapshot {
		return &capture.Snapshot{
			Registers: map[string]uint32{"pc": 0x08000100, "sp": 0x20000f00},
			Memory:    []capture.Region{{Addr: 0x20000000, Data: make([]byte, ram), Name: "ram"}},
			Meta:      capture.Meta{Schema: capture.SchemaV1, CapturedAt: at, Missing: missing},
		}
	}
	tests := []struct {
		name             string
		save             bool
		wholeAt          time.Time
		wantPath, update bool
	}{
		{"saved first look", true, at, true, true},
		{"unsaved first look", false, at, false, true},
		{"another crash", true, at.Add(time.Second), false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := &backend{dir: t.TempDir()}
			b.snap, b.partial = snap(at, 256, "ram 0x20000100..0x20001000: "+probe.PendingMemoryNote), true
			saved := ""
			if tc.save {
				var err error
				if saved, err = b.SaveCapture(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			path, update, err := b.whole(snap(tc.wholeAt, 4096))
			if err != nil {
				t.Fatal(err)
			}
			if (path != "") != tc.wantPath || update != tc.update {
				t.Fatalf("whole() = %q, %v; want a path: %v, update %v", path, update, tc.wantPath, tc.update)
			}
			if saved == "" {
				return
			}
			onDisk, err := capture.Read(saved)
			if err != nil {
				t.Fatal(err)
			}
			r, _ := onDisk.Region("ram")
			wantLen := 256
			if tc.wantPath {
				wantLen = 4096
			}
			if len(r.Data) != wantLen || (tc.wantPath && len(onDisk.Meta.Missing) != 0) {
				t.Errorf("file on disk: %d bytes of RAM, missing %q; want %d", len(r.Data), onDisk.Meta.Missing, wantLen)
			}
		})
	}
}
