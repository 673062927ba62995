package emu

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// LoadConfig describes HTTP load on the bench's web server, like the
// reporter's stress test: workers that GET the page in a loop.
type LoadConfig struct {
	URL     string        // e.g. "http://" + bench.HTTPAddr() + "/"
	Workers int           // concurrent clients; 0 means 3
	Seed    uint64        // drives the pauses between requests
	Pause   time.Duration // each worker waits a random 0..Pause between requests; 0 means 20ms
	Timeout time.Duration // per request; 0 means 2s
}

// LoadStats counts request outcomes; read it with Snapshot.
type LoadStats struct {
	ok, failed atomic.Int64
}

// Snapshot returns the counts so far.
func (s *LoadStats) Snapshot() (ok, failed int64) { return s.ok.Load(), s.failed.Load() }

// RunLoad sends requests until ctx ends, counting outcomes in stats (read
// them while it runs with stats.Snapshot).
// Each request is a fresh connection (no keep-alive), as the firmware
// closes after every response anyway.
func RunLoad(ctx context.Context, cfg LoadConfig, stats *LoadStats) {
	if cfg.Workers <= 0 {
		cfg.Workers = 3
	}
	if cfg.Pause <= 0 {
		cfg.Pause = 20 * time.Millisecond
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 2 * time.Second
	}
	var wg sync.WaitGroup
	for i := 0; i < cfg.Workers; i++ {
		rng := rand.New(rand.NewPCG(cfg.Seed, uint64(i)))
		wg.Go(func() {
			for ctx.Err() == nil {
				if Get(ctx, cfg.Timeout, cfg.URL) == nil {
					stats.ok.Add(1)
				} else if ctx.Err() == nil {
					stats.failed.Add(1)
				}
				select {
				case <-ctx.Done():
				case <-time.After(time.Duration(rng.Int64N(int64(cfg.Pause) + 1))):
				}
			}
		})
	}
	wg.Wait()
}

// Get fetches url (http://host[:port]/path) within timeout and checks for
// a 200 with a body; the error says why not: a *StatusError, a net.Error
// (its Timeout true past the timeout), io.ErrUnexpectedEOF for a response
// cut short.
//
// It speaks HTTP/1.0 over one connection itself, as the firmware does
// (one request, Connection: close), rather than through net/http: every
// faultline command links this package, and net/http's package inits
// cost each run 0.4 ms, a tenth of addr2line's whole run on the bundled
// firmware, for what is a GET of one page from the emulated board.
func Get(ctx context.Context, timeout time.Duration, rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return err
	}
	if u.Scheme != "http" || u.Host == "" {
		return fmt.Errorf("get %s: want an http://host[:port]/path URL", rawURL)
	}
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), "80")
	}
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", host)
	if err != nil {
		return ctxErr(ctx, err)
	}
	defer conn.Close()
	// The context's end interrupts a read or write that waits for it.
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	if _, err := io.WriteString(conn, "GET "+u.RequestURI()+" HTTP/1.0\r\nHost: "+u.Host+"\r\n\r\n"); err != nil {
		return ctxErr(ctx, err)
	}
	code, n, err := readResponse(bufio.NewReader(conn))
	if err != nil {
		return ctxErr(ctx, err)
	}
	if code != 200 || n == 0 {
		return &StatusError{Code: code, Len: n}
	}
	return nil
}

// ctxErr is err, or the context's error when it ended the wait (a
// cancelled one shows as a deadline on the connection otherwise). When
// the connection's deadline, the context's, stopped the wait, the
// context's timer is due but may not have run yet: ctxErr waits for it, so
// that a caller who checks its own context (a load that ended) sees it
// done and does not count the request cut by that end as failed.
func ctxErr(ctx context.Context, err error) error {
	if dl, ok := ctx.Deadline(); ok && !time.Now().Before(dl) {
		<-ctx.Done()
	}
	if cerr := ctx.Err(); cerr != nil && errors.Is(cerr, context.Canceled) {
		return fmt.Errorf("%w (%w)", cerr, err)
	}
	return err
}

// readResponse reads an HTTP/1.x response: its status code and how many
// body bytes came (Content-Length of them when given, else up to the
// connection's close).
func readResponse(r *bufio.Reader) (code, n int, err error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return 0, 0, noEOF(err)
	}
	proto, rest, _ := strings.Cut(strings.TrimRight(line, "\r\n"), " ")
	status, _, _ := strings.Cut(rest, " ")
	code, cerr := strconv.Atoi(status)
	if !strings.HasPrefix(proto, "HTTP/1.") || cerr != nil || code < 100 || code > 999 {
		return 0, 0, fmt.Errorf("malformed HTTP status line %q", strings.TrimSpace(line))
	}
	length := int64(-1)
	for {
		h, err := r.ReadString('\n')
		if err != nil {
			return code, 0, noEOF(err)
		}
		h = strings.TrimRight(h, "\r\n")
		if h == "" {
			break
		}
		k, v, _ := strings.Cut(h, ":")
		switch v = strings.TrimSpace(v); {
		case strings.EqualFold(k, "Content-Length"):
			if length, err = strconv.ParseInt(v, 10, 64); err != nil || length < 0 {
				return code, 0, fmt.Errorf("malformed Content-Length %q", v)
			}
		case strings.EqualFold(k, "Transfer-Encoding") && !strings.EqualFold(v, "identity"):
			return code, 0, fmt.Errorf("transfer encoding %q in an answer to HTTP/1.0", v)
		}
	}
	if length >= 0 {
		got, err := io.CopyN(io.Discard, r, length)
		return code, int(got), noEOF(err)
	}
	got, err := io.Copy(io.Discard, r)
	return code, int(got), err
}

// noEOF: a response that ends before its end is cut short.
func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// A StatusError is a response that was not a 200 with a body.
type StatusError struct{ Code, Len int }

func (e *StatusError) Error() string {
	return fmt.Sprintf("http status %d with %d body bytes", e.Code, e.Len)
}
