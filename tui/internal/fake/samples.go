package fake

import (
	"fmt"
	"time"

	"github.com/faultline-dev/faultline/faultdecode/report"
	"github.com/faultline-dev/faultline/tui"
)

// T0 is the fixed start time of the samples, so golden frames never change.
var T0 = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

func ptr[T any](v T) *T { return &v }

// At is T0 plus ms milliseconds.
func At(ms int) time.Time { return T0.Add(time.Duration(ms) * time.Millisecond) }

// RunningStatus is a healthy target on OpenOCD with the LED breathing cyan.
func RunningStatus() tui.Status {
	return tui.Status{
		Target:      "running",
		GDB:         "127.0.0.1:3333 (openocd)",
		Serial:      "/dev/ttyACM0 @115200",
		SerialState: "open",
		ELF:         "webserver.elf",
		ELFMatches:  ptr(true),
		LEDColor:    [3]float64{0, 0.8, 0.8},
		LEDPattern:  "breathing cyan",
	}
}

// CrashedStatus is the target halted in its fault handler, LED in SOS.
func CrashedStatus() tui.Status {
	s := RunningStatus()
	s.Target = "crashed"
	s.LEDColor = [3]float64{1, 0, 0}
	s.LEDPattern = "SOS 1 HardFault"
	return s
}

// LockupStatus is a locked-up core.
func LockupStatus() tui.Status {
	s := RunningStatus()
	s.Target = "locked up"
	s.LEDColor = [3]float64{0, 0, 0}
	s.LEDPattern = "off"
	return s
}

// SerialOnlyStatus has no GDB connection, the ELF match unknown.
func SerialOnlyStatus() tui.Status {
	return tui.Status{
		Target:      "running",
		Serial:      "/dev/ttyUSB0 @115200",
		SerialState: "open",
		ELF:         "webserver.elf",
		LEDColor:    [3]float64{0, 0.8, 0.8},
		LEDPattern:  "breathing cyan",
	}
}

// DisconnectedStatus is a target that went away, the serial port
// reconnecting.
func DisconnectedStatus() tui.Status {
	return tui.Status{
		Target:      "disconnected",
		GDB:         "127.0.0.1:3333 (openocd)",
		Serial:      "/dev/ttyACM0 @115200",
		SerialState: "reconnecting",
		ELF:         "webserver.elf",
		ELFMatches:  ptr(false),
	}
}

// BootLines is a Device OS style boot log followed by n request lines.
func BootLines(n int) []tui.ConsoleLine {
	ls := []tui.ConsoleLine{
		{Time: At(0), Text: "0000000001 [hal] INFO: reset cause: power on", Event: "reset"},
		{Time: At(12), Text: "0000000013 [system] INFO: Device OS 0.6.3 (webserver demo) starting"},
		{Time: At(40), Text: "0000000041 [wifi] INFO: joining \"bench-ap\""},
		{Time: At(850), Text: "0000000851 [wifi] INFO: connected, ip 192.168.7.23"},
		{Time: At(900), Text: "0000000901 [app] INFO: TCPServer listening on :7123 (5 client slots)"},
	}
	for i := 0; i < n; i++ {
		ms := 1000 + 250*i
		ls = append(ls, tui.ConsoleLine{
			Time: At(ms),
			Text: fmt.Sprintf("%010d [app] INFO: client %d: GET /status 200 (%d bytes)", ms, i%5, 120+i%7),
		})
	}
	return ls
}

// PanicLines is what the firmware prints when its fault handler runs.
func PanicLines(ms int) []tui.ConsoleLine {
	return []tui.ConsoleLine{
		{Time: At(ms), Text: fmt.Sprintf("%010d [wifi] WARN: link down, closing all sockets", ms)},
		{Time: At(ms + 30), Text: fmt.Sprintf("%010d [app] INFO: client 2: poll", ms+30)},
		{Time: At(ms + 31), Text: "!!! HardFault: CFSR=00000001 HFSR=40000000 PC=ae094710", Event: "fault-marker"},
	}
}

// Timeline is a few timeline entries ending with the crash.
func Timeline() []tui.TimelineItem {
	return []tui.TimelineItem{
		{Time: At(0), Kind: "connect", Text: "gdb 127.0.0.1:3333 (openocd), serial /dev/ttyACM0"},
		{Time: At(0), Kind: "reset", Text: "power on"},
		{Time: At(850), Kind: "wifi", Text: "link up"},
		{Time: At(9000), Kind: "wifi", Text: "link down"},
		{Time: At(9031), Kind: "crash", Text: "HardFault (forced, IACCVIOL)"},
	}
}

