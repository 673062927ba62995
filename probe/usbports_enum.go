//go:build !darwin || cgo

package probe

import "go.bug.st/serial/enumerator"

// listUSBPorts lists the system's serial ports through go.bug.st/serial's
// enumerator (sysfs on Linux, SetupAPI on Windows, IOKit through cgo on
// macOS).
func listUSBPorts() ([]*USBPort, error) {
	ports, err := enumerator.GetDetailedPortsList()
	if err != nil {
		return nil, err
	}
	out := make([]*USBPort, 0, len(ports))
	for _, p := range ports {
		out = append(out, &USBPort{Name: p.Name, IsUSB: p.IsUSB, VID: p.VID, PID: p.PID, SerialNumber: p.SerialNumber})
	}
	return out, nil
}
