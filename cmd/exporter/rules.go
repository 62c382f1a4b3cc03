package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/prometheus/common/model"

	"github.com/httpstatus-exporter/httpstatus-exporter/rules"
)

// prometheusRuleFile is the file --format=prometheus-rule writes into
// --output-dir.
const prometheusRuleFile = "prometheus_rule.yaml"

// rulesCmd prints (or writes) the Prometheus rule files rendered from its
// flags. Its defaults are rules.DefaultOptions(), which the shipped files in
// rules/ are rendered from; a test keeps the two equal.
type rulesCmd struct {
	SLO           float64           `name:"slo" default:"0.999" help:"Availability objective: the share of responses that are not 5xx, between 0 and 1. The error budget is 1 - SLO."`
	Ratio         float64           `name:"ratio" default:"0.05" help:"5xx share over 5m above which HTTPStatus5xxRatioHigh fires."`
	SpikeFactor   float64           `name:"spike-factor" default:"3" help:"HTTPStatus5xxSpike fires when the 5xx rate over 5m is at least this many times its rate over the hour before..."`
	SpikeRatio    float64           `name:"spike-ratio" default:"0.01" help:"...and the 5xx share over 5m is above this."`
	MinRate       float64           `name:"min-rate" default:"1" help:"Requests per second a source must serve for the 5xx, gateway and budget alerts to fire (so a lone error at night does not page)."`
	GatewayRatio  float64           `name:"gateway-ratio" default:"0.02" help:"Share of the gateway category (502, 504) over 5m above which HTTPStatusGatewayErrorsHigh fires."`
	UnparsedRatio float64           `name:"unparsed-ratio" default:"0.1" help:"Share of unparsed lines over 15m above which HTTPStatusUnparsedLinesHigh fires."`
	Selector      string            `name:"selector" default:"job=\"httpstatus-exporter\"" help:"Label matchers, without braces, that select the exporter's series and its up series (e.g. 'job=\"httpstatus-exporter\",namespace=\"monitoring\"')."`
	GroupBy       []string          `name:"group-by" placeholder:"LABEL" help:"A label kept besides source when the exporters are summed (cluster, namespace); repeatable."`
	For           model.Duration    `name:"for" default:"5m" help:"How long HTTPStatus5xxRatioHigh's and HTTPStatusGatewayErrorsHigh's conditions must hold before they fire."`
	Format        string            `name:"format" enum:"files,prometheus-rule" default:"files" help:"files: the recording and the alerting rule file; prometheus-rule: one PrometheusRule object for the Prometheus Operator (${enum})."`
	OutputDir     string            `name:"output-dir" placeholder:"DIR" help:"Write prometheus_rules.yaml and prometheus_alerts.yaml (or prometheus_rule.yaml) into DIR instead of printing them."`
	RunbookURL    string            `name:"runbook-url" default:"https://github.com/httpstatus-exporter/httpstatus-exporter/blob/main" help:"Base of the alerts' runbook_url, followed by /docs/runbooks.md#<alert>."`
	Label         map[string]string `name:"label" placeholder:"KEY=VALUE" help:"A metadata label of the PrometheusRule object, for the operator's ruleSelector (e.g. release=kube-prometheus-stack); repeatable."`
	// TimeScale is for tests and demos that want to see in seconds what
	// takes minutes: hidden, since rules scaled down page on noise.
	TimeScale float64 `name:"time-scale" default:"1" hidden:"" help:"Multiply every window, offset and for duration by this (tests only)."`
}

func (c *rulesCmd) options() rules.Options {
	return rules.Options{
		SLO:           c.SLO,
		Ratio:         c.Ratio,
		SpikeFactor:   c.SpikeFactor,
		SpikeRatio:    c.SpikeRatio,
		MinRate:       c.MinRate,
		GatewayRatio:  c.GatewayRatio,
		UnparsedRatio: c.UnparsedRatio,
		Selector:      c.Selector,
		GroupBy:       c.GroupBy,
		For:           time.Duration(c.For),
		RunbookURL:    c.RunbookURL,
		TimeScale:     c.TimeScale,
		ObjectLabels:  c.Label,
	}
}

// Validate is called by kong after parsing. The options themselves are
// checked by rules.Render, whose errors name them.
func (c *rulesCmd) Validate() error {
	if len(c.Label) > 0 && c.Format != "prometheus-rule" {
		return errors.New("--label sets labels of the PrometheusRule object: give --format=prometheus-rule too")
	}
	return nil
}

// ruleOutput is one file rulesCmd prints or writes.
type ruleOutput struct {
	name string
	data []byte
}

func (c *rulesCmd) Run(e *env) error {
	var out []ruleOutput
	switch c.Format {
	case "prometheus-rule":
		data, err := rules.RenderPrometheusRule(c.options())
		if err != nil {
			return err
		}
		out = []ruleOutput{{prometheusRuleFile, data}}
	default:
		files, err := rules.Render(c.options())
		if err != nil {
			return err
		}
		out = []ruleOutput{{rules.RulesFile, files.Rules}, {rules.AlertsFile, files.Alerts}}
	}

	if c.OutputDir == "" {
		// One YAML stream: each file a document, named in a comment.
		for i, f := range out {
			if len(out) > 1 {
				if i > 0 {
					fmt.Fprintln(e.stdout, "---")
				}
				fmt.Fprintf(e.stdout, "# File: %s\n", f.name)
			}
			if _, err := e.stdout.Write(f.data); err != nil {
				return fmt.Errorf("write rules: %w", err)
			}
		}
		return nil
	}
	// Rule files are public configuration that Prometheus, often another
	// user, must read: 0755 like /etc/prometheus.
	if err := os.MkdirAll(c.OutputDir, 0o755); err != nil { //nolint:gosec // G301: see above
		return fmt.Errorf("--output-dir: %w", err)
	}
	for _, f := range out {
		path := filepath.Join(c.OutputDir, f.name)
		if err := writeFileAtomic(path, f.data); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "wrote %s\n", path)
	}
	return nil
}

// writeFileAtomic writes data to a temporary file beside path and renames it
// over path, so that a Prometheus reloading meanwhile reads the old file or
// the new one, never half of one.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // after the rename it no longer exists
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	// Rule files are read by Prometheus, often as another user.
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
