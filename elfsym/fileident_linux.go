//go:build linux

package elfsym

import (
	"os"
	"syscall"
)

func statIdentity(st os.FileInfo) FileIdentity {
	s, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return FileIdentity{}
	}
	return FileIdentity{
		Dev:     uint64(s.Dev),
		Ino:     uint64(s.Ino),
		Size:    st.Size(),
		MtimeNs: s.Mtim.Nano(),
		CtimeNs: s.Ctim.Nano(),
	}
}
