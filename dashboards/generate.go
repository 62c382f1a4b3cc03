// Command dashboards generates the Grafana dashboard shipped with
// httpstatus-exporter (httpstatus-overview.json in this folder) and the
// ConfigMap that hands it to Grafana's dashboard sidecar
// (deploy/kubernetes/dashboard-configmap.yaml), with the builders of
// github.com/grafana/grafana-foundation-sdk.
//
// It knows the exporter's metric names and the records and alerts of the
// rules package, whose options (thresholds, --group-by labels, runbook URL)
// it takes, so that a dashboard and rules rendered with the same flags agree.
// It is a module of its own so that the SDK stays out of the exporter's.
//
//	go run . -out httpstatus-overview.json                  # what is shipped
//	go run . -group-by=cluster -slo=0.995 -out my.json      # for rules rendered with the same flags
//	go generate                                             # both shipped files
//
//go:generate go run . -out httpstatus-overview.json -configmap ../deploy/kubernetes/dashboard-configmap.yaml
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/httpstatus-exporter/httpstatus-exporter/rules"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "dashboards:", err)
		os.Exit(2)
	}
}

// labelList is a repeatable flag that also takes comma-separated values.
type labelList []string

func (l *labelList) String() string { return strings.Join(*l, ",") }

func (l *labelList) Set(s string) error {
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			*l = append(*l, v)
		}
	}
	return nil
}

// run parses args, renders the dashboard and writes it to -out (stdout when
// empty or "-") and, with -configmap, the ConfigMap holding it.
func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("dashboards", flag.ContinueOnError)
	fs.SetOutput(stderr)
	def := rules.DefaultOptions()
	opts := def
	var groupBy labelList
	out := fs.String("out", "", "write the dashboard JSON to this file (default: stdout)")
	cm := fs.String("configmap", "", "also write a ConfigMap (label grafana_dashboard: \"1\") holding the dashboard to this file")
	fs.Float64Var(&opts.SLO, "slo", def.SLO, "the availability objective of the rules (--slo of exporter rules)")
	fs.Float64Var(&opts.Ratio, "ratio", def.Ratio, "5xx share of HTTPStatus5xxRatioHigh (--ratio)")
	fs.Float64Var(&opts.GatewayRatio, "gateway-ratio", def.GatewayRatio, "gateway share of HTTPStatusGatewayErrorsHigh (--gateway-ratio)")
	fs.Float64Var(&opts.UnparsedRatio, "unparsed-ratio", def.UnparsedRatio, "unparsed share of HTTPStatusUnparsedLinesHigh (--unparsed-ratio)")
	fs.Float64Var(&opts.MinRate, "min-rate", def.MinRate, "requests/s the alerts need (--min-rate)")
	fs.DurationVar(&opts.For, "for", def.For, "how long the ratio conditions hold before the alerts fire (--for)")
	fs.StringVar(&opts.RunbookURL, "runbook-url", def.RunbookURL, "base of the runbook links (--runbook-url)")
	fs.Var(&groupBy, "group-by", "a label the rules keep besides source (--group-by); repeatable: one variable each")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	opts.GroupBy = groupBy
	js, err := Render(opts)
	if err != nil {
		return err
	}
	if *out == "" || *out == "-" {
		if _, err := stdout.Write(js); err != nil {
			return err
		}
	} else if err := writeFile(*out, js); err != nil {
		return err
	}
	if *cm != "" {
		if err := writeFile(*cm, ConfigMap(js)); err != nil {
			return err
		}
	}
	return nil
}

// writeFile replaces path atomically: a temporary file beside it, renamed.
func writeFile(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(f.Name()) // fails harmlessly once renamed
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
