// Package firmware builds the bundled web server firmware (the C++ sources
// in this directory) on demand, for tests and `faultline demo`.
//
// The firmware reproduces the Particle Photon TCPServer crash: see README.md
// for what it is, how the bug works and how often it crashes. Three images
// come from one source: "webserver" (the Device OS 0.6 behaviour, crashes),
// "webserver-clients-fix" (clients[] cleared; survives but never accepts
// again after a link loss) and "webserver-fixed" (also re-opens the server).
//
// ELF runs make at most once per process and holds an exclusive flock on
// build/.lock while it does, so parallel test binaries share one build. It
// does not install tools: a missing arm-none-eabi toolchain is an error that
// says to run scripts/setup.sh.
package firmware
