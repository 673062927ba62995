package probe

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// ConsoleOptions configures OpenConsole. Zero values pick the defaults.
type ConsoleOptions struct {
	// Scrollback is the number of lines Lines and Tail keep (default 10000).
	Scrollback int
	// LogFile receives the raw bytes exactly as read (no escaping, no
	// splitting). LogPath, when set, is opened for appending and closed by
	// Close; both may be set.
	LogFile io.Writer
	LogPath string
	// OnLine is called for every line, from the reader goroutine, in
	// order. It must return quickly: the port is not read meanwhile.
	OnLine func(Line)
	// Timeline, when set, receives a console-line event per line, the
	// console-gap events and the events of Detectors.
	Timeline *Timeline
	// Detectors, when set, runs over every line; detections go to
	// Timeline and to Watch callbacks.
	Detectors *DetectorSet
	// Name is the events' Source (default "serial " + the spec).
	Name string
	// IdleFlush is how long a line without terminator waits for more bytes
	// before it is emitted as partial (default 200ms).
	IdleFlush time.Duration
	// MaxLine cuts longer unterminated runs into partial lines (default 4096 bytes).
	MaxLine int
	// ReconnectMin and ReconnectMax bound the exponential backoff between
	// reopen attempts after the port vanished (default 100ms and 2s).
	ReconnectMin, ReconnectMax time.Duration
	// WaitForPort makes OpenConsole succeed when the first open fails (a
	// board mid-reset, its USB port not yet enumerated): the console starts
	// disconnected and keeps trying, as after a gap.
	WaitForPort bool
	// ListPorts replaces the system's list of serial ports for usb: specs
	// (tests use it; nil means go.bug.st/serial's enumerator).
	ListPorts func() ([]*USBPort, error)
}

// A Console reads a serial console (a tty, a pty or a TCP stream) into
// timestamped lines, keeps a bounded scrollback, writes a raw log, and
// survives the port vanishing by reopening it with backoff.
type Console struct {
	spec    SerialSpec
	opts    ConsoleOptions
	source  string
	cancel  context.CancelFunc
	done    chan struct{}
	logs    []io.Writer
	owned   *os.File // LogPath, closed by Close
	readBuf []byte

	mu        sync.Mutex
	ring      []Line
	start, n  int
	seq       uint64
	watchers  map[int]func(Line, []Detection)
	nextWatch int
	device    string // currently open device path (usb: specs resolve to one)
	connected bool
	port      port // the open port, for Write; nil while disconnected
	gaps      int
	logErr    error
	detected  []Detected // recent detections, newest last, at most maxDetected

	closeOnce sync.Once
	closeErr  error
}

// OpenConsole opens spec and starts reading it in the background. The
// first open must succeed (so a typo fails fast); after that a vanished
// port is reopened until Close or ctx ends. ctx bounds the console's whole
// life: cancelling it stops reading as Close does.
func OpenConsole(ctx context.Context, spec SerialSpec, opts ConsoleOptions) (*Console, error) {
	if opts.Scrollback <= 0 {
		opts.Scrollback = 10000
	}
	if opts.IdleFlush <= 0 {
		opts.IdleFlush = 200 * time.Millisecond
	}
	if opts.MaxLine <= 0 {
		opts.MaxLine = DefaultMaxLine
	}
	if opts.ReconnectMin <= 0 {
		opts.ReconnectMin = 100 * time.Millisecond
	}
	if opts.ReconnectMax < opts.ReconnectMin {
		opts.ReconnectMax = max(2*time.Second, opts.ReconnectMin)
	}
	c := &Console{
		spec:     spec,
		opts:     opts,
		source:   opts.Name,
		done:     make(chan struct{}),
		ring:     make([]Line, opts.Scrollback),
		watchers: make(map[int]func(Line, []Detection)),
		readBuf:  make([]byte, 64<<10),
	}
	if c.source == "" {
		c.source = "serial " + spec.String()
	}
	if opts.LogFile != nil {
		c.logs = append(c.logs, opts.LogFile)
	}
	if opts.LogPath != "" {
		f, err := os.OpenFile(opts.LogPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
		if err != nil {
			return nil, fmt.Errorf("open console log: %w", err)
		}
		c.owned = f
		c.logs = append(c.logs, f)
	}
	openCtx, cancelOpen := context.WithTimeout(ctx, 5*time.Second)
	p, dev, err := openPort(openCtx, spec, &c.opts, c.readTimeout())
	cancelOpen()
	if err != nil && !opts.WaitForPort {
		if c.owned != nil {
			c.owned.Close()
		}
		return nil, err
	}
	runCtx, cancel := context.WithCancel(ctx)
	c.cancel = cancel
	if err != nil {
		c.gaps++
		c.opts.Timeline.Add(Event{Kind: EventConsoleGap, Source: c.source,
			Text:   fmt.Sprintf("console %s not there yet, waiting: %v", spec, err),
			Fields: map[string]string{"state": "lost", "error": err.Error()}})
		go c.run(runCtx, nil)
		return c, nil
	}
	c.device, c.connected, c.port = dev, true, p
	go c.run(runCtx, p)
	return c, nil
}

// readTimeout is the poll period of the reader: short enough to flush an
// idle partial line close to IdleFlush and to notice Close quickly.
func (c *Console) readTimeout() time.Duration {
	return min(max(c.opts.IdleFlush/4, 5*time.Millisecond), 50*time.Millisecond)
}

// Spec returns the spec the console was opened with.
func (c *Console) Spec() SerialSpec { return c.spec }

// Device returns the device path (or TCP address) last opened and whether
// the port is open now.
func (c *Console) Device() (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.device, c.connected
}

// Gaps returns how many times the port vanished.
func (c *Console) Gaps() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gaps
}

