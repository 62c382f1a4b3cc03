package exporter

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

func TestServeRoutes(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	if _, err := NewMetrics(reg, BuildInfo{Version: "1.2.3"}); err != nil {
		t.Fatal(err)
	}
	var ready atomic.Bool
	addrc := make(chan net.Addr, 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Serve(ctx, ServerOptions{
			ListenAddresses: []string{"127.0.0.1:0"}, TelemetryPath: "/metrics", Version: "1.2.3",
			Gatherer: reg, Logger: slog.New(slog.DiscardHandler), Ready: ready.Load,
			Listening: func(a []net.Addr) { addrc <- a[0] },
		})
	}()
	base := "http://" + (<-addrc).String()
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	for _, c := range []struct {
		path     string
		code     int
		contains string
	}{
		{"/metrics", 200, `httpstatus_exporter_build_info{goversion="",revision="",version="1.2.3"} 1`},
		{"/", 200, "httpstatus-exporter"},
		{"/-/healthy", 200, "Healthy"},
		{"/-/ready", 503, "Not ready"},
	} {
		code, body := get(c.path)
		if code != c.code || !strings.Contains(body, c.contains) {
			t.Errorf("GET %s = %d %q, want %d containing %q", c.path, code, body, c.code, c.contains)
		}
	}
	ready.Store(true)
	if code, _ := get("/-/ready"); code != 200 {
		t.Errorf("GET /-/ready after the first scan = %d, want 200", code)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after cancel")
	}
}

func TestServeListenError(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	err = Serve(context.Background(), ServerOptions{
		ListenAddresses: []string{l.Addr().String()}, TelemetryPath: "/metrics",
		Gatherer: prometheus.NewRegistry(), Logger: slog.New(slog.DiscardHandler),
	})
	if err == nil || !strings.Contains(err.Error(), l.Addr().String()) {
		t.Errorf("Serve on a busy port = %v, want an error naming the address", err)
	}
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }
