package gdbremote

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestChecksumMatchesKnownPackets(t *testing.T) {
	tests := []struct {
		data string
		wire string
	}{
		{"", "$#00"},
		{"O", "$O#4f"}, // OpenOCD's keep-alive
		{"OK", "$OK#9a"},
		{"g", "$g#67"},
		{"qSupported", "$qSupported#37"},
		{"vCont?", "$vCont?#49"},
	}
	for _, tt := range tests {
		if got := string(EncodePacket([]byte(tt.data))); got != tt.wire {
			t.Errorf("EncodePacket(%q) = %q, want %q", tt.data, got, tt.wire)
		}
	}
}

func TestEscapeRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		raw  string
	}{
		{"plain", []byte("abc"), "abc"},
		{"hash", []byte("a#b"), "a}\x03b"},
		{"dollar", []byte("$"), "}\x04"},
		{"brace is the escape char 0x7d", []byte("}"), "}]"},
		{"star must be escaped in binary", []byte("**"), "}\x0a}\x0a"},
		{"all four", []byte("#$}*"), "}\x03}\x04}]}\x0a"},
		{"binary zero and 0xff pass", []byte{0, 0xff}, "\x00\xff"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(Escape(tt.data)); got != tt.raw {
				t.Fatalf("Escape = %q, want %q", got, tt.raw)
			}
			back, err := Unescape([]byte(tt.raw))
			if err != nil || !bytes.Equal(back, tt.data) {
				t.Fatalf("Unescape(%q) = %q, %v; want %q", tt.raw, back, err, tt.data)
			}
		})
	}
}

func TestUnescapeRunLength(t *testing.T) {
	tests := []struct {
		name, raw, want string
		wantErr         bool
	}{
		{name: "gdb doc example", raw: "0* ", want: "0000"},                                    // ' ' = 32: 3 more
		{name: "count byte is not an escape", raw: "f*}", want: strings.Repeat("f", 1+125-29)}, // '}' = 125 counts here
		{name: "run then text", raw: "a*\"b", want: "aaaaaab"},                                 // '"' = 34: 5 more
		{name: "run of escaped byte", raw: "}]*!", want: "}}}}}"},                              // '!' = 33: 4 more
		{name: "star first", raw: "*!", wantErr: true},
		{name: "count missing", raw: "a*", wantErr: true},
		{name: "count too small", raw: "a*\x10", wantErr: true},
		{name: "escape at end", raw: "a}", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Unescape([]byte(tt.raw))
			if tt.wantErr {
				if err == nil {
					t.Fatalf("Unescape(%q) = %q, want error", tt.raw, got)
				}
				return
			}
			if err != nil || string(got) != tt.want {
				t.Fatalf("Unescape(%q) = %q, %v; want %q", tt.raw, got, err, tt.want)
			}
		})
	}
}

func TestReadFrameKinds(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		kind    FrameKind
		data    string
		ok      bool
		skipped int
		wantErr error
		wantEOF error
	}{
		{name: "packet", in: "$OK#9a", kind: FramePacket, data: "OK", ok: true},
		{name: "bad checksum", in: "$OK#00", kind: FramePacket, data: "OK", ok: false},
		{name: "checksum upper case", in: "$O#4F", kind: FramePacket, data: "O", ok: true},
		{name: "non-hex checksum", in: "$OK#zz", kind: FramePacket, data: "OK", ok: false},
		{name: "notification", in: "%oocd_keepalive:1#" + csHex("oocd_keepalive:1"), kind: FrameNotification, data: "oocd_keepalive:1", ok: true},
		{name: "ack", in: "+", kind: FrameAck},
		{name: "nack", in: "-", kind: FrameNack},
		{name: "interrupt", in: "\x03", kind: FrameInterrupt},
		{name: "garbage skipped", in: "xyz\r\n$OK#9a", kind: FramePacket, data: "OK", ok: true, skipped: 5},
		{name: "run-length in reply", in: "$0* #" + csHex("0* "), kind: FramePacket, data: "0000", ok: true},
		{name: "eof between frames", in: "", wantErr: ErrClosed, wantEOF: io.EOF},
		{name: "eof mid packet", in: "$m2000", wantErr: ErrClosed, wantEOF: io.ErrUnexpectedEOF},
		{name: "eof in checksum", in: "$OK#9", wantErr: ErrClosed, wantEOF: io.ErrUnexpectedEOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := ReadFrame(bufio.NewReader(strings.NewReader(tt.in)))
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || !errors.Is(err, tt.wantEOF) {
					t.Fatalf("err = %v, want %v and %v", err, tt.wantErr, tt.wantEOF)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if f.Kind != tt.kind || string(f.Data) != tt.data || f.ChecksumOK != tt.ok || f.Skipped != tt.skipped {
				t.Fatalf("got %v %q ok=%v skipped=%d, want %v %q ok=%v skipped=%d",
					f.Kind, f.Data, f.ChecksumOK, f.Skipped, tt.kind, tt.data, tt.ok, tt.skipped)
			}
		})
	}
}

func csHex(raw string) string {
	c := Checksum([]byte(raw))
	return string([]byte{hexDigit(c >> 4), hexDigit(c & 0xf)})
}

func TestIsConsolePacket(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"O", true}, // keep-alive
		{"O48690a", true},
		{"OK", false},
		{"O4", false}, // odd hex
		{"O4g", false},
		{"T05", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := IsConsolePacket([]byte(tt.in)); got != tt.want {
			t.Errorf("IsConsolePacket(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestParseErrorReply(t *testing.T) {
	tests := []struct {
		in   string
		code int
		ok   bool
	}{
		{"E0E", 0x0e, true},
		{"E01", 1, true},
		{"E14", 0x14, true},
		{"E.bad thing", -1, true},
		{"e0e0", 0, false}, // 2 bytes of memory
		{"E0E1", 0, false}, // 2 bytes of memory, upper case
		{"OK", 0, false},
	}
	for _, tt := range tests {
		re, ok := parseErrorReply("op", []byte(tt.in))
		if ok != tt.ok || (ok && re.Code != tt.code) {
			t.Errorf("parseErrorReply(%q) = %+v, %v; want code %d, %v", tt.in, re, ok, tt.code, tt.ok)
		}
	}
}