// Done is closed when the reader has stopped (Close or ctx).
func (c *Console) Done() <-chan struct{} { return c.done }

// Close stops reading, closes the port and the log file opened from
// LogPath, and waits for the reader goroutine. It returns the first raw
// log write error, if any. Idempotent.
func (c *Console) Close() error {
	c.closeOnce.Do(func() {
		c.cancel()
		<-c.done
		c.mu.Lock()
		c.closeErr = c.logErr
		c.mu.Unlock()
		if c.owned != nil {
			if err := c.owned.Close(); err != nil && c.closeErr == nil {
				c.closeErr = fmt.Errorf("close console log: %w", err)
			}
		}
	})
	return c.closeErr
}

// Write sends b to the device (an answer to a prompt on its console).
// It fails while the port is disconnected.
func (c *Console) Write(b []byte) (int, error) {
	c.mu.Lock()
	p := c.port
	c.mu.Unlock()
	if p == nil {
		return 0, fmt.Errorf("write to console %s: not connected", c.spec)
	}
	n, err := p.Write(b)
	if err != nil {
		return n, fmt.Errorf("write to console %s: %w", c.spec, err)
	}
	return n, nil
}

// Lines returns the scrollback, oldest first.
func (c *Console) Lines() []Line { return c.Tail(-1) }

// Tail returns the last n lines of the scrollback (all when n < 0).
func (c *Console) Tail(n int) []Line {
	c.mu.Lock()
	defer c.mu.Unlock()
	if n < 0 || n > c.n {
		n = c.n
	}
	out := make([]Line, n)
	for i := range n {
		out[i] = c.ring[(c.start+c.n-n+i)%len(c.ring)]
	}
	return out
}

// maxDetected bounds the detections a console remembers.
const maxDetected = 256

// Detections returns the recent detections of the console's Detectors,
// oldest first.
func (c *Console) Detections() []Detected {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Detected(nil), c.detected...)
}

// Watch registers fn to be called for every new line with the detections
// of the console's Detectors (nil without). fn runs on the reader
// goroutine and must not block. The returned func unregisters it.
func (c *Console) Watch(fn func(Line, []Detection)) (cancel func()) {
	c.mu.Lock()
	id := c.nextWatch
	c.nextWatch++
	c.watchers[id] = fn
	c.mu.Unlock()
	return func() {
		c.mu.Lock()
		delete(c.watchers, id)
		c.mu.Unlock()
	}
}

