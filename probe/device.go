package probe

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/faultline-dev/faultline/elfsym"
	"github.com/faultline-dev/faultline/symbolize"
)

// A Device names a device the way the command line does (capture, attach
// and soak share these flags): its GDB server and/or serial console, board
// profile, extra console markers and capture ranges.
type Device struct {
	GDB        string        // GDB server HOST:PORT; "" serial only
	Serial     string        // console DEV[@BAUD] (also tcp:, usb:); "" none
	Board      string        // board profile (BoardNames)
	LogFile    string        // append the raw console bytes here; "" none
	Match      []string      // extra crash markers NAME=REGEX
	Mem        []string      // extra capture ranges ADDR:SIZE
	LED        bool          // sample the board's RGB LED through the debugger
	RSPTimeout time.Duration // each exchange with the GDB server; 0 default
	Trace      io.Writer     // RSP wire trace; nil none
	// ServerLog receives the GDB server's own console output (OpenOCD's
	// log lines), each line prefixed "gdb-server: "; nil discards.
	ServerLog io.Writer
}

// Options turns d into a session's options: crashes on the console count
// when there is a console, and with an ELF (img may be nil) code addresses
// in console lines are annotated as `faultline symbolize` does. Every
// error is a mistake in d and names the flag it came from.
func (d Device) Options(img *elfsym.Image) (SessionOptions, error) {
	board, err := LookupBoard(d.Board)
	if err != nil {
		return SessionOptions{}, err
	}
	opts := SessionOptions{SerialCrashes: d.Serial != ""}
	if d.Serial != "" {
		spec, err := ParseSerialSpec(d.Serial)
		if err != nil {
			return opts, fmt.Errorf("--serial: %w", err)
		}
		opts.Serial = &spec
		opts.Console.LogPath = d.LogFile
	}
	var sym Symbolizer // a nil *symbolize.Symbolizer would not be a nil Symbolizer
	if img != nil {
		sym = symbolize.New(img)
	}
	dets := NewDetectorSet(sym)
	for _, m := range d.Match {
		name, expr, err := ParseMatch(m)
		if err == nil {
			err = dets.AddUser(name, expr)
		}
		if err != nil {
			return opts, fmt.Errorf("--match %q: %w", m, err)
		}
	}
	opts.Detectors = dets
	mem, err := ParseMemRanges(d.Mem)
	if err != nil {
		return opts, err
	}
	if d.GDB != "" {
		opts.Target = &TargetOptions{
			Addr: d.GDB, Board: board, Extra: mem, Image: img, Timeout: d.RSPTimeout, Trace: d.Trace,
		}
		if d.ServerLog != nil {
			opts.Target.OnConsole = func(text string) {
				if !strings.HasSuffix(text, "\n") {
					text += "\n"
				}
				fmt.Fprintf(d.ServerLog, "gdb-server: %s", text)
			}
		}
		if d.LED && board.LED != nil {
			opts.LED = board.LED
		}
	}
	return opts, nil
}

// ParseMemRanges parses --mem values; the error names the flag and the
// expected form.
func ParseMemRanges(vals []string) ([]MemRange, error) {
	var out []MemRange
	for _, v := range vals {
		r, err := ParseMemRange(v)
		if err != nil {
			return nil, fmt.Errorf("--mem %w", err)
		}
		out = append(out, r)
	}
	return out, nil
}
