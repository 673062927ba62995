package probe

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.bug.st/serial"
)

func TestParseSerialSpec(t *testing.T) {
	def := func(s SerialSpec) SerialSpec {
		if s.Baud == 0 {
			s.Baud = 115200
		}
		if s.DataBits == 0 {
			s.DataBits = 8
		}
		return s
	}
	tests := []struct {
		in   string
		want SerialSpec
	}{
		{"/dev/ttyACM0", def(SerialSpec{Kind: SpecDevice, Path: "/dev/ttyACM0"})},
		{"/dev/ttyACM0@115200", def(SerialSpec{Kind: SpecDevice, Path: "/dev/ttyACM0"})},
		{"/dev/pts/3@921600", def(SerialSpec{Kind: SpecDevice, Path: "/dev/pts/3", Baud: 921600})},
		{"/dev/ttyUSB0@9600,7E2", def(SerialSpec{Kind: SpecDevice, Path: "/dev/ttyUSB0", Baud: 9600, DataBits: 7, Parity: serial.EvenParity, StopBits: serial.TwoStopBits})},
		{"/dev/ttyUSB0@9600,8", def(SerialSpec{Kind: SpecDevice, Path: "/dev/ttyUSB0", Baud: 9600})},
		{"/dev/ttyUSB0@9600,8o", def(SerialSpec{Kind: SpecDevice, Path: "/dev/ttyUSB0", Baud: 9600, Parity: serial.OddParity})},
		{"/dev/ttyUSB0@9600,8N1.5", def(SerialSpec{Kind: SpecDevice, Path: "/dev/ttyUSB0", Baud: 9600, StopBits: serial.OnePointFiveStopBits})},
		{"COM3@57600", def(SerialSpec{Kind: SpecDevice, Path: "COM3", Baud: 57600})},
		{"usb:3C002B000D47343432313031", def(SerialSpec{Kind: SpecUSB, USBSerial: "3C002B000D47343432313031"})},
		{"usb:ABC123@230400,8N1", def(SerialSpec{Kind: SpecUSB, USBSerial: "ABC123", Baud: 230400})},
		{"tcp:127.0.0.1:4444", def(SerialSpec{Kind: SpecTCP, Addr: "127.0.0.1:4444"})},
		{"tcp::4444", def(SerialSpec{Kind: SpecTCP, Addr: "127.0.0.1:4444"})},
		{"tcp:[::1]:4444", def(SerialSpec{Kind: SpecTCP, Addr: "[::1]:4444"})},
		{"tcp:bench.local:2000", def(SerialSpec{Kind: SpecTCP, Addr: "bench.local:2000"})},
	}
	for _, tt := range tests {
		got, err := ParseSerialSpec(tt.in)
		if err != nil {
			t.Errorf("ParseSerialSpec(%q): %v", tt.in, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("ParseSerialSpec(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestParseSerialSpecRejects(t *testing.T) {
	for _, in := range []string{
		"", " /dev/ttyACM0", "@115200", "/dev/ttyACM0@", "/dev/ttyACM0@fast", "/dev/ttyACM0@-5",
		"/dev/ttyACM0@115200,", "/dev/ttyACM0@115200,9N1", "/dev/ttyACM0@115200,8X1", "/dev/ttyACM0@115200,8N3",
		"tcp:localhost", "tcp:host:0", "tcp:host:99999", "tcp:host:http", "usb:", "usb:@9600", "/dev/tty\x00X",
	} {
		if s, err := ParseSerialSpec(in); err == nil {
			t.Errorf("ParseSerialSpec(%q) = %+v, want an error", in, s)
		}
	}
}

func TestResolveUSBBySerialNumber(t *testing.T) {
	list := func() ([]*USBPort, error) {
		return []*USBPort{
			{Name: "/dev/ttyS0"},
			{Name: "/dev/ttyACM1", IsUSB: true, VID: "2B04", PID: "C006", SerialNumber: "3C002B000D47343432313031"},
		}, nil
	}
	got, err := resolveUSB("3c002b000d47343432313031", list)
	if err != nil || got != "/dev/ttyACM1" {
		t.Errorf("resolveUSB = %q, %v; want /dev/ttyACM1", got, err)
	}
	_, err = resolveUSB("NOPE", list)
	if err == nil || !strings.Contains(err.Error(), "/dev/ttyACM1=3C002B") {
		t.Errorf("resolveUSB(NOPE) error = %v, want it to list the ports present", err)
	}
}

func FuzzParseSerialSpec(f *testing.F) {
	for _, s := range []string{"/dev/ttyACM0@115200", "/dev/pts/3", "tcp:127.0.0.1:4444", "usb:ABC@9600,7E2",
		"/dev/x@1,8N1.5", "/dev/x@9600,8O1", "/dev/x@9600,8m2", "/dev/x@9600,7S1", "tcp:[::1]:1", "a@b@c", "usb:@", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		spec, err := ParseSerialSpec(s)
		if err != nil {
			return
		}
		// What parses prints back to something that parses the same.
		again, err := ParseSerialSpec(spec.String())
		if err != nil {
			t.Fatalf("ParseSerialSpec(%q) = %+v, but its String %q does not parse: %v", s, spec, spec.String(), err)
		}
		if diff := cmp.Diff(spec, again); diff != "" {
			t.Errorf("round trip of %q via %q (-first +second):\n%s", s, spec.String(), diff)
		}
		if spec.Baud <= 0 || spec.DataBits < 5 || spec.DataBits > 8 {
			t.Errorf("ParseSerialSpec(%q) = %+v: bad line settings", s, spec)
		}
	})
}
