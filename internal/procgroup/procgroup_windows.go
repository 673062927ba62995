package procgroup

import (
	"os"
	"syscall"
)

// Attr gives the process a group of its own, so a Ctrl-C meant for
// faultline's console does not reach it; Kill ends it.
func Attr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{CreationFlags: syscall.CREATE_NEW_PROCESS_GROUP}
}

// Kill ends p. Windows has no signal for a group; the helpers faultline
// starts (QEMU, a hook's shell) are ended through their own process.
func Kill(p *os.Process) error { return p.Kill() }
