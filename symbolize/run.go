package symbolize

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"

	"github.com/faultline-dev/faultline/elfsym"
)

// UsageError is a mistake in what the user asked (a bad address, --json
// without addresses), not a failure to answer: the command exits 2 for it.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

func usageErr(format string, args ...any) error {
	return &UsageError{fmt.Errorf(format, args...)}
}

// Request is one `faultline symbolize` run, its flags already parsed.
type Request struct {
	// ELF names the firmware in warnings.
	ELF string
	// Args are the addresses; a lone "-" reads them from stdin, and none
	// annotates the text on stdin.
	Args []string
	// JSON prints the answers as JSON (addresses on the command line only).
	JSON bool
	// Open opens the ELF's index (the caller picks how: cached or not);
	// Run closes it. This package opens no files itself.
	Open func() (*elfsym.Image, error)
}

// Run is the symbolize command's work after its flags: read the
// addresses, open the image, answer on stdout, warn on stderr. faultline's
// command and the symbolize-only program the speed benchmark builds
// (testdata/symbolizeonly) both run it, so the two answer alike and the
// benchmark can tell the binary's start from symbolize's own time. A
// *UsageError is the user's mistake; any other error is a failure to read
// the ELF or to write the answers.
//
// Run sets the process's GC percent (unless GOGC is set): a symbolize run
// allocates its index once and exits.
func Run(req Request, stdin io.Reader, stdout, stderr io.Writer) error {
	if os.Getenv("GOGC") == "" {
		// One lookup run allocates its index and exits: collecting
		// a quarter as often saves a tenth of a first run on a
		// large ELF, and memory stays far below addr2line's.
		debug.SetGCPercent(400)
	}
	open := req.Open
	var addrs []uint64
	if len(req.Args) == 1 && req.Args[0] == "-" {
		// The image opens while the addresses are read: tens of
		// thousands take about as long to read as a warm open.
		type opened struct {
			im  *elfsym.Image
			err error
		}
		done := make(chan opened, 1)
		go func() {
			im, err := open()
			done <- opened{im, err}
		}()
		var err error
		addrs, err = ReadAddrs(stdin)
		var bad *BadAddrError
		if errors.As(err, &bad) {
			err = usageErr("stdin: %v", bad.Err)
		}
		o := <-done
		if err != nil || len(addrs) == 0 {
			// A bad address is the error, not the image; nothing
			// asked, nothing to say (as addr2line).
			if o.im != nil {
				o.im.Close()
			}
			return err
		}
		open = func() (*elfsym.Image, error) { return o.im, o.err }
	} else {
		addrs = make([]uint64, 0, len(req.Args))
		for _, a := range req.Args {
			v, err := ParseAddr(a)
			if err != nil {
				return &UsageError{err}
			}
			addrs = append(addrs, v)
		}
	}
	if len(addrs) == 0 && req.JSON {
		return usageErr("--json needs addresses on the command line (stdin mode annotates text)")
	}
	im, err := open()
	if err != nil {
		return err
	}
	defer im.Close()
	for _, w := range im.Warnings() {
		fmt.Fprintf(stderr, "faultline: warning: %s: %s\n", req.ELF, w)
	}
	im.Prepare(addrs) // a lazy index builds what the addresses need at once
	sym := New(im)
	switch {
	case len(addrs) == 0:
		return sym.AnnotateStream(stdin, stdout)
	case req.JSON:
		return sym.WriteJSON(stdout, addrs)
	default:
		if f, ok := stdout.(*os.File); ok && len(addrs) >= 1024 {
			GrowPipe(f)
		}
		return sym.WriteText(stdout, addrs)
	}
}
