package emu_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/faultline-dev/faultline/emu"
)

func get(ctx context.Context, addr string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second) // bounds a failure; CI runs every package at once
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/", nil)
	if err != nil {
		return "", err
	}
	tr := &http.Transport{DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", &emu.StatusError{Code: resp.StatusCode, Len: len(body)}
	}
	return string(body), nil
}

func TestBenchBootsServesAndRecoversFromLinkDrop(t *testing.T) {
	t.Parallel()
	ctx := waitCtx(t, 90*time.Second)
	b := startBench(ctx, t, "webserver-fixed")

	for _, want := range []string{"[hal] INFO: Last reset reason: 40 (data: 0x00)", "[app] INFO: "} {
		if !b.console.waitFor(ctx, want, 1) {
			t.Fatalf("console never showed %q", want)
		}
	}
	if err := b.WiFi().WaitListening(ctx); err != nil {
		t.Fatal(err)
	}
	body, err := get(ctx, b.HTTPAddr())
	if err != nil {
		t.Fatalf("GET before the drop: %v", err)
	}
	if !strings.Contains(body, "<html>") || !strings.Contains(body, "emulated Photon") {
		t.Fatalf("GET returned %q, want the index page", body)
	}

	b.DropLink()
	if _, err := get(ctx, b.HTTPAddr()); err == nil {
		t.Fatal("GET succeeded while the link was down")
	}
	b.RestoreLink()
	if err := b.WiFi().WaitListening(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := get(ctx, b.HTTPAddr()); err != nil {
		t.Fatalf("GET after the restore: %v", err)
	}
	if !b.console.waitFor(ctx, "[app] INFO: network back: restarting the server", 1) {
		t.Error("console never showed the server restart")
	}
}
