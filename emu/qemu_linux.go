package emu

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// gdbListening reports whether process pid owns a TCP socket listening on
// 127.0.0.1:port. It reads /proc instead of connecting: a gdb connection
// stops a running guest, which stays stopped after the probe closes.
func gdbListening(pid, port int) (bool, error) {
	inodes, err := listeningInodes("/proc/net/tcp", port)
	if err != nil {
		return false, err
	}
	if len(inodes) == 0 {
		return false, nil
	}
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		if os.IsNotExist(err) {
			return false, nil // exited; the caller sees Done
		}
		return false, fmt.Errorf("read fds of %d: %w", pid, err)
	}
	for _, fd := range fds {
		target, err := os.Readlink(filepath.Join("/proc", strconv.Itoa(pid), "fd", fd.Name()))
		if err != nil {
			continue // closed meanwhile
		}
		if inodes[target] {
			return true, nil
		}
	}
	return false, nil
}

// listeningInodes parses a /proc/net/tcp table and returns, as
// "socket:[INODE]" strings, the sockets in state LISTEN (0A) on
// 127.0.0.1:port or 0.0.0.0:port.
func listeningInodes(table string, port int) (map[string]bool, error) {
	f, err := os.Open(table)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", table, err)
	}
	defer f.Close()
	return parseTCPTable(bufio.NewScanner(f), port)
}

func parseTCPTable(sc *bufio.Scanner, port int) (map[string]bool, error) {
	want := fmt.Sprintf(":%04X", port)
	inodes := map[string]bool{}
	for sc.Scan() {
		// sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
		f := strings.Fields(sc.Text())
		if len(f) < 10 || f[3] != "0A" || !strings.HasSuffix(f[1], want) {
			continue
		}
		if addr := strings.TrimSuffix(f[1], want); addr != "0100007F" && addr != "00000000" {
			continue
		}
		inodes["socket:["+f[9]+"]"] = true
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read tcp table: %w", err)
	}
	return inodes, nil
}
