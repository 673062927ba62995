package gdbremote

import "testing"

// TestStubFromFeaturesOfLoggedSessions: qSupported replies as the servers
// sent them in logged sessions or as their source builds them.
func TestStubFromFeaturesOfLoggedSessions(t *testing.T) {
	tests := []struct {
		from, reply string
		want        Stub
	}{
		{"J-Link V7, cortex-debug issue 450", "PacketSize=4000;qXfer:memory-map:read-;QStartNoAckMode+;hwbreak+;qXfer:features:read+", StubJLink},
		{"pyOCD gdbserver.py", "qXfer:features:read+;QStartNoAckMode+;qXfer:threads:read+;QNonStop+;PacketSize=800;qXfer:memory-map:read+", StubPyOCD},
		{"Black Magic v1.7 BMDA, blackmagic issue 903", "PacketSize=400;qXfer:memory-map:read+;qXfer:features:read+", StubBlackMagic},
		{"Black Magic, blackmagic issue 1712", "PacketSize=400;qXfer:memory-map:read+;qXfer:features:read+;vContSupported+", StubBlackMagic},
		{"Black Magic main gdb_main.c", "PacketSize=400;qXfer:memory-map:read+;qXfer:features:read+;vContSupported+;QStartNoAckMode+", StubBlackMagic},
		{"st-util gdb-server.c", "PacketSize=3fff;qXfer:memory-map:read+;qXfer:features:read+", StubSTUtil},
		{"OpenOCD (FACTS.md)", "PacketSize=4000;qXfer:memory-map:read-;qXfer:features:read+;qXfer:threads:read+;QStartNoAckMode+;vContSupported+", StubUnknown},
		{"QEMU 7.2 (FACTS.md)", "PacketSize=1000;qXfer:features:read+;vContSupported+;multiprocess+", StubUnknown},
	}
	for _, tc := range tests {
		t.Run(tc.from, func(t *testing.T) {
			feats, _, err := ParseSupported(tc.reply)
			if err != nil {
				t.Fatal(err)
			}
			if got := stubFromFeatures(feats); got != tc.want {
				t.Errorf("stubFromFeatures = %v, want %v", got, tc.want)
			}
		})
	}
}
