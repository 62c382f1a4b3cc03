package rules

import (
	"bytes"
	"errors"
	"flag"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"
)

var update = flag.Bool("update", false, "rewrite the shipped rule files from the generator")

// renderings are the rule files kept in this folder and the options they
// are rendered from: the shipped files, and the files the steady-traffic
// promtool test reads (an SLO that a steady 1% of 5xx keeps).
var renderings = []struct {
	dir  string
	opts func() Options
}{
	{".", DefaultOptions},
	{filepath.Join("tests", "slo98"), func() Options {
		o := DefaultOptions()
		o.SLO = 0.98
		return o
	}},
}

// TestShippedFiles keeps the files in this folder equal to the generator's
// output; go test ./rules -run TestShippedFiles -update rewrites them.
func TestShippedFiles(t *testing.T) {
	for _, r := range renderings {
		t.Run(r.dir, func(t *testing.T) {
			files, err := Render(r.opts())
			if err != nil {
				t.Fatal(err)
			}
			for name, got := range map[string][]byte{RulesFile: files.Rules, AlertsFile: files.Alerts} {
				path := filepath.Join(r.dir, name)
				if *update {
					if err := os.WriteFile(path, got, 0o644); err != nil {
						t.Fatal(err)
					}
					continue
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (go test ./rules -run TestShippedFiles -update writes it)", err)
				}
				if diff := cmp.Diff(string(want), string(got)); diff != "" {
					t.Errorf("%s differs from the generator's output (-shipped +generated); "+
						"go test ./rules -run TestShippedFiles -update rewrites it:\n%s", path, diff)
				}
			}
		})
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*Options)
		want   string // in the error; "" for valid
	}{
		{"defaults", func(*Options) {}, ""},
		{"slo 0", func(o *Options) { o.SLO = 0 }, "slo 0"},
		{"slo 1", func(o *Options) { o.SLO = 1 }, "slo 1"},
		{"slo NaN", func(o *Options) { o.SLO = math.NaN() }, "slo NaN"},
		{"ratio negative", func(o *Options) { o.Ratio = -0.1 }, "ratio -0.1"},
		{"gateway ratio 1", func(o *Options) { o.GatewayRatio = 1 }, "gateway-ratio 1"},
		{"unparsed ratio 0", func(o *Options) { o.UnparsedRatio = 0 }, "unparsed-ratio 0"},
		{"spike ratio 0", func(o *Options) { o.SpikeRatio = 0 }, ""},
		{"spike ratio 1", func(o *Options) { o.SpikeRatio = 1 }, "spike-ratio 1"},
		{"spike factor 1", func(o *Options) { o.SpikeFactor = 1 }, "spike-factor 1"},
		{"spike factor +Inf", func(o *Options) { o.SpikeFactor = math.Inf(1) }, "spike-factor +Inf"},
		{"min rate 0", func(o *Options) { o.MinRate = 0 }, ""},
		{"min rate negative", func(o *Options) { o.MinRate = -1 }, "min-rate -1"},
		{"for 0", func(o *Options) { o.For = 0 }, ""},
		{"for negative", func(o *Options) { o.For = -time.Minute }, "for -1m0s"},
		{"time scale 0", func(o *Options) { o.TimeScale = 0 }, "time-scale 0"},
		{"time scale too small", func(o *Options) { o.TimeScale = 1.0 / 600 }, "time-scale"},
		{"time scale 1/60", func(o *Options) { o.TimeScale = 1.0 / 60 }, ""},
		{"selector empty", func(o *Options) { o.Selector = " " }, "empty"},
		{"selector with braces", func(o *Options) { o.Selector = `{job="x"}` }, `at "{job`},
		{"selector unquoted", func(o *Options) { o.Selector = `job=x` }, "want name="},
		{"selector no comma", func(o *Options) { o.Selector = `job="x" namespace="y"` }, "want a comma"},
		{"selector bad regexp", func(o *Options) { o.Selector = `namespace=~"prod("` }, "regular expression"},
		{"selector several", func(o *Options) { o.Selector = ` job = "x" , namespace=~"prod-\\d+",cluster!="",` }, ""},
		{"group-by source", func(o *Options) { o.GroupBy = []string{"source"} }, "always group by source"},
		{"group-by code", func(o *Options) { o.GroupBy = []string{"code"} }, "ratios sum over it"},
		{"group-by twice", func(o *Options) { o.GroupBy = []string{"cluster", "cluster"} }, "given twice"},
		{"group-by bad name", func(o *Options) { o.GroupBy = []string{"k8s-cluster"} }, "not a label name"},
		{"group-by reserved", func(o *Options) { o.GroupBy = []string{"__name__"} }, "not a label name"},
		{"runbook relative", func(o *Options) { o.RunbookURL = "docs" }, "runbook-url"},
		{"runbook empty", func(o *Options) { o.RunbookURL = "" }, "runbook-url"},
		{"object label empty value", func(o *Options) { o.ObjectLabels = map[string]string{"release": ""} }, "object label"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := DefaultOptions()
			tc.modify(&o)
			err := o.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("Validate() = %v, want nil", err)
			case tc.want != "" && err == nil:
				t.Fatalf("Validate() = nil, want an error with %q", tc.want)
			case tc.want != "" && (!strings.Contains(err.Error(), tc.want) || !errors.Is(err, ErrInvalid)):
				t.Fatalf("Validate() = %v, want ErrInvalid with %q", err, tc.want)
			}
			// Render checks the same.
			if _, rerr := Render(o); (rerr == nil) != (err == nil) {
				t.Errorf("Render error %v, Validate error %v", rerr, err)
			}
		})
	}
}

