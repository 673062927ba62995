package emu

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func mustFrame(t testing.TB, f Frame) []byte {
	t.Helper()
	b, err := AppendFrame(nil, f)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestFrameReaderRoundTripsAndResyncs(t *testing.T) {
	data := Frame{Type: FrameData, Conn: 3, Payload: []byte("GET / HTTP/1.1\r\n\x7e\x7e")}
	up := Frame{Type: FrameLinkUp}
	bad := mustFrame(t, Frame{Type: FrameSend, Conn: 1, Payload: []byte("xyz")})
	bad[len(bad)-1] ^= 0xFF // corrupt checksum
	tests := []struct {
		name    string
		stream  []byte
		want    []Frame
		skipped bool
	}{
		{"one frame", mustFrame(t, data), []Frame{data}, false},
		{"empty payload", mustFrame(t, up), []Frame{{Type: FrameLinkUp}}, false},
		{"garbage before", append([]byte("boot noise"), mustFrame(t, up)...), []Frame{{Type: FrameLinkUp}}, true},
		{"bad checksum skipped", append(bad, mustFrame(t, data)...), []Frame{data}, true},
		{"too long a length", append([]byte{FrameSOF, 1, 0, 0xFF, 0xFF}, mustFrame(t, data)...), []Frame{data}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fr := NewFrameReader(bytes.NewReader(tt.stream))
			var got []Frame
			for {
				f, err := fr.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, f)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("frames (-want +got):\n%s", d)
			}
			if (fr.Skipped > 0) != tt.skipped {
				t.Errorf("skipped %d bytes, want skipping=%v", fr.Skipped, tt.skipped)
			}
		})
	}
}

func TestAppendFrameRejectsLongPayload(t *testing.T) {
	if _, err := AppendFrame(nil, Frame{Type: FrameSend, Payload: make([]byte, MaxPayload+1)}); !errors.Is(err, ErrPayloadTooLong) {
		t.Fatalf("err = %v, want ErrPayloadTooLong", err)
	}
}

func FuzzFrameReader(f *testing.F) {
	b, _ := AppendFrame(nil, Frame{Type: FrameData, Conn: 2, Payload: []byte("hello")})
	f.Add(b)
	f.Add([]byte{FrameSOF, FrameSOF, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, in []byte) {
		fr := NewFrameReader(bytes.NewReader(in))
		for {
			fm, err := fr.Next()
			if err != nil {
				return
			}
			if len(fm.Payload) > MaxPayload {
				t.Fatalf("payload %d > MaxPayload", len(fm.Payload))
			}
			// A frame read back re-encodes to bytes that read as the same frame.
			enc, err := AppendFrame(nil, fm)
			if err != nil {
				t.Fatal(err)
			}
			again, err := NewFrameReader(bytes.NewReader(enc)).Next()
			if err != nil || again.Type != fm.Type || !bytes.Equal(again.Payload, fm.Payload) {
				t.Fatalf("re-read %v, %v; want %v", again, err, fm)
			}
		}
	})
}