// run is the reader goroutine: read, split, and on a read error flush,
// record the gap and reopen with backoff. p nil starts disconnected.
func (c *Console) run(ctx context.Context, p port) {
	defer close(c.done)
	sp := &splitter{maxLine: c.opts.MaxLine, emitLine: c.emitLine}
	lostAt := time.Now()
	for {
		if p == nil {
			if p = c.reopen(ctx); p == nil {
				return
			}
			c.mu.Lock()
			dev := c.device
			c.mu.Unlock()
			after := time.Since(lostAt)
			c.opts.Timeline.Add(Event{Kind: EventConsoleGap, Source: c.source,
				Text:   fmt.Sprintf("console %s reconnected after %s", dev, after.Round(time.Millisecond)),
				Fields: map[string]string{"state": "reconnected", "device": dev, "after": after.String()}})
		}
		err := c.readLoop(ctx, p, sp)
		c.mu.Lock()
		c.port = nil
		c.mu.Unlock()
		p.Close()
		p = nil
		sp.flush() // nothing read before the gap is lost
		sp.skip = 0
		if ctx.Err() != nil {
			return
		}
		lostAt = time.Now()
		c.mu.Lock()
		c.connected = false
		c.gaps++
		dev := c.device
		c.mu.Unlock()
		c.opts.Timeline.Add(Event{Time: lostAt, Kind: EventConsoleGap, Source: c.source,
			Text:   fmt.Sprintf("console %s lost: %v", dev, err),
			Fields: map[string]string{"state": "lost", "device": dev, "error": err.Error()}})
	}
}

// readLoop reads until an error or ctx ends; it returns the read error.
func (c *Console) readLoop(ctx context.Context, p port, sp *splitter) error {
	for ctx.Err() == nil {
		n, err := p.Read(c.readBuf)
		now := time.Now()
		if n > 0 {
			c.writeLog(c.readBuf[:n])
			sp.feed(c.readBuf[:n], now)
		} else if sp.pending() && now.Sub(sp.last) >= c.opts.IdleFlush {
			sp.flush()
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return errors.New("end of stream")
			}
			return err
		}
	}
	return ctx.Err()
}

// reopen retries until the port opens (returned) or ctx ends (nil).
func (c *Console) reopen(ctx context.Context) port {
	delay := c.opts.ReconnectMin
	t := time.NewTimer(delay)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		openCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
		p, dev, err := openPort(openCtx, c.spec, &c.opts, c.readTimeout())
		cancel()
		if err == nil {
			c.mu.Lock()
			c.device, c.connected, c.port = dev, true, p
			c.mu.Unlock()
			return p
		}
		delay = min(2*delay, c.opts.ReconnectMax)
		t.Reset(delay)
	}
}

func (c *Console) writeLog(b []byte) {
	for _, w := range c.logs {
		if _, err := w.Write(b); err != nil {
			c.mu.Lock()
			if c.logErr == nil {
				c.logErr = fmt.Errorf("write console log: %w", err)
			}
			c.mu.Unlock()
		}
	}
}

// emitLine turns a raw line into a Line and hands it to everyone
// interested. Called on the reader goroutine only.
func (c *Console) emitLine(raw []byte, first time.Time, partial bool) {
	c.mu.Lock()
	c.seq++
	l := Line{Seq: c.seq, Time: first, Text: escapeText(raw), Partial: partial}
	if c.n < len(c.ring) {
		c.ring[(c.start+c.n)%len(c.ring)] = l
		c.n++
	} else {
		c.ring[c.start] = l
		c.start = (c.start + 1) % len(c.ring)
	}
	var watchers []func(Line, []Detection)
	for _, w := range c.watchers {
		watchers = append(watchers, w)
	}
	c.mu.Unlock()

	if c.opts.OnLine != nil {
		c.opts.OnLine(l)
	}
	var dets []Detection
	if c.opts.Detectors != nil {
		dets = c.opts.Detectors.Detect(l)
		if len(dets) > 0 {
			c.mu.Lock()
			for _, d := range dets {
				c.detected = append(c.detected, Detected{Line: l, Detection: d})
			}
			if len(c.detected) > maxDetected {
				c.detected = append(c.detected[:0], c.detected[len(c.detected)-maxDetected:]...)
			}
			c.mu.Unlock()
		}
	}
	if tl := c.opts.Timeline; tl != nil {
		ev := Event{Time: l.Time, Kind: EventConsoleLine, Source: c.source, Text: l.Text}
		if partial {
			ev.Fields = map[string]string{"partial": "true"}
		}
		tl.Add(ev)
		for _, d := range dets {
			tl.Add(d.Event(l.Time, c.source))
		}
	}
	for _, w := range watchers {
		w(l, dets)
	}
}
