//go:build darwin && !cgo

package probe

import "errors"

// listUSBPorts: go.bug.st/serial's enumerator reads IOKit through cgo on
// macOS, so a CGO_ENABLED=0 build cannot list ports by serial number.
func listUSBPorts() ([]*USBPort, error) {
	return nil, errors.New("finding a port by USB serial number needs a faultline built with cgo on macOS; give the port's path instead (--serial /dev/cu.usbmodemXXXX)")
}
