package gdbremote

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// A step of a scripted peer: read exactly expect from the client, then
// write send. close ends the connection after the step.
type step struct {
	expect string
	send   string
	close  bool
}

func pkt(data string) string { return string(EncodePacket([]byte(data))) }

func consolePkt(text string) string { return pkt("O" + string(EncodeHex([]byte(text)))) }

// scriptedPeer runs steps against the stub end of a pipe and reports the
// first mismatch on the returned channel.
func scriptedPeer(t *testing.T, nc net.Conn, steps []step) <-chan error {
	done := make(chan error, 1)
	go func() {
		defer nc.Close()
		for i, s := range steps {
			if s.expect != "" {
				buf := make([]byte, len(s.expect))
				nc.SetReadDeadline(time.Now().Add(3 * time.Second))
				if _, err := io.ReadFull(nc, buf); err != nil {
					done <- fmt.Errorf("step %d: reading %q: %v", i, s.expect, err)
					return
				}
				if string(buf) != s.expect {
					done <- fmt.Errorf("step %d: client sent %q, want %q", i, buf, s.expect)
					return
				}
			}
			if s.send != "" {
				if _, err := nc.Write([]byte(s.send)); err != nil {
					done <- fmt.Errorf("step %d: write: %v", i, err)
					return
				}
			}
			if s.close {
				done <- nil
				return
			}
		}
		// Drain until the client closes so its last writes do not block.
		io.Copy(io.Discard, nc)
		done <- nil
	}()
	return done
}

// bareClient is a Client over a pipe without the handshake.
func bareClient(t *testing.T, noAck bool, opts Options) (*Client, net.Conn) {
	a, b := net.Pipe()
	if opts.Timeout == 0 {
		opts.Timeout = 2 * time.Second
	}
	cl := &Client{c: newConn(a, opts), packetSize: 0x1000}
	cl.c.noAck = noAck
	t.Cleanup(func() { a.Close() })
	return cl, b
}