// HardFaultReport is the Photon TCPServer crash: a call through a
// dangling client pointer whose vtable was overwritten by the heap.
func HardFaultReport() *report.Report {
	return &report.Report{
		Schema:  report.Schema,
		ELF:     report.ELF{Path: "build/webserver.elf", BuildID: "3f2a9c1d", MatchesTarget: ptr(true)},
		Trigger: report.Trigger{Kind: "fault-handler", Detail: "HardFault_Handler entered"},
		Fault: report.Fault{
			Exception: "HardFault",
			Forced:    true,
			Causes:    []string{"FORCED", "IACCVIOL"},
			Registers: map[string]string{"cfsr": "0x00000001", "hfsr": "0x40000000", "mmfar": "0xe000ed34", "bfar": "0xe000ed38"},
			Summary: "The CPU jumped to 0xae094710, which is not code: a virtual call through " +
				"g_server.clients[2], which points into a freed heap block.",
			Explanations: []string{
				"a configurable fault escalated to HardFault (its handler is disabled or it happened inside another handler)",
				"instruction fetch from a region that does not allow execution",
			},
		},
		Registers: map[string]string{
			"r0": "0x20001a40", "r1": "0x00000000", "r2": "0x00000005", "r3": "0xae094711",
			"r4": "0x20000f10", "r5": "0x00000002", "r6": "0x00000000", "r7": "0x2001ff70",
			"r8": "0x00000000", "r9": "0x00000000", "r10": "0x00000000", "r11": "0x00000000",
			"r12": "0x08003b11", "sp": "0x2001ff58", "lr": "0x08000a1b", "pc": "0xae094710",
			"xpsr": "0x20000000", "msp": "0x2001ff58", "psp": "0x00000000", "control": "0x00000000",
		},
		Frames: []report.Frame{
			{PC: "0xae094710", Function: "", How: "fault-pc", Confidence: "certain"},
			{PC: "0x08000a1a", Function: "net::Server::poll_clients()", File: "src/net/server.cpp", Line: 36, How: "exception-frame", Confidence: "certain"},
			{PC: "0x08000b40", Function: "net::Server::loop()", File: "src/net/server.cpp", Line: 51, How: "cfi", Confidence: "certain"},
			{PC: "0x08000c06", Function: "loop", File: "src/main.cpp", Line: 12, How: "cfi", Confidence: "likely"},
			{PC: "0x08003a3c", Function: "app_loop", File: "src/system/main.cpp", Line: 88, How: "stack-scan", Confidence: "guess"},
		},
		Findings: []report.Finding{
			{Kind: report.FindBadPC, Summary: "PC 0xae094710 is outside every code section", Address: "0xae094710"},
			{Kind: report.FindDanglingPointer, Summary: "the object pointer came from a client slot that points into a freed heap block", Address: "0x20001a40", Symbol: "g_server.clients[2]"},
			{Kind: report.FindCorruptVtable, Summary: "the object's vtable pointer 0xae09470d is not a vtable (heap free-list data)", Address: "0x20001a40"},
		},
		Notes: []string{"frame 4 was found by scanning the stack and may be stale"},
	}
}

// LockupReport is a double fault: a fault inside the HardFault handler.
func LockupReport() *report.Report {
	return &report.Report{
		Schema:  report.Schema,
		ELF:     report.ELF{Path: "build/webserver.elf", MatchesTarget: ptr(true)},
		Trigger: report.Trigger{Kind: "lockup", Detail: "DHCSR.S_LOCKUP set"},
		Fault: report.Fault{
			Exception: "Lockup",
			Lockup:    true,
			Causes:    []string{"FORCED", "STKERR"},
			Registers: map[string]string{"cfsr": "0x00001000", "hfsr": "0x40000000"},
			Summary:   "The core locked up: the HardFault handler itself faulted while stacking (stack pointer 0x1ffffff0 is below RAM).",
			Explanations: []string{
				"a configurable fault escalated to HardFault",
				"stacking for an exception entry caused a bus fault",
			},
		},
		Registers: map[string]string{"pc": "0xfffffffe", "sp": "0x1ffffff0", "lr": "0xfffffff9", "xpsr": "0x01000003"},
		Frames: []report.Frame{
			{PC: "0x08000f22", Function: "recurse(int)", File: "src/crashlab/overflow.cpp", Line: 12, How: "exception-frame", Confidence: "likely"},
		},
		Findings: []report.Finding{
			{Kind: report.FindLockup, Summary: "a fault during HardFault: the core stopped executing (PC 0xfffffffe)"},
			{Kind: report.FindStackOverflow, Summary: "the main stack ran 16 bytes past the bottom of RAM", Address: "0x1ffffff0"},
		},
	}
}

// Sources serves the source files the sample reports name.
func Sources(file string) ([]byte, error) {
	if src, ok := sources[file]; ok {
		return []byte(src), nil
	}
	return nil, fmt.Errorf("open %s: no such file", file)
}

