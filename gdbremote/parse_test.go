package gdbremote

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
)

func TestParseTargetXMLFixtures(t *testing.T) {
	tests := []struct {
		file     string
		n        int
		regnums  map[string]int
		bitsizes map[string]int
		features []string
	}{
		{
			file:     "testdata/openocd_cm3_target.xml",
			n:        23,
			regnums:  map[string]int{"r0": 0, "sp": 13, "pc": 15, "xpsr": 16, "msp": 17, "psp": 18, "primask": 20, "basepri": 21, "faultmask": 22, "control": 23},
			bitsizes: map[string]int{"primask": 1, "basepri": 8, "control": 3, "pc": 32},
			features: []string{"org.gnu.gdb.arm.m-profile", "org.gnu.gdb.arm.m-system"},
		},
		{
			file:     "testdata/openocd_cm4f_target.xml",
			n:        40,
			regnums:  map[string]int{"xpsr": 16, "control": 23, "d0": 44, "d15": 59, "fpscr": 60},
			bitsizes: map[string]int{"d0": 64, "fpscr": 32},
			features: []string{"org.gnu.gdb.arm.m-profile", "org.gnu.gdb.arm.m-system", "org.gnu.gdb.arm.vfp"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(tt.file)
			if err != nil {
				t.Fatal(err)
			}
			d, err := ParseTargetXML(data, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(d.Registers) != tt.n || d.Architecture != "arm" {
				t.Errorf("%d registers, architecture %q", len(d.Registers), d.Architecture)
			}
			for name, n := range tt.regnums {
				if r, ok := d.Lookup(name); !ok || r.Regnum != n {
					t.Errorf("%s: regnum %d (found %v), want %d", name, r.Regnum, ok, n)
				}
			}
			for name, n := range tt.bitsizes {
				if r, _ := d.Lookup(name); r.Bitsize != n || r.Bytes() != (n+7)/8 {
					t.Errorf("%s: bitsize %d bytes %d, want %d", name, r.Bitsize, r.Bytes(), n)
				}
			}
			if strings.Join(d.Features, ",") != strings.Join(tt.features, ",") {
				t.Errorf("features %v", d.Features)
			}
		})
	}
}

func TestParseTargetXMLCases(t *testing.T) {
	annexes := map[string]string{
		"a.xml":    `<feature name="fa"><reg name="R0" bitsize="32" regnum="0"/><reg name="r1" bitsize="32"/><reg name="XPSR" bitsize="32" regnum="25"/></feature>`,
		"b.xml":    `<?xml version="1.0"?><feature name="fb"><reg name="msp" bitsize="32"/></feature>`,
		"self.xml": `<target><xi:include href="self.xml"/></target>`,
	}
	fetch := func(a string) ([]byte, error) {
		s, ok := annexes[a]
		if !ok {
			return nil, errors.New("no such annex")
		}
		return []byte(s), nil
	}
	tests := []struct {
		name    string
		xml     string
		fetch   func(string) ([]byte, error)
		want    string // name:regnum,... in regnum order
		wantErr string
	}{
		{name: "sequential regnums continue across includes", xml: `<target><architecture>arm</architecture><xi:include href="a.xml"/><xi:include href="b.xml"/></target>`,
			fetch: fetch, want: "r0:0,r1:1,xpsr:25,msp:26"},
		{name: "regnums sorted", xml: `<target><feature name="x"><reg name="b" bitsize="8" regnum="5"/><reg name="a" bitsize="8" regnum="2"/></feature></target>`,
			want: "a:2,b:5"},
		{name: "include without fetch", xml: `<target><xi:include href="a.xml"/></target>`, wantErr: "no way to fetch"},
		{name: "include of a missing annex", xml: `<target><xi:include href="zz.xml"/></target>`, fetch: fetch, wantErr: "fetch zz.xml"},
		{name: "include loop", xml: `<target><xi:include href="self.xml"/></target>`, fetch: fetch, wantErr: "nested too deep"},
		{name: "no registers", xml: `<target><architecture>arm</architecture></target>`, wantErr: "no registers"},
		{name: "duplicate regnum", xml: `<target><reg name="a" bitsize="32" regnum="1"/><reg name="b" bitsize="32" regnum="1"/></target>`, wantErr: "share regnum 1"},
		{name: "bad bitsize", xml: `<target><reg name="a" bitsize="x"/></target>`, wantErr: "bad bitsize"},
		{name: "bad regnum", xml: `<target><reg name="a" bitsize="32" regnum="-1"/></target>`, wantErr: "bad regnum"},
		{name: "unnamed register", xml: `<target><reg bitsize="32"/></target>`, wantErr: "without a name"},
		{name: "broken xml", xml: `<target><reg name="a" bitsize="32">`, wantErr: "parse target.xml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := ParseTargetXML([]byte(tt.xml), tt.fetch)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range d.Registers {
				got = append(got, r.Name+":"+strconv.Itoa(r.Regnum))
			}
			if strings.Join(got, ",") != tt.want {
				t.Errorf("got %s, want %s", strings.Join(got, ","), tt.want)
			}
		})
	}
}