func TestExchangeFraming(t *testing.T) {
	tests := []struct {
		name    string
		noAck   bool
		steps   []step
		want    string
		wantErr error
		errText string
		console []string
		timeout time.Duration
	}{
		{
			name:  "ack then reply",
			steps: []step{{expect: "$g#67", send: "+" + pkt("OK")}, {expect: "+"}},
			want:  "OK",
		},
		{
			name: "nack makes the client retransmit",
			steps: []step{
				{expect: "$g#67", send: "-"},
				{expect: "$g#67", send: "+" + pkt("OK")},
				{expect: "+"},
			},
			want: "OK",
		},
		{
			name: "too many nacks fail",
			steps: []step{
				{expect: "$g#67", send: "-"}, {expect: "$g#67", send: "-"},
				{expect: "$g#67", send: "-"}, {expect: "$g#67", send: "-"},
			},
			errText: "rejected the packet 4 times",
		},
		{
			name: "bad checksum is answered with '-' and resent",
			steps: []step{
				{expect: "$g#67", send: "+$OK#00"},
				{expect: "-", send: pkt("OK")},
				{expect: "+"},
			},
			want: "OK",
		},
		{
			name: "garbage then bad checksums until the client gives up",
			steps: []step{
				{expect: "$g#67", send: "+noise\r\n$OK#00"},
				{expect: "-", send: "$OK#00"},
				{expect: "-", send: "$OK#00"},
				{expect: "-", send: "$OK#00"},
				{expect: "-", send: "$OK#00"},
			},
			errText: "4 packets with bad checksums",
		},
		{
			name:  "garbage before the reply is skipped",
			steps: []step{{expect: "$g#67", send: "+\x00\xffjunk" + pkt("OK")}, {expect: "+"}},
			want:  "OK",
		},
		{
			name: "console packet before the ack",
			steps: []step{
				{expect: "$g#67", send: consolePkt("early\n")},
				{expect: "+", send: "+" + pkt("OK")},
				{expect: "+"},
			},
			want:    "OK",
			console: []string{"early\n"},
		},
		{
			name: "console, keep-alive and notification before the reply",
			steps: []step{
				{expect: "$g#67", send: "+" + consolePkt("log line\n")},
				{expect: "+", send: pkt("O")},
				{expect: "+", send: string(EncodeNotification([]byte("oocd_keepalive:1"))) + pkt("OK")},
				{expect: "+"},
			},
			want:    "OK",
			console: []string{"log line\n", "%oocd_keepalive:1"},
		},
		{
			name:  "reply without ack counts as ack",
			steps: []step{{expect: "$g#67", send: pkt("OK")}, {expect: "+"}},
			want:  "OK",
		},
		{
			name:    "empty reply is unsupported",
			steps:   []step{{expect: "$g#67", send: "+" + pkt("")}, {expect: "+"}},
			wantErr: ErrUnsupported,
		},
		{
			name:    "E NN is a remote error",
			steps:   []step{{expect: "$g#67", send: "+" + pkt("E0E")}, {expect: "+"}},
			errText: "stub error E0E",
		},
		{
			name:  "no-ack mode ignores a stray '+'",
			noAck: true,
			steps: []step{{expect: "$g#67", send: "+" + pkt("OK")}},
			want:  "OK",
		},
		{
			name:  "no-ack mode: console packets anywhere",
			noAck: true,
			steps: []step{{expect: "$g#67", send: consolePkt("a") + pkt("O") + consolePkt("b") + pkt("OK")}},
			want:  "OK", console: []string{"a", "b"},
		},
		{
			name:    "peer closes mid-packet",
			noAck:   true,
			steps:   []step{{expect: "$g#67", send: "$0011223", close: true}},
			wantErr: ErrClosed,
			errText: "reply to g",
		},
		{
			name:    "peer closes before answering",
			steps:   []step{{expect: "$g#67", close: true}},
			wantErr: ErrClosed,
		},
		{
			name:    "no reply times out",
			noAck:   true,
			steps:   []step{{expect: "$g#67"}},
			wantErr: ErrTimeout,
			timeout: 100 * time.Millisecond,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			var console []string
			cl, peer := bareClient(t, tt.noAck, Options{Timeout: tt.timeout, OnConsole: func(s string) {
				mu.Lock()
				console = append(console, s)
				mu.Unlock()
			}})
			done := scriptedPeer(t, peer, tt.steps)
			start := time.Now()
			got, err := cl.exchange(context.Background(), "read registers", []byte("g"))
			cl.Close()
			if perr := <-done; perr != nil && tt.wantErr == nil && tt.errText == "" {
				t.Fatalf("peer: %v", perr)
			}
			switch {
			case tt.wantErr != nil || tt.errText != "":
				if err == nil {
					t.Fatalf("got %q, want error", got)
				}
				if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				if !strings.Contains(err.Error(), tt.errText) || !strings.Contains(err.Error(), "read registers") {
					t.Fatalf("err = %q, want it to name the operation and say %q", err, tt.errText)
				}
			case err != nil:
				t.Fatalf("err = %v", err)
			case string(got) != tt.want:
				t.Fatalf("got %q, want %q", got, tt.want)
			}
			if tt.timeout > 0 && time.Since(start) > 10*tt.timeout {
				t.Errorf("took %v with timeout %v", time.Since(start), tt.timeout)
			}
			mu.Lock()
			defer mu.Unlock()
			if strings.Join(console, "|") != strings.Join(tt.console, "|") {
				t.Errorf("console = %q, want %q", console, tt.console)
			}
		})
	}
}

func TestExchangeContextCancel(t *testing.T) {
	cl, peer := bareClient(t, true, Options{Timeout: 10 * time.Second})
	done := scriptedPeer(t, peer, []step{{expect: "$g#67"}})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	_, err := cl.exchange(ctx, "read registers", []byte("g"))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if time.Since(start) > 2*time.Second {
		t.Fatalf("cancel took %v", time.Since(start))
	}
	cl.Close()
	<-done
}

