package emu_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/faultline-dev/faultline/emu"
)

// rawServer answers every connection with resp once it has read a whole
// request (up to the blank line), as the firmware does, then closes; it
// sends the request it read on got.
func rawServer(t *testing.T, resp string) (addr string, got <-chan string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	reqs := make(chan string, 16)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(5 * time.Second))
				var req []byte
				buf := make([]byte, 512)
				for !strings.Contains(string(req), "\r\n\r\n") {
					n, err := c.Read(buf)
					if err != nil {
						return
					}
					req = append(req, buf[:n]...)
				}
				select {
				case reqs <- string(req):
				default:
				}
				io.WriteString(c, resp)
			}()
		}
	}()
	return l.Addr().String(), reqs
}

// Get speaks HTTP/1.0 as the firmware's web server does and says why a
// request failed: a 200 with a body is success; another status or an
// empty body a *StatusError; a body cut short io.ErrUnexpectedEOF; a
// server that does not answer a timeout (net.Error) within the timeout;
// a refused connection a *net.OpError; a cancelled context
// context.Canceled; a URL that is not http:// an error before any
// connection.
func TestGetSortsResponsesAsTheLoadCounts(t *testing.T) {
	t.Parallel()
	// What the firmware sends (app.cpp make_header), then the page.
	firmware := "HTTP/1.0 200 OK\r\nDate: Thu, 01 Jan 1970 00:00:05 GMT\r\nContent-Type: text/html\r\nContent-Length: 13\r\nConnection: close\r\n\r\n<html></html>"
	okAddr, okReqs := rawServer(t, firmware)
	noLength, _ := rawServer(t, "HTTP/1.0 200 OK\r\n\r\nbody until close")
	empty, _ := rawServer(t, "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n")
	cut, _ := rawServer(t, "HTTP/1.0 200 OK\r\nContent-Length: 100\r\n\r\nonly this")
	garbage, _ := rawServer(t, "SSH-2.0-OpenSSH\r\n")
	chunked, _ := rawServer(t, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
	notFound := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(notFound.Close)
	// net/http's own server answers an HTTP/1.0 request without chunks.
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Proto != "HTTP/1.0" || r.URL.Path != "/index.html" {
			http.Error(w, "want HTTP/1.0 GET /index.html, got "+r.Proto+" "+r.URL.Path, http.StatusBadRequest)
			return
		}
		io.WriteString(w, strings.Repeat("x", 100<<10))
	}))
	t.Cleanup(page.Close)
	hung := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	t.Cleanup(hung.Close)
	refused := httptest.NewServer(http.NotFoundHandler())
	refusedURL := refused.URL
	refused.Close()

	status := func(code, n int) func(error) bool {
		return func(err error) bool {
			var se *emu.StatusError
			return errors.As(err, &se) && se.Code == code && se.Len == n
		}
	}
	isTimeout := func(err error) bool {
		var ne net.Error
		return errors.As(err, &ne) && ne.Timeout()
	}
	tests := []struct {
		name, url string
		want      func(error) bool // nil: success
	}{
		{"firmware's answer", "http://" + okAddr + "/", nil},
		{"body to the close", "http://" + noLength + "/", nil},
		{"large page, net/http server", page.URL + "/index.html", nil},
		{"empty body", "http://" + empty + "/", status(200, 0)},
		{"404", notFound.URL + "/", status(404, len("404 page not found\n"))},
		{"cut short", "http://" + cut + "/", func(err error) bool { return errors.Is(err, io.ErrUnexpectedEOF) }},
		{"not HTTP", "http://" + garbage + "/", func(err error) bool { return err != nil && strings.Contains(err.Error(), "status line") }},
		{"chunked", "http://" + chunked + "/", func(err error) bool { return err != nil && strings.Contains(err.Error(), "chunked") }},
		{"hung", hung.URL + "/", isTimeout},
		{"refused", refusedURL + "/", func(err error) bool { var oe *net.OpError; return errors.As(err, &oe) }},
		{"not http", "https://" + okAddr + "/", func(err error) bool { return err != nil }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			err := emu.Get(context.Background(), 300*time.Millisecond, tc.url)
			if took := time.Since(start); took > 3*time.Second {
				t.Errorf("took %v with a 300ms timeout", took)
			}
			switch {
			case tc.want == nil && err != nil:
				t.Errorf("%v, want success", err)
			case tc.want != nil && !tc.want(err):
				t.Errorf("got %v (%T)", err, err)
			}
		})
	}
	t.Run("cancelled", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(50*time.Millisecond, cancel)
		if err := emu.Get(ctx, 10*time.Second, hung.URL+"/"); !errors.Is(err, context.Canceled) {
			t.Errorf("got %v, want context.Canceled", err)
		}
	})
	// The request, read before the subtests above run (they wait for
	// this function to return).
	if err := emu.Get(context.Background(), time.Second, "http://"+okAddr+"/page?x=1"); err != nil {
		t.Fatal(err)
	}
	select {
	case req := <-okReqs:
		if want := "GET /page?x=1 HTTP/1.0\r\nHost: " + okAddr + "\r\n\r\n"; req != want {
			t.Errorf("request %q, want %q", req, want)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the server saw no request")
	}
}
