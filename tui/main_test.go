package tui_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/faultline-dev/faultline/tui/internal/fake"
)

// demoEnv makes the test binary run the demo program instead of the tests,
// so the tmux test needs no separate build (and runs with -race too).
const demoEnv = "FAULTLINE_TUI_TEST_DEMO"

func TestMain(m *testing.M) {
	if os.Getenv(demoEnv) == "1" {
		os.Exit(demoMain())
	}
	os.Exit(m.Run())
}

func demoMain() int {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	var o fake.DemoOptions
	fs.StringVar(&o.CrashFile, "crash-file", "", "")
	fs.DurationVar(&o.LineEvery, "line-every", 200*time.Millisecond, "")
	fs.BoolVar(&o.AltScreen, "alt", true, "")
	fs.BoolVar(&o.Mouse, "mouse", true, "")
	if err := fs.Parse(strings.Fields(os.Getenv(demoEnv + "_ARGS"))); err != nil {
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	b, err := fake.RunDemo(ctx, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		return 1
	}
	fmt.Println("demo: backend calls:", strings.Join(b.Calls(), ","))
	return 0
}
