package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"golang.org/x/sync/errgroup"

	"github.com/httpstatus-exporter/httpstatus-exporter/exporter"
	"github.com/httpstatus-exporter/httpstatus-exporter/logformat"
	"github.com/httpstatus-exporter/httpstatus-exporter/tailer"
)

// sourceFlags say which files to follow and how to read them.
type sourceFlags struct {
	LogPath   []string `name:"log.path" env:"HTTPSTATUS_LOG_PATH" placeholder:"GLOB" help:"Files to follow (a glob; repeatable, or comma-separated in the environment). Globs are re-checked so new files are found."`
	LogFormat string   `name:"log.format" default:"auto" env:"HTTPSTATUS_LOG_FORMAT" help:"Line format: auto, combined or common."`
	LogSource string   `name:"log.source" default:"default" env:"HTTPSTATUS_LOG_SOURCE" help:"The source label of the files given by --log.path."`

	TailFrom         string        `name:"tail.from" enum:"end,start" default:"end" env:"HTTPSTATUS_TAIL_FROM" help:"Where to begin in a file that has no checkpoint and existed at start-up (${enum}). Files that appear later are always read from their start."`
	TailPoll         bool          `name:"tail.poll" env:"HTTPSTATUS_TAIL_POLL" help:"Poll instead of using inotify (for filesystems without inotify)."`
	TailPollInterval time.Duration `name:"tail.poll-interval" default:"250ms" env:"HTTPSTATUS_TAIL_POLL_INTERVAL" help:"How often every file is checked for growth and rotation."`
	TailRotateWait   time.Duration `name:"tail.rotate-wait" default:"5s" env:"HTTPSTATUS_TAIL_ROTATE_WAIT" help:"How long a renamed or deleted file is still read after it last grew (writers keep writing until they reopen)."`
	TailMaxLineBytes int           `name:"tail.max-line-bytes" default:"262144" env:"HTTPSTATUS_TAIL_MAX_LINE_BYTES" help:"Longer lines are skipped and counted as unparsed (too_long)."`
}

func (f *sourceFlags) validate() error {
	if _, err := logformat.New(f.LogFormat); err != nil {
		return fmt.Errorf("--log.format: %w", err)
	}
	if f.LogSource == "" {
		return errors.New("--log.source must not be empty")
	}
	for _, g := range f.LogPath {
		if _, err := filepath.Match(g, ""); err != nil {
			return fmt.Errorf("--log.path %q: %w", g, err)
		}
	}
	if f.TailMaxLineBytes < 256 {
		return fmt.Errorf("--tail.max-line-bytes %d: want at least 256", f.TailMaxLineBytes)
	}
	if f.TailPollInterval < 10*time.Millisecond {
		return fmt.Errorf("--tail.poll-interval %s: want at least 10ms", f.TailPollInterval)
	}
	return nil
}

type runCmd struct {
	sourceFlags
	tableFlags

	ConfigFile string `name:"config.file" env:"HTTPSTATUS_CONFIG_FILE" type:"existingfile" help:"YAML with several sources (each: name, paths, format, table, labels); see the README."`

	CheckpointFile     string        `name:"checkpoint.file" default:"/var/lib/httpstatus-exporter/positions.json" env:"HTTPSTATUS_CHECKPOINT_FILE" help:"Where read positions are kept across restarts; empty disables. If it cannot be written the exporter warns, counts the error and keeps running."`
	CheckpointInterval time.Duration `name:"checkpoint.interval" default:"10s" env:"HTTPSTATUS_CHECKPOINT_INTERVAL" help:"How often positions are written (and always at shutdown)."`

	WebListenAddress []string `name:"web.listen-address" default:":10066" env:"HTTPSTATUS_WEB_LISTEN_ADDRESS" help:"Address to serve metrics on; repeatable."`
	WebTelemetryPath string   `name:"web.telemetry-path" default:"/metrics" env:"HTTPSTATUS_WEB_TELEMETRY_PATH" help:"Path under which metrics are served."`
	WebConfigFile    string   `name:"web.config.file" env:"HTTPSTATUS_WEB_CONFIG_FILE" type:"existingfile" help:"exporter-toolkit web config file (TLS, basic auth)."`

	Demo bool `name:"demo" env:"HTTPSTATUS_DEMO" help:"Write live demo traffic into a temporary log and follow it."`
}

// Validate is called by kong after parsing.
func (c *runCmd) Validate() error {
	if len(c.LogPath) == 0 && !c.Demo && c.ConfigFile == "" {
		return errors.New("nothing to follow: give --log.path or --config.file (or try --demo)")
	}
	if c.CheckpointInterval < time.Second {
		return fmt.Errorf("--checkpoint.interval %s: want at least 1s", c.CheckpointInterval)
	}
	if len(c.WebListenAddress) == 0 {
		return errors.New("--web.listen-address: give at least one")
	}
	return c.validate()
}

// sources resolves the sources to follow: the one of --log.path (if given)
// and those of --config.file.
func (c *runCmd) sources() ([]source, error) {
	table, err := c.table()
	if err != nil {
		return nil, err
	}
	var out []source
	if len(c.LogPath) > 0 {
		out = append(out, source{Name: c.LogSource, Paths: c.LogPath, Format: c.LogFormat, Table: table})
	}
	if c.ConfigFile != "" {
		more, err := loadConfig(c.ConfigFile, table)
		if err != nil {
			return nil, err
		}
		out = append(out, more...)
	}
	return out, checkUnique(out)
}

