package main

import (
	"context"
	"fmt"
	"io"
)

// runDemoTUI is replaced by the TUI wiring once tui/ lands.
func runDemoTUI(ctx context.Context, f demoFlags, stderr io.Writer) error {
	return usageError("the TUI is not built yet: run faultline demo --no-tui")
}

var _ = fmt.Sprint
