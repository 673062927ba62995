// Package procgroup starts a helper process (QEMU, a soak hook's shell) in
// a process group of its own and kills the whole group, so a timeout,
// Ctrl-C or Stop ends everything the helper started, on every system
// faultline builds for.
package procgroup
