package soak

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/faultline-dev/faultline/emu"
)

func TestRequestOutcomeSortsLikeTheReporter(t *testing.T) {
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(2 * time.Second):
		}
	}))
	defer slow.Close()
	notFound := httptest.NewServer(http.NotFoundHandler())
	defer notFound.Close()
	reset := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			c.Close()
		}
	}))
	defer reset.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()
	tests := []struct {
		url, want string
	}{
		{slow.URL, "timeout"},
		{notFound.URL, "non200"},
		{reset.URL, "conn"},
		{closedURL, "conn"},
	}
	for _, tc := range tests {
		err := emu.Get(context.Background(), 300*time.Millisecond, tc.url)
		if got := requestOutcome(err); got != tc.want {
			t.Errorf("%s: %v sorted as %q, want %q", tc.url, err, got, tc.want)
		}
	}
	var c counters
	for _, err := range []error{nil, errors.New("x"), errors.New("y"), nil, nil, errors.New("z"), nil} {
		c.count(err)
	}
	if c.reconnects.Load() != 2 || c.success.Load() != 4 || c.other.Load() != 3 || c.requests.Load() != 7 {
		t.Errorf("counters: %s; want 2 reconnects, 4 ok, 3 other of 7", c.line(0))
	}
}