var sources = map[string]string{
	"src/net/server.cpp": `#include "server.h"

namespace net {

Server::Server(uint16_t port) : port_(port) {}

void Server::begin() {
    listener_.bind(port_);
    listener_.listen(kMaxClients);
}

void Server::accept_new() {
    for (int i = 0; i < kMaxClients; i++) {
        if (clients[i] == nullptr) {
            clients[i] = listener_.accept();
            return;
        }
    }
}

// poll_clients runs every loop and serves whatever the clients sent.
// After a link drop socket_close_all() frees the sockets under us, but
// clients[] still points at them.
void Server::poll_clients() {
    for (int i = 0; i < kMaxClients; i++) {
        TCPClient* c = clients[i];
        if (c == nullptr) {
            continue;
        }
        if (!c->connected()) {
            delete c;
            clients[i] = nullptr;
            continue;
        }
        // BUG: c may be freed by socket_close_all(): virtual call through garbage
        int n = c->available();
        if (n > 0) {
            handle(*c, n);
        }
    }
}

void Server::handle(TCPClient& c, int n) {
    char buf[128];
    int got = c.read(buf, n < 128 ? n : 128);
    c.write(reply_for(buf, got));
}

void Server::loop() {
    accept_new();
    poll_clients();
}

} // namespace net
`,
	"src/main.cpp": `#include "application.h"
#include "net/server.h"

net::Server g_server(7123);

void setup() {
    Serial.begin(115200);
    g_server.begin();
}

void loop() {
    g_server.loop();
}
`,
}

// FreeRTOSReport is a crash of a FreeRTOS application: task 'net' called a
// NULL callback; four other tasks were switched out.
func FreeRTOSReport() *report.Report {
	hw := func(v uint32) *uint32 { return &v }
	frame := func(pc, fn, file string, line int) report.Frame {
		return report.Frame{PC: pc, Function: fn, File: file, Line: line, How: "cfi", Confidence: "certain"}
	}
	return &report.Report{
		Schema:  report.Schema,
		ELF:     report.ELF{Path: "build/nullfn-Os.elf", BuildID: "9c0ffee1"},
		Trigger: report.Trigger{Kind: "fault-handler", Detail: "UsageFault_Handler entered"},
		Fault: report.Fault{
			Exception: "UsageFault", Causes: []string{"INVSTATE"},
			Registers: map[string]string{"cfsr": "0x00020000"},
			Summary:   "UsageFault in task 'net': branch to 0x00000000 with the Thumb bit clear; called from link_up() at net.c:210 through a bad function pointer.",
		},
		Registers: map[string]string{"pc": "0x00000000", "lr": "0x000010a9", "sp": "0x20000908", "psp": "0x20000908"},
		Frames: []report.Frame{
			{PC: "0x00000000", Function: "??", How: "fault-pc", Confidence: "certain"},
			frame("0x000010a8", "link_up", "src/net.c", 210),
			frame("0x00001122", "net_handle_frame", "src/net.c", 258),
			frame("0x00001150", "net_task", "src/net.c", 290),
		},
		Findings: []report.Finding{{Kind: report.FindBadPC, Summary: "PC 0x00000000 is not code", Address: "0x00000000"}},
		Tasks: []report.Task{
			{Name: "net", State: "running", Priority: 4, Current: true, TCB: "0x200009c8",
				Stack: report.Stack{Base: "0x200005c0", Size: 1024, HighWater: hw(668)},
				Frames: []report.Frame{
					{PC: "0x00000000", Function: "??", How: "fault-pc", Confidence: "certain"},
					frame("0x000010a8", "link_up", "src/net.c", 210),
					frame("0x00001122", "net_handle_frame", "src/net.c", 258),
					frame("0x00001150", "net_task", "src/net.c", 290),
				}},
			{Name: "IDLE", State: "ready", Priority: 0, TCB: "0x20001b20",
				Stack:  report.Stack{Base: "0x20001918", Size: 512, HighWater: hw(408)},
				Frames: []report.Frame{frame("0x00001040", "prvIdleTask", "FreeRTOS-Kernel/tasks.c", 5837)}},
			{Name: "crunch", State: "blocked", Priority: 1, TCB: "0x200018c0",
				Stack: report.Stack{Base: "0x200014b8", Size: 1024, HighWater: hw(0), Overflowed: true,
					Why: []string{"the fill pattern is gone down to the stack's base (high-water mark 0)"}},
				Frames: []report.Frame{
					frame("0x00002320", "xQueueReceive", "FreeRTOS-Kernel/queue.c", 1576),
					frame("0x000006de", "crunch_task", "src/crunch.c", 127),
				}},
			{Name: "Tmr Svc", State: "blocked", Priority: 5, TCB: "0x20001f80",
				Stack: report.Stack{Base: "0x20001b78", Size: 1024, HighWater: hw(896)},
				Frames: []report.Frame{
					frame("0x0000253a", "prvProcessTimerOrBlockTask", "FreeRTOS-Kernel/timers.c", 770),
					frame("0x000025ae", "prvTimerTask", "FreeRTOS-Kernel/timers.c", 707),
				}},
			{Name: "dhcp", State: "deleted", Priority: 2, TCB: "0x20000260",
				Stack: report.Stack{Base: "0x20002078", Size: 1024, HighWater: hw(768)}, Frames: []report.Frame{}},
		},
	}
}
