package probe

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/faultline-dev/faultline/capture/crashcatcher"
)

// TestCollectDumpGathersTheHexDumpBlock feeds what CrashCatcher's HexDump
// printed in QEMU through a pty: part of the block is in the scrollback
// when collection starts, the rest arrives later; the collected text
// decodes to the same dump as the whole file.
func TestCollectDumpGathersTheHexDumpBlock(t *testing.T) {
	raw, err := os.ReadFile("../capture/crashcatcher/testdata/crashlab-mps2-an385.txt")
	if err != nil {
		t.Fatal(err)
	}
	text := string(raw)
	end := strings.Index(text, "End of dump")
	tests := []struct {
		name    string
		send    string // everything the device prints
		wantErr string
	}{
		{"whole dump", text, ""},
		{"device dies mid-dump", text[:strings.LastIndex(text[:end*2/3], "\n")+1], "silent"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, path := newPTY(t)
			c := openTestConsole(t, path, ConsoleOptions{})
			split := strings.Index(tc.send, "CRASH ENCOUNTERED") + 200
			if _, err := m.WriteString(tc.send[:split]); err != nil {
				t.Fatal(err)
			}
			var start Line
			waitFor(t, "the crash line", 10*time.Second, func() bool {
				for _, l := range c.Lines() {
					if crashcatcher.IsStart(l.Text) {
						start = l
						return true
					}
				}
				return false
			})
			go func() {
				time.Sleep(50 * time.Millisecond)
				m.WriteString(tc.send[split:])
			}()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			got, err := CollectDump(ctx, c, start, crashcatcher.IsEnd, 500*time.Millisecond)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want one saying %q", err, tc.wantErr)
				}
				if _, derr := crashcatcher.DecodeHex(got); derr == nil {
					t.Error("a cut dump decoded without complaint")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			snap, err := crashcatcher.DecodeHex(got)
			if err != nil {
				t.Fatal(err)
			}
			whole, err := crashcatcher.DecodeHex(text)
			if err != nil {
				t.Fatal(err)
			}
			if len(snap.Memory) != len(whole.Memory) || snap.Registers["pc"] != whole.Registers["pc"] || snap.Registers["sp"] != whole.Registers["sp"] {
				t.Errorf("collected dump differs from the printed one: %d regions pc %#x, want %d regions pc %#x",
					len(snap.Memory), snap.Registers["pc"], len(whole.Memory), whole.Registers["pc"])
			}
		})
	}
}

// TestConsoleWriteReachesTheDevice: what faultline writes (HexDump's
// "press any key") arrives at the device end, and a closed console says
// it cannot write.
func TestConsoleWriteReachesTheDevice(t *testing.T) {
	m, path := newPTY(t)
	c := openTestConsole(t, path, ConsoleOptions{})
	if _, err := c.Write([]byte("\r")); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 8)
	m.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, err := m.Read(got)
	if err != nil || n != 1 || got[0] != '\r' {
		t.Fatalf("device read %q, %v; want the carriage return", got[:n], err)
	}
	c.Close()
	if _, err := c.Write([]byte("\r")); err == nil || !strings.Contains(err.Error(), "not connected") {
		t.Errorf("write after Close: %v, want not connected", err)
	}
}
