// Package rsptest provides fake GDB servers for tests: NewOpenOCD and
// NewQEMU (or ListenOpenOCD/ListenQEMU, which start one on a loopback port
// for the length of a test) behave as FACTS.md sections 2 and 3 describe,
// serving registers and memory from a State and running a Script of Runs
// (console lines, a delay, a stop reply, state changes) on each resume.
// Faults (close mid-reply, garbage, bad checksums, delays) can be injected
// into chosen replies, and Config.Link makes every answer pay a slow debug
// probe's round trip and bandwidth (4 ms and 200 KB/s, say); StopTimes says
// when each stop was reported, where a time-to-report measurement starts.
//
// It must not be used outside tests, and it models only what the client
// depends on: e.g. "monitor reset" leaves the fake halted (OpenOCD would
// run), and OpenOCD answers every command but 'm' with E01 while running.
package rsptest