func TestExchangeContextDeadlineIsTimeout(t *testing.T) {
	cl, peer := bareClient(t, true, Options{Timeout: 10 * time.Second})
	done := scriptedPeer(t, peer, []step{{expect: "$g#67"}})
	ctx, cancel := context.WithTimeout(context.Background(), 80*time.Millisecond)
	defer cancel()
	_, err := cl.exchange(ctx, "read registers", []byte("g"))
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("err = %v, want ErrTimeout", err)
	}
	cl.Close()
	<-done
}

// A stop reply cut in two by a WaitStop deadline is resumed, not lost.
func TestWaitStopResumesFrameAfterTimeout(t *testing.T) {
	cl, peer := bareClient(t, true, Options{})
	cl.running.Store(true)
	wire := pkt("T05thread:01;")
	second := make(chan struct{})
	go func() {
		peer.Write([]byte(wire[:7]))
		<-second
		peer.Write([]byte(wire[7:]))
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := cl.WaitStop(ctx); !errors.Is(err, ErrTimeout) {
		t.Fatalf("first WaitStop: %v, want ErrTimeout", err)
	}
	if !cl.Running() {
		t.Fatal("a timeout must leave the target running")
	}
	close(second)
	sr, err := cl.WaitStop(context.Background())
	if err != nil || sr.Raw != "T05thread:01;" || sr.Thread != "01" {
		t.Fatalf("second WaitStop = %+v, %v", sr, err)
	}
	cl.Close()
	peer.Close()
}

// The target stops by itself (T05) just as Interrupt sends 0x03; the stub
// then answers the 0x03 with a second stop reply, which must not be taken
// as the reply to the next request.
func TestLateInterruptReplyIsSkipped(t *testing.T) {
	cl, peer := bareClient(t, true, Options{})
	cl.running.Store(true)
	done := scriptedPeer(t, peer, []step{
		{expect: "\x03", send: pkt("T05")},
		{expect: "$m0,4#fd", send: pkt("T02") + pkt("01020304")},
	})
	ctx := context.Background()
	sr, err := cl.Interrupt(ctx)
	if err != nil || sr.Raw != "T05" {
		t.Fatalf("Interrupt = %+v, %v", sr, err)
	}
	reply, err := cl.exchange(ctx, "read memory", []byte("m0,4"))
	if err != nil || string(reply) != "01020304" {
		t.Fatalf("reply %q, %v; want the memory, not the late T02", reply, err)
	}
	cl.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestPacketReadAsTheWaitEndsIsAckedAndKept: a packet read just as the
// caller's context runs out is still acked and returned. Acking under the
// expired context failed and dropped the packet: a stop reply read at the
// end of a wait window was lost, and the halted target never reported.
func TestPacketReadAsTheWaitEndsIsAckedAndKept(t *testing.T) {
	client, server := net.Pipe()
	defer client.Close()
	defer server.Close()
	acks := make(chan byte, 1)
	go func() {
		b := make([]byte, 1)
		if n, _ := server.Read(b); n == 1 {
			acks <- b[0]
		}
	}()
	c := newConn(client, Options{Timeout: time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), time.Nanosecond)
	defer cancel()
	<-ctx.Done()
	reply, ok, err := c.accept(ctx, Frame{Kind: FramePacket, Data: []byte("T05thread:p01.01;"), ChecksumOK: true})
	if err != nil || !ok || string(reply) != "T05thread:p01.01;" {
		t.Fatalf("accept = %q, %v, %v; want the stop reply", reply, ok, err)
	}
	select {
	case a := <-acks:
		if a != '+' {
			t.Errorf("ack %q, want '+'", a)
		}
	case <-time.After(2 * time.Second):
		t.Error("no ack sent")
	}
}