// parsed is a rule file as the tests read it back.
type parsed struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []struct {
			Record      string            `yaml:"record"`
			Alert       string            `yaml:"alert"`
			Expr        string            `yaml:"expr"`
			For         string            `yaml:"for"`
			Labels      map[string]string `yaml:"labels"`
			Annotations map[string]string `yaml:"annotations"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

func parse(t *testing.T, data []byte) parsed {
	t.Helper()
	var p parsed
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&p); err != nil {
		t.Fatalf("decode: %v\n%s", err, data)
	}
	return p
}

// TestAlerts checks what every alert must carry, and that the contract's
// alerts are all there.
func TestAlerts(t *testing.T) {
	files, err := Render(DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	recorded := map[string]bool{}
	for _, g := range parse(t, files.Rules).Groups {
		for _, r := range g.Rules {
			if r.Record == "" || r.Alert != "" {
				t.Errorf("%s: a recording rule file holds %+v", RulesFile, r)
			}
			if recorded[r.Record] {
				t.Errorf("record %s defined twice", r.Record)
			}
			recorded[r.Record] = true
			if !regexp.MustCompile(`^source:[a-z0-9_]+:[a-z0-9_]+$`).MatchString(r.Record) {
				t.Errorf("record %s is not named level:metric:operations", r.Record)
			}
		}
	}
	seen := map[string]int{}
	recordRE := regexp.MustCompile(`source:[a-z0-9_]+:[a-z0-9_]+`)
	for _, g := range parse(t, files.Alerts).Groups {
		for _, r := range g.Rules {
			seen[r.Alert]++
			if r.Labels["severity"] != "critical" && r.Labels["severity"] != "warning" {
				t.Errorf("%s: severity %q", r.Alert, r.Labels["severity"])
			}
			a := r.Annotations
			// HTTPStatusExporterDown is about a scrape target, not a
			// source, and its value is always 0: it names the instance.
			want := []string{"{{ $labels.source }}", "$value"}
			if r.Alert == alertExporterDown {
				want = []string{"{{ $labels.instance }}", "{{ $labels.job }}"}
			}
			for _, w := range want {
				if !strings.Contains(a["description"], w) {
					t.Errorf("%s: description without %s: %s", r.Alert, w, a["description"])
				}
			}
			if a["summary"] == "" {
				t.Errorf("%s: no summary", r.Alert)
			}
			url := "https://github.com/httpstatus-exporter/httpstatus-exporter/blob/main/docs/runbooks.md#" + strings.ToLower(r.Alert)
			if a["runbook_url"] != url {
				t.Errorf("%s: runbook_url %q, want %q", r.Alert, a["runbook_url"], url)
			}
			for _, name := range recordRE.FindAllString(r.Expr, -1) {
				if !recorded[name] {
					t.Errorf("%s reads %s, which no recording rule defines", r.Alert, name)
				}
			}
		}
	}
	want := map[string]int{alertRatioHigh: 1, alertSpike: 1, alertGateway: 1, alertBudgetBurn: 3, alertUnparsed: 1, alertExporterDown: 1}
	if diff := cmp.Diff(want, seen); diff != "" {
		t.Errorf("alerts (-want +got):\n%s", diff)
	}
}

// TestOptionsReachTheRules renders non-default options and looks for each
// in the rules.
func TestOptionsReachTheRules(t *testing.T) {
	o := Options{
		SLO: 0.995, Ratio: 0.1, SpikeFactor: 4, SpikeRatio: 0.02, MinRate: 0.5, GatewayRatio: 0.03, UnparsedRatio: 0.25,
		Selector:   `job="httpstatus-exporter" , namespace=~"shop-.*"`,
		GroupBy:    []string{"cluster", "namespace"},
		For:        10 * time.Minute,
		RunbookURL: "https://wiki.example.test/httpstatus/",
		TimeScale:  1,
	}
	files, err := Render(o)
	if err != nil {
		t.Fatal(err)
	}
	all := string(files.Rules) + string(files.Alerts)
	for _, want := range []string{
		`sum by (source, cluster, namespace) (rate(httpstatus_responses_total{job="httpstatus-exporter",namespace=~"shop-.*",code=~"5.."}[5m]))`,
		`sum by (source, cluster, namespace) (rate(httpstatus_lines_unparsed_total{job="httpstatus-exporter",namespace=~"shop-.*"}[15m]))`,
		`up{job="httpstatus-exporter",namespace=~"shop-.*"} == 0`,
		"source:httpstatus_responses_5xx:ratio_rate5m > 0.1\n",
		"source:httpstatus_responses:rate5m >= 0.5\n",
		"source:httpstatus_responses_5xx:rate5m >= 4 * (source:httpstatus_responses_5xx:rate1h offset 5m)",
		"source:httpstatus_responses_5xx:ratio_rate5m > 0.02\n",
		"source:httpstatus_responses_gateway:ratio_rate5m > 0.03\n",
		"source:httpstatus_lines_unparsed:ratio_rate15m > 0.25\n",
		"source:httpstatus_responses_5xx:ratio_rate1h > (14.4 * 0.005)",
		"for: 10m",
		"source {{ $labels.source }}, cluster {{ $labels.cluster }}, namespace {{ $labels.namespace }}",
		"https://wiki.example.test/httpstatus/docs/runbooks.md#httpstatus5xxratiohigh",
		"the 0.5% error budget of the 99.5% SLO",
		"# --selector='job=\"httpstatus-exporter\",namespace=~\"shop-.*\"' --group-by=cluster --group-by=namespace",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("rules lack %q", want)
		}
	}
}

// TestTimeScale checks that every window, offset and for is scaled, and
// that record names follow their real window.
func TestTimeScale(t *testing.T) {
	o := DefaultOptions()
	o.TimeScale = 1.0 / 60
	files, err := Render(o)
	if err != nil {
		t.Fatal(err)
	}
	all := string(files.Rules) + string(files.Alerts)
	for _, want := range []string{
		"record: source:httpstatus_responses_5xx:ratio_rate5s\n",
		`[5s]))`, `[30s]))`, `[1m]))`, `[6m]))`, `[15s]))`,
		"avg_over_time(source:httpstatus_responses:rate1m[1h12m])",
		"(source:httpstatus_responses_5xx:rate1m offset 5s)",
		"for: 5s\n", "for: 2s\n", "for: 15s\n", "for: 1m\n",
		"long_window: 1h12m", "short_window: 6m",
		"scaled by 0.01666666667",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("scaled rules lack %q", want)
		}
	}
	for _, unscaled := range []string{"[5m]", "[1h]", "[3d]", "for: 5m", "offset 5m", ":rate5m"} {
		if strings.Contains(all, unscaled) {
			t.Errorf("scaled rules still hold %q", unscaled)
		}
	}
}

func TestPrometheusRule(t *testing.T) {
	o := DefaultOptions()
	o.ObjectLabels = map[string]string{"release": "kube-prometheus-stack", "prometheus": "main"}
	out, err := RenderPrometheusRule(o)
	if err != nil {
		t.Fatal(err)
	}
	again, err := RenderPrometheusRule(o)
	if err != nil || !bytes.Equal(out, again) {
		t.Fatalf("two renderings differ (err %v)", err)
	}
	var obj struct {
		APIVersion string `yaml:"apiVersion"`
		Kind       string `yaml:"kind"`
		Metadata   struct {
			Name   string            `yaml:"name"`
			Labels map[string]string `yaml:"labels"`
		} `yaml:"metadata"`
		Spec yaml.Node `yaml:"spec"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(out))
	dec.KnownFields(true)
	if err := dec.Decode(&obj); err != nil {
		t.Fatal(err)
	}
	if obj.APIVersion != "monitoring.coreos.com/v1" || obj.Kind != "PrometheusRule" || obj.Metadata.Name != "httpstatus-exporter" {
		t.Errorf("object %s %s %s", obj.APIVersion, obj.Kind, obj.Metadata.Name)
	}
	wantLabels := map[string]string{"app.kubernetes.io/name": "httpstatus-exporter", "release": "kube-prometheus-stack", "prometheus": "main"}
	if diff := cmp.Diff(wantLabels, obj.Metadata.Labels); diff != "" {
		t.Errorf("labels (-want +got):\n%s", diff)
	}
	spec, err := yaml.Marshal(&obj.Spec)
	if err != nil {
		t.Fatal(err)
	}
	files, err := Render(o)
	if err != nil {
		t.Fatal(err)
	}
	got := parse(t, spec)
	want := parse(t, files.Rules)
	want.Groups = append(want.Groups, parse(t, files.Alerts).Groups...)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("spec.groups differ from the rule files (-files +object):\n%s", diff)
	}
}