func (c *runCmd) Run(e *env) error {
	return c.serve(e, nil)
}

// serve runs the exporter until e.ctx is cancelled. listening, if set, is
// told the bound addresses (tests listen on port 0).
func (c *runCmd) serve(e *env, listening func([]net.Addr)) error {
	log := e.logger
	sources, err := c.sources()
	if err != nil {
		return err
	}
	g, ctx := errgroup.WithContext(e.ctx)
	fromStart, checkpointFile := c.TailFrom == "start", c.CheckpointFile
	if c.Demo {
		table, err := c.table()
		if err != nil {
			return err
		}
		dir, err := os.MkdirTemp("", "httpstatus-demo-")
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		defer os.RemoveAll(dir)
		logPath := filepath.Join(dir, "access.log")
		if err := os.WriteFile(logPath, nil, 0o600); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		name := c.LogSource
		if len(c.LogPath) > 0 { // --log.path has that name already
			name = "demo"
		}
		sources = append(sources, source{Name: name, Paths: []string{logPath}, Format: "combined", Table: table})
		if err := checkUnique(sources); err != nil {
			return err
		}
		fromStart, checkpointFile = true, ""
		g.Go(func() error { return writeDemo(ctx, logPath, table) })
		log.Info("demo: writing live traffic", "path", logPath)
	}

	reg := prometheus.NewRegistry()
	for _, col := range []prometheus.Collector{
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	} {
		if err := reg.Register(col); err != nil {
			return fmt.Errorf("register collector: %w", err)
		}
	}
	var labels []exporter.Labels
	for _, s := range sources {
		labels = append(labels, s.Labels)
	}
	metrics, err := exporter.NewMetrics(reg, buildInfo(), exporter.ExtraLabelNames(labels...)...)
	if err != nil {
		return fmt.Errorf("register metrics: %w", err)
	}

	cp := tailer.NewCheckpoint(checkpointFile)
	cpErr := cp.Load()
	var tailers []*tailer.Tailer
	for _, s := range sources {
		src, err := metrics.NewSource(exporter.SourceOptions{
			Name: s.Name, Format: s.Format, Table: s.Table, Lang: c.ClassifyLang, MaxLineBytes: c.TailMaxLineBytes,
			Labels: s.Labels, DurationHistogram: s.DurationHistogram, Logger: log,
		})
		if err != nil {
			return err
		}
		if cpErr != nil {
			metrics.Errors(s.Name, tailer.ErrCheckpointRead).Inc()
		}
		t, err := tailer.New(tailer.Options{
			Source: s.Name, Paths: s.Paths, FromStart: fromStart, Poll: c.TailPoll,
			PollInterval: c.TailPollInterval, RotateWait: c.TailRotateWait, MaxLineBytes: c.TailMaxLineBytes,
			Checkpoint: cp, Logger: log,
		}, src)
		if err != nil {
			return fmt.Errorf("source %s: %w", s.Name, err)
		}
		tailers = append(tailers, t)
		log.Info("source", "source", s.Name, "paths", s.Paths, "format", s.Format, "table", s.Table.Name())
	}
	if cpErr != nil {
		// A bad checkpoint must not stop the exporter: start without it.
		log.Warn("checkpoint not used, starting without it", "err", cpErr)
	}
	writeCheckpoint := func() {
		if cp.Path() == "" {
			return
		}
		err := os.MkdirAll(filepath.Dir(cp.Path()), 0o750)
		if err == nil {
			err = cp.Write()
		}
		if err != nil {
			log.Warn("checkpoint not written", "path", cp.Path(), "err", err)
			for _, s := range sources {
				metrics.Errors(s.Name, tailer.ErrCheckpointWrite).Inc()
			}
		}
	}

	for _, t := range tailers {
		g.Go(func() error { return t.Run(ctx) })
	}
	g.Go(func() error {
		tick := time.NewTicker(c.CheckpointInterval)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return nil
			case <-tick.C:
				writeCheckpoint()
			}
		}
	})
	g.Go(func() error {
		return exporter.Serve(ctx, exporter.ServerOptions{
			ListenAddresses: c.WebListenAddress, TelemetryPath: c.WebTelemetryPath, WebConfigFile: c.WebConfigFile,
			Version: buildInfo().Version, Gatherer: reg, Logger: log, Listening: listening,
			Files: func() []exporter.FileStatus {
				var out []exporter.FileStatus
				for i, t := range tailers {
					for _, f := range t.Files() {
						out = append(out, exporter.FileStatus{Source: sources[i].Name, Path: f.Path, Offset: f.Offset,
							Size: f.Size, LastRead: f.LastRead, Draining: f.Draining})
					}
				}
				return out
			},
			Ready: func() bool {
				for _, t := range tailers {
					select {
					case <-t.Ready():
					default:
						return false
					}
				}
				return true
			},
		})
	})
	log.Info("starting", "sources", len(sources), "version", buildInfo().Version)
	err = g.Wait()
	// Every goroutine has stopped: the tailers drained and published their
	// last positions, so this write is the exact place to resume from.
	writeCheckpoint()
	log.Info("stopped")
	return err
}
