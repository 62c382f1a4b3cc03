package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"strings"

	"github.com/alecthomas/kong"
	"github.com/prometheus/common/version"

	"github.com/httpstatus-exporter/httpstatus-exporter/classify"
	"github.com/httpstatus-exporter/httpstatus-exporter/exporter"
)

// cli is the whole command line. Every flag of run can also be set by an
// environment variable, for the DaemonSet.
type cli struct {
	Version kong.VersionFlag `help:"Print version, revision and Go version, then exit."`

	LogLevel string `name:"log.level" enum:"debug,info,warn,error" default:"info" env:"HTTPSTATUS_LOG_LEVEL" help:"The exporter's own log level (${enum})."`

	Run         runCmd         `cmd:"" default:"withargs" help:"Follow the configured logs and serve metrics until SIGTERM or SIGINT (the default command)."`
	Replay      replayCmd      `cmd:"" help:"Read files once to the end (no checkpoint, no server) and report what was counted."`
	Classify    classifyCmd    `cmd:"" help:"Print code, category and meaning from the active status table."`
	ImportTable importTableCmd `cmd:"" name:"import-table" help:"Read a documentation page's status table (HTML or Markdown) and print it as a table file (YAML) on stdout."`
	Rules       rulesCmd       `cmd:"" help:"Print the Prometheus rule files for other thresholds or selectors."`
	CheckConfig checkConfigCmd `cmd:"" name:"check-config" help:"Validate the flags, print the resolved sources and exit (non-zero on error)."`
}

// env is what every command gets besides its flags.
type env struct {
	ctx    context.Context
	stdout io.Writer
	stderr io.Writer
	logger *slog.Logger
}

// tableFlags are the classification flags shared by run, replay, classify
// and check-config.
type tableFlags struct {
	ClassifyTable string `name:"classify.table" env:"HTTPSTATUS_CLASSIFY_TABLE" placeholder:"FILE" help:"A YAML status table replacing the embedded default (exporter import-table makes one from a documentation page)."`
	ClassifyLang  string `name:"classify.lang" enum:"en,zh" default:"en" env:"HTTPSTATUS_CLASSIFY_LANG" help:"Language of meanings (${enum}); classify prints both, this one first."`
}

// table loads --classify.table, or the embedded default without it. A bad
// table is an error naming the file, the line and the problem, and every
// command refuses to go on with it.
func (f tableFlags) table() (*classify.Table, error) {
	if f.ClassifyTable != "" {
		t, err := classify.LoadFile(f.ClassifyTable)
		if err != nil {
			return nil, fmt.Errorf("--classify.table: %w", err)
		}
		return t, nil
	}
	t, err := classify.Default()
	if err != nil {
		return nil, fmt.Errorf("embedded status table: %w", err)
	}
	return t, nil
}

// run parses args and runs the chosen command. It is main without the exit,
// so tests run the real command line in-process.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c cli
	exited := false
	parser, err := kong.New(&c,
		kong.Name("exporter"),
		kong.Description("httpstatus-exporter: follows HTTP access logs, classifies every response's status "+
			"by a documented status table and serves Prometheus counters."),
		kong.Writers(stdout, stderr),
		kong.Exit(func(int) { exited = true }),
		kong.UsageOnError(),
		kong.ConfigureHelp(kong.HelpOptions{Compact: true}),
		kong.Vars{"version": versionString()},
	)
	if err != nil {
		return fmt.Errorf("command line: %w", err)
	}
	kctx, err := parser.Parse(args)
	if exited {
		return nil
	}
	if err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return fmt.Errorf("log level: %w", err)
	}
	e := &env{ctx: ctx, stdout: stdout, stderr: stderr,
		logger: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))}
	return kctx.Run(e)
}

func buildInfo() exporter.BuildInfo {
	v := version.Version
	if v == "" {
		v = "devel" // not stamped: built with go build or go run, not make or the Dockerfile
	}
	return exporter.BuildInfo{Version: v, Revision: version.GetRevision(), GoVersion: runtime.Version()}
}

func versionString() string {
	b := buildInfo()
	return strings.Join([]string{"exporter (httpstatus-exporter) version " + b.Version,
		"revision " + b.Revision, b.GoVersion}, ", ")
}
