package main

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"

	"github.com/httpstatus-exporter/httpstatus-exporter/rules"
)

// shippedRules is the folder with the rule files shipped with the exporter.
var shippedRules = filepath.Join("..", "..", "rules")

// TestRulesDefaultsAreTheShippedFiles checks that `exporter rules` with no
// flags writes exactly the shipped files: the flags' defaults are
// rules.DefaultOptions().
func TestRulesDefaultsAreTheShippedFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new") // made by the command
	out, err := runCLI(t, "rules", "--output-dir="+dir)
	if err != nil {
		t.Fatal(err)
	}
	want := "wrote " + filepath.Join(dir, rules.RulesFile) + "\nwrote " + filepath.Join(dir, rules.AlertsFile) + "\n"
	if out != want {
		t.Errorf("stdout (-want +got):\n%s", cmp.Diff(want, out))
	}
	var printed strings.Builder
	for i, name := range []string{rules.RulesFile, rules.AlertsFile} {
		shipped, err := os.ReadFile(filepath.Join(shippedRules, name))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(string(shipped), string(got)); diff != "" {
			t.Errorf("%s differs from the shipped one (-shipped +written):\n%s", name, diff)
		}
		if st, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Error(err)
		} else if st.Mode().Perm() != 0o644 {
			t.Errorf("%s: mode %v, want 0644 (Prometheus reads it)", name, st.Mode())
		}
		if i > 0 {
			printed.WriteString("---\n")
		}
		printed.WriteString("# File: " + name + "\n" + string(shipped))
	}
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) != 2 {
		t.Errorf("output dir holds %v (err %v), want the two files only", entries, err)
	}

	// Without --output-dir both files are printed, one YAML document each.
	stdout, err := runCLI(t, "rules")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(printed.String(), stdout); diff != "" {
		t.Errorf("printed files (-want +got):\n%s", diff)
	}
	dec := yaml.NewDecoder(strings.NewReader(stdout))
	docs := 0
	for {
		var doc struct {
			Groups []yaml.Node `yaml:"groups"`
		}
		if err := dec.Decode(&doc); err != nil {
			if !errors.Is(err, io.EOF) {
				t.Fatalf("document %d: %v", docs, err)
			}
			break
		}
		if len(doc.Groups) != 1 {
			t.Errorf("document %d has %d groups, want 1", docs, len(doc.Groups))
		}
		docs++
	}
	if docs != 2 {
		t.Errorf("stdout holds %d YAML documents, want 2", docs)
	}
}

// TestRulesFlags checks that each flag reaches the rules, and that wrong
// values are refused with the option named.
func TestRulesFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want []string // in stdout
		err  string   // in the error, when one is wanted
	}{
		{"thresholds", []string{"--slo=0.995", "--ratio=0.1", "--spike-factor=4", "--spike-ratio=0.02",
			"--min-rate=0.5", "--gateway-ratio=0.03", "--unparsed-ratio=0.2", "--for=10m"},
			[]string{
				"source:httpstatus_responses_5xx:ratio_rate5m > 0.1\n",
				"source:httpstatus_responses:rate5m >= 0.5\n",
				"source:httpstatus_responses_5xx:rate5m >= 4 * (source:httpstatus_responses_5xx:rate1h offset 5m)",
				"source:httpstatus_responses_5xx:ratio_rate5m > 0.02\n",
				"source:httpstatus_responses_gateway:ratio_rate5m > 0.03\n",
				"source:httpstatus_lines_unparsed:ratio_rate15m > 0.2\n",
				"source:httpstatus_responses_5xx:ratio_rate6h > (6 * 0.005)",
				"for: 10m\n",
			}, ""},
		{"selector and group-by", []string{`--selector=job="web-logs",namespace="shop"`, "--group-by=cluster", "--group-by", "namespace"},
			[]string{
				`sum by (source, cluster, namespace) (rate(httpstatus_responses_total{job="web-logs",namespace="shop",code=~"5.."}[5m]))`,
				`up{job="web-logs",namespace="shop"} == 0`,
			}, ""},
		{"runbook url", []string{"--runbook-url=https://runbooks.example.test/httpstatus"},
			[]string{"runbook_url: https://runbooks.example.test/httpstatus/docs/runbooks.md#httpstatusexporterdown\n"}, ""},
		{"for in days", []string{"--for=1d"}, []string{"for: 1d\n"}, ""},
		{"time scale", []string{"--time-scale=0.1"}, []string{"[30s]", "for: 30s\n", "scaled by 0.1"}, ""},
		{"slo out of range", []string{"--slo=99.9"}, nil, "slo 99.9"},
		{"ratio 0", []string{"--ratio=0"}, nil, "ratio 0"},
		{"spike factor 1", []string{"--spike-factor=1"}, nil, "spike-factor 1"},
		{"negative min rate", []string{"--min-rate=-1"}, nil, "min-rate -1"},
		{"negative for", []string{"--for=-5m"}, nil, "for"},
		{"empty selector", []string{"--selector="}, nil, "selector"},
		{"selector with braces", []string{`--selector={job="x"}`}, nil, "selector"},
		{"group by source", []string{"--group-by=source"}, nil, "group-by"},
		{"bad format", []string{"--format=json"}, nil, "--format"},
		{"relative runbook url", []string{"--runbook-url=docs"}, nil, "runbook-url"},
		{"label without prometheus-rule", []string{"--label=release=x"}, nil, "--format=prometheus-rule"},
		{"time scale too small", []string{"--time-scale=0.001"}, nil, "time-scale"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := runCLI(t, append([]string{"rules"}, tc.args...)...)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("rules %v: error %v, want one with %q", tc.args, err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("rules %v: %v", tc.args, err)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("rules %v: output lacks %q", tc.args, w)
				}
			}
		})
	}
}

