// Package plainfile opens and reads the regular files a run starts from
// (the firmware ELF, its saved index, the cache's small memo files) with
// as few system calls as the platform allows. os.Open offers every file to
// the runtime's poller, five system calls that fail for a regular file;
// a warm symbolize opens four files and makes few other calls.
package plainfile

import (
	"errors"
	"fmt"
	"io"
)

// ReadSmall returns the contents of the file at path, an error if it is
// longer than max bytes.
func ReadSmall(path string, max int) ([]byte, error) {
	f, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b := make([]byte, max+1)
	n, err := io.ReadFull(f, b)
	switch {
	case err == nil:
		return nil, fmt.Errorf("%s: longer than %d bytes", path, max)
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return b[:n], nil
	default:
		return nil, err
	}
}
