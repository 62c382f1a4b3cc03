package exporter

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/exporter-toolkit/web"
)

// ServerOptions configure the HTTP server.
type ServerOptions struct {
	ListenAddresses []string
	TelemetryPath   string
	WebConfigFile   string // exporter-toolkit web config: TLS, basic auth
	Version         string
	Gatherer        prometheus.Gatherer
	Logger          *slog.Logger
	// Ready reports whether the first scan of every source is done.
	Ready func() bool
	// Listening, if set, is told the bound addresses (useful with port 0).
	Listening func([]net.Addr)
	// Files, if set, lists the followed files for the status page.
	Files func() []FileStatus
}

// Handler returns the exporter's HTTP routes: the telemetry path, the
// landing page, /status, /-/healthy and /-/ready.
func Handler(opts ServerOptions) (http.Handler, error) {
	h, _, err := handler(opts)
	return h, err
}

func handler(opts ServerOptions) (http.Handler, *statusPage, error) {
	mux := http.NewServeMux()
	status := &statusPage{gatherer: opts.Gatherer, files: opts.Files, version: opts.Version}
	mux.Handle("/status", status)
	mux.Handle(opts.TelemetryPath, promhttp.HandlerFor(opts.Gatherer, promhttp.HandlerOpts{
		ErrorLog:          slog.NewLogLogger(opts.Logger.Handler(), slog.LevelError),
		EnableOpenMetrics: true,
	}))
	mux.HandleFunc("/-/healthy", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "Healthy")
	})
	mux.HandleFunc("/-/ready", func(w http.ResponseWriter, _ *http.Request) {
		if opts.Ready != nil && !opts.Ready() {
			http.Error(w, "Not ready: first scan of the log paths is running", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "Ready")
	})
	if opts.TelemetryPath != "/" {
		landing, err := web.NewLandingPage(web.LandingConfig{
			Name:        "httpstatus-exporter",
			Description: "Counts HTTP responses in access logs by status code, with each code's documented meaning",
			Version:     opts.Version,
			Links: []web.LandingLinks{
				{Address: opts.TelemetryPath, Text: "Metrics"},
				{Address: "/status", Text: "Status: codes, meanings, rates and files"},
				{Address: "/-/healthy", Text: "Health"},
				{Address: "/-/ready", Text: "Readiness"},
			},
		})
		if err != nil {
			return nil, nil, fmt.Errorf("landing page: %w", err)
		}
		mux.Handle("/", landing)
	}
	return mux, status, nil
}

// Serve serves Handler(opts) on every listen address until ctx is cancelled,
// then shuts the server down, letting scrapes in flight finish.
func Serve(ctx context.Context, opts ServerOptions) error {
	h, status, err := handler(opts)
	if err != nil {
		return err
	}
	sampling := make(chan struct{})
	sctx, stopSampling := context.WithCancel(ctx)
	go func() {
		defer close(sampling)
		status.run(sctx)
	}()
	defer func() {
		stopSampling()
		<-sampling
	}()
	if err := web.Validate(opts.WebConfigFile); err != nil {
		return fmt.Errorf("web config %s: %w", opts.WebConfigFile, err)
	}
	// Listen here rather than in web.ListenAndServe so that port 0 works and
	// the bound addresses can be told.
	var listeners []net.Listener
	defer func() {
		for _, l := range listeners {
			l.Close()
		}
	}()
	var bound []net.Addr
	for _, addr := range opts.ListenAddresses {
		l, err := net.Listen("tcp", addr)
		if err != nil {
			return fmt.Errorf("listen %s: %w", addr, err)
		}
		listeners = append(listeners, l)
		bound = append(bound, l.Addr())
	}
	if opts.Listening != nil {
		opts.Listening(bound)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second,
		// TLS handshake failures and the like go to slog, not to stderr.
		ErrorLog: slog.NewLogLogger(opts.Logger.Handler(), slog.LevelWarn)}
	cfg := opts.WebConfigFile
	flags := &web.FlagConfig{WebListenAddresses: &opts.ListenAddresses, WebConfigFile: &cfg, WebSystemdSocket: new(bool)}
	errc := make(chan error, 1)
	go func() { errc <- web.ServeMultiple(listeners, srv, flags, opts.Logger) }()
	select {
	case err := <-errc:
		return fmt.Errorf("web server: %w", err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return fmt.Errorf("web server shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("web server: %w", err)
	}
	return nil
}
