package gdbcompare

import (
	"bufio"
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"syscall"
	"time"
)

var listening = regexp.MustCompile(`^faultline: listening on 127\.0\.0\.1:(\d+);`)

// ServeBT runs `faultline serve CORE --elf ELF --port 0`, attaches stock
// gdb-multiarch with target remote and returns its bt as GDB does (function
// names innermost first, without the handler frame and "<signal handler
// called>"), with gdb's raw output: what a person gets from a capture
// taken elsewhere. Bounded by ctx and a 60 s timeout.
func ServeBT(ctx context.Context, elf, core string) (frames []string, raw string, err error) {
	bin, err := Binary(ctx)
	if err != nil {
		return nil, "", err
	}
	ctx, cancel := context.WithTimeout(ctx, gdbTimeout)
	defer cancel()
	env, err := runEnv()
	if err != nil {
		return nil, "", err
	}
	srv := exec.CommandContext(ctx, bin, "serve", core, "--elf", elf, "--port", "0")
	srv.Env = env
	srv.WaitDelay = 2 * time.Second
	stderr, err := srv.StderrPipe()
	if err != nil {
		return nil, "", fmt.Errorf("serve: %w", err)
	}
	if err := srv.Start(); err != nil {
		return nil, "", fmt.Errorf("serve: %w", err)
	}
	defer func() {
		_ = srv.Process.Signal(syscall.SIGINT)
		_ = srv.Wait()
	}()
	port := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				port <- m[1]
			}
		}
		close(port)
	}()
	var p string
	select {
	case v, ok := <-port:
		if !ok {
			return nil, "", fmt.Errorf("serve ended before listening")
		}
		p = v
	case <-ctx.Done():
		return nil, "", fmt.Errorf("serve printed no listening line: %w", ctx.Err())
	}
	cmd := exec.CommandContext(ctx, "gdb-multiarch", "-q", "-nx", "-batch", elf,
		"-ex", "set pagination off", "-ex", "set width 0",
		"-ex", "target remote 127.0.0.1:"+p, "-ex", "bt")
	cmd.WaitDelay = 2 * time.Second
	out, runErr := cmd.CombinedOutput()
	raw = string(out)
	if runErr != nil {
		return nil, raw, fmt.Errorf("gdb over serve: %w", runErr)
	}
	return parseBT(raw), raw, nil
}
