package procgroup

import (
	"os"
	"syscall"
)

// Attr puts the process in its own process group (Kill ends the group) and
// asks the kernel to kill it if the thread that started it dies, so a
// faultline (or test binary) that panics or is killed leaves nothing behind.
func Attr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// Kill kills p's whole process group (a negative pid: Attr made p its
// leader).
func Kill(p *os.Process) error { return syscall.Kill(-p.Pid, syscall.SIGKILL) }