func TestParseStopReply(t *testing.T) {
	tests := []struct {
		in      string
		want    StopReply
		wantErr bool
	}{
		{in: "S02", want: StopReply{Kind: 'S', Signal: 2}},
		{in: "T05", want: StopReply{Kind: 'T', Signal: 5}},
		{in: "T02thread:p01.01;", want: StopReply{Kind: 'T', Signal: 2, Thread: "p01.01"}},
		{in: "T05watch:20000040;", want: StopReply{Kind: 'T', Signal: 5, Watch: "watch", WatchAddr: 0x20000040}},
		{in: "T05rwatch:e000ed28;thread:1;", want: StopReply{Kind: 'T', Signal: 5, Watch: "rwatch", WatchAddr: 0xe000ed28, Thread: "1"}},
		{in: "T05awatch:4;", want: StopReply{Kind: 'T', Signal: 5, Watch: "awatch", WatchAddr: 4}},
		{in: "T050f:00010008;0d:00ff0120;swbreak:;", want: StopReply{Kind: 'T', Signal: 5,
			Values: map[string]string{"0f": "00010008", "0d": "00ff0120", "swbreak": ""}}},
		{in: "W00", want: StopReply{Kind: 'W', Signal: 0}},
		{in: "W01;process:1", want: StopReply{Kind: 'W', Signal: 1, Values: map[string]string{"process": "1"}}},
		{in: "X09", want: StopReply{Kind: 'X', Signal: 9}},
		{in: "T03", want: StopReply{Kind: 'T', Signal: 3}},
		{in: "OK", wantErr: true},
		{in: "T", wantErr: true},
		{in: "Tzz", wantErr: true},
		{in: "S02x", wantErr: true},
		{in: "T05nocolon;", wantErr: true},
		{in: "T05watch:zz;", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseStopReply(tt.in)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("got %+v, want error", got)
				}
				return
			}
			tt.want.Raw = tt.in
			if err != nil || !equalStop(got, tt.want) {
				t.Fatalf("got %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func equalStop(a, b StopReply) bool {
	if a.Kind != b.Kind || a.Signal != b.Signal || a.Thread != b.Thread || a.Watch != b.Watch ||
		a.WatchAddr != b.WatchAddr || a.Raw != b.Raw || len(a.Values) != len(b.Values) {
		return false
	}
	for k, v := range a.Values {
		if b.Values[k] != v {
			return false
		}
	}
	return true
}

func TestParseSupported(t *testing.T) {
	tests := []struct {
		in      string
		size    int
		feats   map[string]string
		wantErr bool
	}{
		{in: "PacketSize=4000;qXfer:memory-map:read-;qXfer:features:read+;qXfer:threads:read+;QStartNoAckMode+;vContSupported+", size: 0x4000,
			feats: map[string]string{"qXfer:memory-map:read": "-", "qXfer:features:read": "+", "QStartNoAckMode": "+", "vContSupported": "+"}},
		{in: "PacketSize=1000;qXfer:features:read+;vContSupported+;multiprocess+", size: 0x1000,
			feats: map[string]string{"multiprocess": "+", "QStartNoAckMode": ""}},
		{in: "swbreak?;hwbreak", size: 400, feats: map[string]string{"swbreak": "?", "hwbreak": "+"}},
		{in: "PacketSize=zz", wantErr: true},
		{in: "PacketSize=10", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			feats, size, err := ParseSupported(tt.in)
			if tt.wantErr {
				if err == nil {
					t.Fatal("want error")
				}
				return
			}
			if err != nil || size != tt.size {
				t.Fatalf("size %#x, %v; want %#x", size, err, tt.size)
			}
			for k, v := range tt.feats {
				if feats[k] != v {
					t.Errorf("%s = %q, want %q", k, feats[k], v)
				}
			}
		})
	}
}

func FuzzReadFrame(f *testing.F) {
	for _, s := range []string{"$OK#9a", "+$O#4f", "%oocd_keepalive:1#00", "-\x03$0* #00", "$}]*!#00", "junk$m", "$E0E#ab"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		r := bufio.NewReader(bytes.NewReader(in))
		for range 64 {
			fr, err := ReadFrame(r)
			if err != nil {
				return
			}
			if fr.ChecksumOK {
				// A frame that decoded re-encodes to something that decodes
				// the same.
				again, err := Unescape(Escape(fr.Data))
				if err != nil || !bytes.Equal(again, fr.Data) {
					t.Fatalf("escape round trip of %q: %q, %v", fr.Data, again, err)
				}
			}
		}
	})
}

func FuzzParseStopReply(f *testing.F) {
	for _, s := range []string{"S02", "T05", "T02thread:p01.01;", "T05watch:20000040;", "W00;process:1", "X09", "T0501:00;"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sr, err := ParseStopReply(s)
		if err == nil && !strings.ContainsRune("STWX", rune(sr.Kind)) {
			t.Fatalf("accepted kind %q", sr.Kind)
		}
	})
}

func FuzzParseTargetXML(f *testing.F) {
	for _, p := range []string{"testdata/openocd_cm3_target.xml", "testdata/openocd_cm4f_target.xml"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`<target><xi:include href="x"/><reg name="a" bitsize="1"/></target>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		// Includes resolve to the document itself: exercises the depth cap.
		d, err := ParseTargetXML(b, func(string) ([]byte, error) { return b, nil })
		if err != nil {
			return
		}
		for i, r := range d.Registers {
			if r.Bytes() <= 0 || (i > 0 && d.Registers[i-1].Regnum >= r.Regnum) {
				t.Fatalf("bad register map: %+v", d.Registers)
			}
		}
	})
}

func FuzzParseSupported(f *testing.F) {
	f.Add("PacketSize=4000;qXfer:memory-map:read-;qXfer:features:read+;QStartNoAckMode+")
	f.Add("PacketSize=1000;multiprocess+")
	f.Add(";;=;+;-")
	f.Fuzz(func(t *testing.T, s string) {
		_, size, err := ParseSupported(s)
		if err == nil && size < 64 {
			t.Fatalf("accepted packet size %d", size)
		}
	})
}
