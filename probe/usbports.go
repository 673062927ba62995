package probe

// USBPort is one serial port as the system lists it, for usb:SERIAL specs:
// the fields of go.bug.st/serial/enumerator.PortDetails that faultline
// reads. A type of our own because that package does not build everywhere
// faultline does (macOS without cgo), and ConsoleOptions must.
type USBPort struct {
	Name         string // the device path, e.g. /dev/ttyACM0 or COM4
	IsUSB        bool
	VID, PID     string
	SerialNumber string
}