// TestRunbooks checks that docs/runbooks.md has a section for every alert
// at the anchor its runbook_url names (GitHub's anchor of a heading: lower
// case, spaces to hyphens).
func TestRunbooks(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "docs", "runbooks.md"))
	if err != nil {
		t.Fatal(err)
	}
	sections := map[string]string{}
	var cur string
	for _, line := range strings.Split(string(doc), "\n") {
		if h, ok := strings.CutPrefix(line, "## "); ok {
			cur = strings.ReplaceAll(strings.ToLower(strings.TrimSpace(h)), " ", "-")
			continue
		}
		if cur != "" {
			sections[cur] += line + "\n"
		}
	}
	files, err := Render(DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range parse(t, files.Alerts).Groups {
		for _, r := range g.Rules {
			_, anchor, _ := strings.Cut(r.Annotations["runbook_url"], "#")
			body, ok := sections[anchor]
			if !ok {
				t.Errorf("%s: docs/runbooks.md has no section #%s", r.Alert, anchor)
				continue
			}
			for _, part := range []string{"Meaning", "Impact", "Check first", "Silence or tune", "```"} {
				if !strings.Contains(body, part) {
					t.Errorf("%s: section #%s lacks %q", r.Alert, anchor, part)
				}
			}
		}
	}
}
