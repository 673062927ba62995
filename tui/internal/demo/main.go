// Command demo runs the faultline TUI against a scripted fake session, for
// trying the TUI without hardware and for the tmux test:
//
//	go run ./tui/internal/demo -crash-after 5s
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/faultline-dev/faultline/tui/internal/fake"
)

func main() {
	var o fake.DemoOptions
	flag.DurationVar(&o.CrashAfter, "crash-after", 8*time.Second, "crash this long after start (0: never)")
	flag.StringVar(&o.CrashFile, "crash-file", "", "crash as soon as this file exists")
	flag.DurationVar(&o.LineEvery, "line-every", 300*time.Millisecond, "a console line this often")
	flag.BoolVar(&o.AltScreen, "alt", true, "use the alternate screen")
	flag.BoolVar(&o.Mouse, "mouse", true, "mouse wheel scrolling")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	b, err := fake.RunDemo(ctx, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
	fmt.Println("demo: backend calls:", strings.Join(b.Calls(), ","))
}