func TestRulesPrometheusRule(t *testing.T) {
	dir := t.TempDir()
	out, err := runCLI(t, "rules", "--format=prometheus-rule", "--label=release=kube-prometheus-stack",
		"--label", "team=web", "--output-dir="+dir)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, prometheusRuleFile)
	if out != "wrote "+path+"\n" {
		t.Errorf("stdout %q", out)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	printed, err := runCLI(t, "rules", "--format=prometheus-rule", "--label=release=kube-prometheus-stack", "--label=team=web")
	if err != nil {
		t.Fatal(err)
	}
	if printed != string(data) {
		t.Errorf("printed and written objects differ:\n%s", cmp.Diff(string(data), printed))
	}
	var obj struct {
		APIVersion string `yaml:"apiVersion"`
		Kind       string `yaml:"kind"`
		Metadata   struct {
			Name   string            `yaml:"name"`
			Labels map[string]string `yaml:"labels"`
		} `yaml:"metadata"`
		Spec struct {
			Groups []struct {
				Name  string      `yaml:"name"`
				Rules []yaml.Node `yaml:"rules"`
			} `yaml:"groups"`
		} `yaml:"spec"`
	}
	if err := yaml.Unmarshal(data, &obj); err != nil {
		t.Fatal(err)
	}
	got := []string{obj.APIVersion, obj.Kind, obj.Metadata.Name}
	for _, g := range obj.Spec.Groups {
		got = append(got, g.Name)
	}
	want := []string{"monitoring.coreos.com/v1", "PrometheusRule", "httpstatus-exporter",
		"httpstatus-exporter.rules", "httpstatus-exporter.alerts"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("object (-want +got):\n%s", diff)
	}
	wantLabels := map[string]string{"app.kubernetes.io/name": "httpstatus-exporter",
		"release": "kube-prometheus-stack", "team": "web"}
	if diff := cmp.Diff(wantLabels, obj.Metadata.Labels); diff != "" {
		t.Errorf("labels (-want +got):\n%s", diff)
	}
}

func TestRulesHelp(t *testing.T) {
	out, err := runCLI(t, "rules", "--help")
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"Usage: exporter rules [flags]", "--slo=0.999", "--ratio=0.05", "--spike-factor=3",
		"--spike-ratio=0.01", "--min-rate=1", "--gateway-ratio=0.02", "--unparsed-ratio=0.1",
		`--selector="job=\"httpstatus-exporter\""`, "--group-by=LABEL,...", "--for=5m", `--format="files"`,
		"--output-dir=DIR", "--runbook-url=", "--label=KEY=VALUE"} {
		if !strings.Contains(out, w) {
			t.Errorf("rules --help lacks %q:\n%s", w, out)
		}
	}
	if strings.Contains(out, "time-scale") {
		t.Error("rules --help shows the hidden --time-scale")
	}
}
