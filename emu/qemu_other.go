//go:build !linux

package emu

import (
	"net"
	"strconv"
	"time"
)

// gdbListening without /proc: a connect probe. The connection stops a
// running guest (it stays stopped), so start it Halted on such systems;
// Linux does not take this path.
func gdbListening(pid, port int) (bool, error) {
	c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), 100*time.Millisecond)
	if err != nil {
		return false, nil
	}
	_ = c.Close()
	return true, nil
}
