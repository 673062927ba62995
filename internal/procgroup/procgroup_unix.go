//go:build unix && !linux

package procgroup

import (
	"os"
	"syscall"
)

// Attr puts the process in its own process group (Kill ends the group).
func Attr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

// Kill kills p's whole process group (a negative pid: Attr made p its
// leader).
func Kill(p *os.Process) error { return syscall.Kill(-p.Pid, syscall.SIGKILL) }
