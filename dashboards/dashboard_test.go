package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/plugins"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/table"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
	"gopkg.in/yaml.v3"

	"github.com/httpstatus-exporter/httpstatus-exporter/rules"
)

var update = flag.Bool("update", false, "rewrite the shipped dashboard and ConfigMap from the generator")

var configMapPath = filepath.Join("..", "deploy", "kubernetes", ConfigMapFile)

// groupByOptions is a rendering with --group-by labels, checked beside the
// shipped one.
func groupByOptions() rules.Options {
	o := rules.DefaultOptions()
	o.GroupBy = []string{"cluster", "namespace"}
	return o
}

// renderings are the dashboards every check runs on: the shipped file and
// one with --group-by labels.
func renderings(t *testing.T) map[string]struct {
	js      []byte
	groupBy []string
} {
	t.Helper()
	shipped, err := os.ReadFile(DashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	gb, err := Render(groupByOptions())
	if err != nil {
		t.Fatal(err)
	}
	return map[string]struct {
		js      []byte
		groupBy []string
	}{
		"shipped":                        {shipped, nil},
		"group-by cluster and namespace": {gb, groupByOptions().GroupBy},
	}
}

// TestShippedFiles: the dashboard and the ConfigMap are the generator's
// output with the default options. -update writes them.
func TestShippedFiles(t *testing.T) {
	js, err := Render(rules.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []struct {
		path string
		want []byte
	}{
		{DashboardFile, js},
		{configMapPath, ConfigMap(js)},
	} {
		if *update {
			if err := writeFile(f.path, f.want); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(f.path)
		if err != nil {
			t.Fatalf("%v (generate it: cd dashboards && go generate)", err)
		}
		if diff := cmp.Diff(strings.Split(string(f.want), "\n"), strings.Split(string(got), "\n")); diff != "" {
			t.Errorf("%s differs from the generator's output; run `cd dashboards && go generate` (or go test -run TestShippedFiles -update) and review (-generated +file):\n%s", f.path, diff)
		}
	}
}

// sdkErr is err, except that the SDK's validators and strict decoders
// answer an empty (nil or not) cog.BuildErrors for "no error", which as an
// error interface is not nil.
func sdkErr(err error) error {
	var be cog.BuildErrors
	if errors.As(err, &be) && len(be) == 0 {
		return nil
	}
	return err
}

// validate is v.Validate through sdkErr.
func validate(v interface{ Validate() error }) error {
	return sdkErr(v.Validate())
}

// TestValidateEmptyErrors: validate takes an empty cog.BuildErrors for
// success and anything else for failure.
func TestValidateEmptyErrors(t *testing.T) {
	for name, c := range map[string]struct {
		err  error
		want bool
	}{
		"nil":                 {nil, false},
		"nil list":            {cog.BuildErrors(nil), false},
		"empty non-nil list":  {cog.BuildErrors{}, false},
		"a list with one":     {cog.MakeBuildErrors("time", errors.New("bad")), true},
		"another error":       {errors.New("bad"), true},
		"wrapped empty list?": {fmt.Errorf("x: %w", cog.BuildErrors{}), false},
	} {
		t.Run(name, func(t *testing.T) {
			if got := validate(validator{c.err}) != nil; got != c.want {
				t.Errorf("validate(%v) failed = %v, want %v", c.err, got, c.want)
			}
		})
	}
}

type validator struct{ err error }

func (v validator) Validate() error { return v.err }

// decodeStrict decodes a dashboard JSON with the SDK's strict decoder, less
// the import keys, which are not part of the dashboard model (Grafana's
// import dialog reads and drops them).
func decodeStrict(t *testing.T, js []byte) grafanaDashboard {
	t.Helper()
	var top map[string]json.RawMessage
	if err := json.Unmarshal(js, &top); err != nil {
		t.Fatal(err)
	}
	rest := map[string]json.RawMessage{}
	for k, v := range top {
		if k != "__inputs" && k != "__requires" {
			rest[k] = v
		}
	}
	raw, err := json.Marshal(rest)
	if err != nil {
		t.Fatal(err)
	}
	d, err := strictDashboard(raw)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// strictDashboard decodes raw strictly and validates it, and returns it
// decoded by the SDK's ordinary decoder.
//
// Both, because in v0.0.22 every UnmarshalJSONStrict returns its list of
// errors as an error even when the list is empty, so a decoder that calls
// another takes success for failure: PanelOrRowPanel drops each panel that
// decoded well, a panel each query and its options. What fails is still
// reported, with its path (TestStrictDecodeCatches), but what succeeds is
// not kept. So the strict pass finds the errors, and the values to look at
// come from the ordinary pass, which decodes options, field config and
// queries into their plugins' types the same way.
func strictDashboard(raw []byte) (grafanaDashboard, error) {
	// Panel options, field config and queries decode into their plugins'
	// types only once the plugins are registered.
	plugins.RegisterDefaultPlugins()
	var strict, d grafanaDashboard
	if err := sdkErr(strict.UnmarshalJSONStrict(raw)); err != nil {
		return d, fmt.Errorf("strict decoding: %w", err)
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		return d, fmt.Errorf("decoding: %w", err)
	}
	if err := validate(d); err != nil {
		return d, fmt.Errorf("validate: %w", err)
	}
	return d, nil
}

// TestStrictDecodeCatches: the strict decoding reaches the dashboard, its
// panels' options, their queries, the variables and the annotations: an
// unknown field in any of them is an error, and so is an invalid value.
func TestStrictDecodeCatches(t *testing.T) {
	js, err := os.ReadFile(DashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		edit func(d map[string]any)
		want string
	}{
		"dashboard": {func(d map[string]any) { d["uidd"] = "x" }, "unexpected field 'uidd'"},
		"panel":     {func(d map[string]any) { panel(d, 2)["titel"] = "x" }, "unexpected field 'titel'"},
		"options":   {func(d map[string]any) { panel(d, 9)["options"].(map[string]any)["colorMod"] = "x" }, "unexpected field 'colorMod'"},
		"query":     {func(d map[string]any) { panel(d, 15)["targets"].([]any)[0].(map[string]any)["exp"] = "x" }, "unexpected field 'exp'"},
		"variable": {func(d map[string]any) {
			d["templating"].(map[string]any)["list"].([]any)[1].(map[string]any)["refresh"] = "soon"
		}, "refresh"},
		"annotation": {func(d map[string]any) {
			d["annotations"].(map[string]any)["list"].([]any)[0].(map[string]any)["exprr"] = "x"
		}, "unexpected field 'exprr'"},
		"fiscal year": {func(d map[string]any) { d["fiscalYearStartMonth"] = 12 }, "must be < 12"},
		"grid":        {func(d map[string]any) { panel(d, 7)["gridPos"].(map[string]any)["h"] = 0 }, "must be > 0"},
	} {
		t.Run(name, func(t *testing.T) {
			var d map[string]any
			if err := json.Unmarshal(js, &d); err != nil {
				t.Fatal(err)
			}
			delete(d, "__inputs")
			delete(d, "__requires")
			c.edit(d)
			raw, err := json.Marshal(d)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := strictDashboard(raw); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one saying %q", err, c.want)
			}
		})
	}
}

// panel returns the panel with id in the generic JSON d.
func panel(d map[string]any, id float64) map[string]any {
	for _, p := range d["panels"].([]any) {
		if p := p.(map[string]any); p["id"] == id {
			return p
		}
	}
	panic(fmt.Sprintf("no panel %v", id))
}

// TestStrictDecode: the shipped dashboard decodes strictly into the SDK's
// types (an unknown or mistyped field anywhere is an error), validates,
// and every panel's options and queries decoded into their plugin's types,
// not into a generic bag.
func TestStrictDecode(t *testing.T) {
	for name, r := range renderings(t) {
		t.Run(name, func(t *testing.T) {
			d := decodeStrict(t, r.js)
			if d.Uid == nil || *d.Uid != UID {
				t.Errorf("uid %v, want %s", d.Uid, UID)
			}
			if d.SchemaVersion != SchemaVersion {
				t.Errorf("schemaVersion %d, want %d", d.SchemaVersion, SchemaVersion)
			}
			if d.Title == nil || *d.Title != Title || len(d.Tags) == 0 {
				t.Errorf("title %v, tags %v", d.Title, d.Tags)
			}
			panels := 0
			for _, p := range d.Panels {
				if p.RowPanel != nil {
					if len(p.RowPanel.Panels) != 0 || p.RowPanel.Collapsed {
						t.Errorf("row %v: open rows hold no panels of their own", p.RowPanel.Title)
					}
					continue
				}
				panels++
				pn := p.Panel
				title := fmt.Sprintf("panel %v (%s)", deref(pn.Id), deref(pn.Title))
				switch pn.Type {
				case "stat":
					_, ok := pn.Options.(*stat.Options)
					checkf(t, ok, "%s: options decoded as %T", title, pn.Options)
				case "table":
					_, ok := pn.Options.(*table.Options)
					checkf(t, ok, "%s: options decoded as %T", title, pn.Options)
				case "timeseries":
					_, ok := pn.Options.(*timeseries.Options)
					checkf(t, ok, "%s: options decoded as %T", title, pn.Options)
					_, ok = pn.FieldConfig.Defaults.Custom.(*timeseries.FieldConfig)
					checkf(t, ok, "%s: fieldConfig.defaults.custom decoded as %T", title, pn.FieldConfig.Defaults.Custom)
				default:
					t.Errorf("%s: type %q", title, pn.Type)
				}
				checkf(t, pn.Description != nil && *pn.Description != "", "%s has no description", title)
				checkf(t, pn.GridPos != nil && pn.GridPos.W > 0 && pn.GridPos.H > 0 && pn.GridPos.X+pn.GridPos.W <= 24,
					"%s: gridPos %+v", title, pn.GridPos)
				checkf(t, len(pn.Targets) > 0, "%s has no query", title)
				for _, tg := range pn.Targets {
					q, ok := tg.(*prometheus.Dataquery)
					if !ok {
						t.Errorf("%s: query decoded as %T, not a Prometheus query", title, tg)
						continue
					}
					checkf(t, isDatasourceVar(q.Datasource), "%s %v: data source %v", title, deref(q.RefId), q.Datasource)
					checkf(t, q.Expr != "", "%s %v: empty expression", title, deref(q.RefId))
				}
			}
			if panels < 15 {
				t.Errorf("%d panels", panels)
			}
		})
	}
}

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

func checkf(t *testing.T, ok bool, format string, args ...any) {
	t.Helper()
	if !ok {
		t.Errorf(format, args...)
	}
}

func isDatasourceVar(ds interface {
}) bool {
	b, _ := json.Marshal(ds)
	return string(b) == `{"type":"prometheus","uid":"${datasource}"}`
}

// TestImportKeys: __inputs asks for the Prometheus data source, the JSON
// uses it (the datasource variable starts on it), and __requires names
// Grafana, the Prometheus plugin and exactly the panel types used.
func TestImportKeys(t *testing.T) {
	for name, r := range renderings(t) {
		t.Run(name, func(t *testing.T) {
			var d struct {
				Inputs   []importInput   `json:"__inputs"`
				Requires []importRequire `json:"__requires"`
				UID      string          `json:"uid"`
				ID       any             `json:"id"`
				Panels   []struct {
					Type string `json:"type"`
				} `json:"panels"`
			}
			dec := json.NewDecoder(bytes.NewReader(r.js))
			if err := dec.Decode(&d); err != nil {
				t.Fatal(err)
			}
			if d.UID != UID || d.ID != nil {
				t.Errorf("uid %q id %v: want uid %s and no id (Grafana gives one)", d.UID, d.ID, UID)
			}
			want := []importInput{{Name: "DS_PROMETHEUS", Label: "Prometheus", Type: "datasource", PluginID: "prometheus", PluginName: "Prometheus"}}
			for i := range d.Inputs {
				d.Inputs[i].Description = ""
			}
			if diff := cmp.Diff(want, d.Inputs); diff != "" {
				t.Errorf("__inputs (-want +got):\n%s", diff)
			}
			if n := strings.Count(string(r.js), "${DS_PROMETHEUS}"); n == 0 {
				t.Error("nothing uses ${DS_PROMETHEUS}: the import dialog's choice would be lost")
			}
			var types []string
			for _, p := range d.Panels {
				if p.Type != "row" && !slices.Contains(types, p.Type) {
					types = append(types, p.Type)
				}
			}
			slices.Sort(types)
			var got []string
			for _, rq := range d.Requires {
				got = append(got, rq.Type+"/"+rq.ID)
				checkf(t, rq.Name != "", "__requires %+v: no name", rq)
			}
			wantReq := []string{"grafana/grafana", "datasource/prometheus"}
			for _, ty := range types {
				wantReq = append(wantReq, "panel/"+ty)
			}
			if diff := cmp.Diff(wantReq, got); diff != "" {
				t.Errorf("__requires (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDatasourceEverywhere: there is a datasource variable of the
// Prometheus type, and every "datasource" anywhere in the JSON (panels,
// queries, variables, annotations) is that variable.
func TestDatasourceEverywhere(t *testing.T) {
	for name, r := range renderings(t) {
		t.Run(name, func(t *testing.T) {
			var v any
			if err := json.Unmarshal(r.js, &v); err != nil {
				t.Fatal(err)
			}
			n := 0
			var walk func(path string, v any)
			walk = func(path string, v any) {
				switch v := v.(type) {
				case map[string]any:
					for k, c := range v {
						if k == "datasource" {
							n++
							if !isDatasourceVar(c) {
								t.Errorf("%s.datasource = %v, want the datasource variable", path, c)
							}
						}
						walk(path+"."+k, c)
					}
				case []any:
					for i, c := range v {
						walk(fmt.Sprintf("%s[%d]", path, i), c)
					}
				}
			}
			walk("", v)
			d := v.(map[string]any)
			vars := d["templating"].(map[string]any)["list"].([]any)
			first := vars[0].(map[string]any)
			if first["name"] != dsVar || first["type"] != "datasource" || first["query"] != "prometheus" {
				t.Errorf("first variable %v, want the datasource variable of type prometheus", first)
			}
			// Each panel, each query, each query variable and the annotation.
			qs := queriesOf(t, r.js)
			if n < len(qs)+15 {
				t.Errorf("%d datasource references for %d queries", n, len(qs))
			}
		})
	}
}

// TestVariables: datasource, job, the --group-by labels, source, node and
// instance, in that order; the multi-value ones select all as .*; and
// every raw selector filters by each of them.
func TestVariables(t *testing.T) {
	for name, r := range renderings(t) {
		t.Run(name, func(t *testing.T) {
			var d dashJSON
			if err := json.Unmarshal(r.js, &d); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, v := range d.Templating.List {
				got = append(got, v.Name)
			}
			want := append(append([]string{"datasource", "job"}, r.groupBy...), "source", "node", "instance")
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("variables (-want +got):\n%s", diff)
			}
			for _, q := range queriesOf(t, r.js) {
				if q.labelValues != "" || q.panel == "" {
					continue
				}
				expr, err := expand(q.expr, parseVars(r.groupBy))
				if err != nil {
					t.Fatal(err)
				}
				vss, _, err := selectorsOf(expr)
				if err != nil {
					t.Fatalf("%s: %v", q.where, err)
				}
				for _, vs := range vss {
					name := metricName(vs)
					want := append([]string{"source"}, r.groupBy...)
					if !strings.Contains(name, ":") {
						want = append(want, "job", "node", "instance")
					}
					if name == "up" {
						want = []string{"job", "node", "instance"}
					}
					for _, l := range want {
						found := false
						for _, m := range vs.LabelMatchers {
							found = found || m.Name == l
						}
						checkf(t, found, "%s: %s does not filter by %s", q.where, vs, l)
					}
				}
				// Sums and joins keep the --group-by labels apart.
				for _, m := range regexp.MustCompile(`\b(?:by|on) \(([^)]*)\)`).FindAllStringSubmatch(q.expr, -1) {
					if m[1] == "" {
						continue
					}
					labels := strings.Split(m[1], ", ")
					for _, l := range r.groupBy {
						checkf(t, slices.Contains(labels, l), "%s: %q loses the --group-by label %s", q.where, m[0], l)
					}
				}
			}
		})
	}
}

// TestMetricNames: every metric every query reads is one the exporter
// defines (../exporter/metrics.go) or a shipped recording rule records
// (../rules/prometheus_rules.yaml), or ALERTS and up, which Prometheus
// makes; raw counters are read over $__rate_interval. TestE2EDashboardQueries
// checks the same names against a running exporter's /metrics.
func TestMetricNames(t *testing.T) {
	known := exporterMetrics(t)
	for r := range recordNames(t) {
		known[r] = true
	}
	for name, r := range renderings(t) {
		t.Run(name, func(t *testing.T) {
			problems, used := metricProblems(queriesOf(t, r.js), r.groupBy, known)
			for _, p := range problems {
				t.Error(p)
			}
			if len(used) < 15 {
				t.Errorf("the queries read only %d metrics: %v", len(used), used)
			}
		})
	}
}

// TestMetricNamesCatchesStrangers: the check fails on a metric nobody
// defines, a raw counter over a fixed window, an unknown variable, a query
// that does not parse and a selector without a metric name.
func TestMetricNamesCatchesStrangers(t *testing.T) {
	known := map[string]bool{"httpstatus_responses_total": true, "source:x:rate5m": true}
	for name, c := range map[string]struct{ expr, want string }{
		"unknown metric":  {`sum(rate(httpstatus_responses_totl{source=~"$source"}[$__rate_interval]))`, "neither exported"},
		"fixed window":    {`sum(rate(httpstatus_responses_total{source=~"$source"}[5m]))`, "[$__rate_interval]"},
		"unknown var":     {`sum(rate(httpstatus_responses_total{source=~"$sourc"}[$__rate_interval]))`, "unknown variable $sourc"},
		"does not parse":  {`sum(rate(httpstatus_responses_total{source=~"$source"}[$__rate_interval])`, "does not parse"},
		"__name__ regexp": {`{__name__=~"httpstatus_.+"}`, "names no metric"},
	} {
		t.Run(name, func(t *testing.T) {
			problems, _ := metricProblems([]dashQuery{{where: name, expr: c.expr}}, nil, known)
			if len(problems) != 1 || !strings.Contains(problems[0], c.want) {
				t.Errorf("%q: problems %q, want one saying %q", c.expr, problems, c.want)
			}
		})
	}
	if problems, _ := metricProblems([]dashQuery{{where: "fine", expr: `source:x:rate5m{source=~"$source"} / sum(rate(httpstatus_responses_total[$__rate_interval]))`}}, nil, known); len(problems) != 0 {
		t.Errorf("a good query: %q", problems)
	}
}

// TestThresholdsMatchAlerts: the ratio stats change colour where the
// shipped alerts fire, read from the alerts file itself.
func TestThresholdsMatchAlerts(t *testing.T) {
	alertThreshold := func(alert, record string) float64 {
		t.Helper()
		re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(record) + ` > ([0-9.]+)$`)
		for _, g := range readShippedRules(t, "prometheus_alerts.yaml").Groups {
			for _, r := range g.Rules {
				if r.Alert == alert {
					if m := re.FindStringSubmatch(r.Expr); m != nil {
						f, err := strconv.ParseFloat(m[1], 64)
						if err != nil {
							t.Fatal(err)
						}
						return f
					}
				}
			}
		}
		t.Fatalf("no %s comparing %s in prometheus_alerts.yaml", alert, record)
		return 0
	}
	ratio := alertThreshold("HTTPStatus5xxRatioHigh", "source:httpstatus_responses_5xx:ratio_rate5m")
	gateway := alertThreshold("HTTPStatusGatewayErrorsHigh", "source:httpstatus_responses_gateway:ratio_rate5m")
	unparsed := alertThreshold("HTTPStatusUnparsedLinesHigh", "source:httpstatus_lines_unparsed:ratio_rate15m")
	slo := rules.DefaultOptions().SLO

	js, err := os.ReadFile(DashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	d := decodeStrict(t, js)
	steps := map[string][]string{}
	for _, p := range d.Panels {
		if p.Panel == nil || p.Panel.FieldConfig == nil || p.Panel.FieldConfig.Defaults.Thresholds == nil {
			continue
		}
		for _, s := range p.Panel.FieldConfig.Defaults.Thresholds.Steps {
			v := "base"
			if s.Value != nil {
				v = strconv.FormatFloat(*s.Value, 'g', 12, 64)
			}
			steps[*p.Panel.Title] = append(steps[*p.Panel.Title], v+":"+s.Color)
		}
	}
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', 12, 64) }
	want := map[string][]string{
		"5xx ratio (5m)":              {"base:green", f(1-slo) + ":yellow", f(ratio) + ":red"},
		"Success ratio (not 5xx, 5m)": {"base:red", f(1-ratio) + ":yellow", f(slo) + ":green"},
		"Gateway share (5m)":          {"base:green", f(gateway) + ":red"},
		"Unparsed share (15m)":        {"base:transparent", f(unparsed) + ":red"},
		"Burn rate by window":         {"base:transparent", "1:orange", "6:red", "14.4:red"},
	}
	for title, w := range want {
		if diff := cmp.Diff(w, steps[title]); diff != "" {
			t.Errorf("%s thresholds (-want +got):\n%s", title, diff)
		}
	}
}

// TestRunbookLinks: every link to the runbooks points at a section of
// docs/runbooks.md.
func TestRunbookLinks(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "docs", "runbooks.md"))
	if err != nil {
		t.Fatal(err)
	}
	anchors := map[string]bool{"": true}
	for _, m := range regexp.MustCompile(`(?m)^## (\S+)$`).FindAllStringSubmatch(string(doc), -1) {
		anchors[strings.ToLower(m[1])] = true
	}
	js, err := os.ReadFile(DashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	base := rules.DefaultOptions().RunbookURL + "/docs/runbooks.md"
	links := regexp.MustCompile(`"url": "([^"]*)"`).FindAllStringSubmatch(string(js), -1)
	n := 0
	for _, l := range links {
		u, ok := strings.CutPrefix(l[1], base)
		if !ok {
			continue
		}
		n++
		if !anchors[strings.TrimPrefix(u, "#")] {
			t.Errorf("link %s: no such section in docs/runbooks.md", l[1])
		}
	}
	if n < 6 {
		t.Errorf("%d links to the runbooks", n)
	}
}

// TestConfigMap: the ConfigMap is what Grafana's sidecar loads and holds the
// dashboard exactly.
func TestConfigMap(t *testing.T) {
	data, err := os.ReadFile(configMapPath)
	if err != nil {
		t.Fatal(err)
	}
	js, err := os.ReadFile(DashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var cm struct {
		APIVersion string `yaml:"apiVersion"`
		Kind       string `yaml:"kind"`
		Metadata   struct {
			Name      string            `yaml:"name"`
			Namespace string            `yaml:"namespace"`
			Labels    map[string]string `yaml:"labels"`
		} `yaml:"metadata"`
		Data map[string]string `yaml:"data"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&cm); err != nil {
		t.Fatal(err)
	}
	if cm.APIVersion != "v1" || cm.Kind != "ConfigMap" || cm.Metadata.Name == "" {
		t.Errorf("%s %s %q", cm.APIVersion, cm.Kind, cm.Metadata.Name)
	}
	if cm.Metadata.Labels["grafana_dashboard"] != "1" {
		t.Errorf("labels %v: the sidecar looks for grafana_dashboard: \"1\"", cm.Metadata.Labels)
	}
	if len(cm.Data) != 1 || cm.Data[DashboardFile] != string(js) {
		t.Errorf("data keys %v: want only %s, equal to the file", slices.Collect(func(yield func(string) bool) {
			for k := range cm.Data {
				if !yield(k) {
					return
				}
			}
		}), DashboardFile)
	}
	// kubectl apply (client side) keeps the object in an annotation of at
	// most 256 KiB.
	if len(data) > 200<<10 {
		t.Errorf("%s is %d bytes: close to kubectl apply's 256 KiB", configMapPath, len(data))
	}
}

// TestProvisioning: the file provider points at a folder, and the data
// source example is a Prometheus.
func TestProvisioning(t *testing.T) {
	var dp struct {
		APIVersion int `yaml:"apiVersion"`
		Providers  []struct {
			Name    string `yaml:"name"`
			Type    string `yaml:"type"`
			Folder  string `yaml:"folder"`
			Options struct {
				Path string `yaml:"path"`
			} `yaml:"options"`
		} `yaml:"providers"`
	}
	readYAML(t, filepath.Join("provisioning", "dashboards.yaml"), &dp)
	if dp.APIVersion != 1 || len(dp.Providers) != 1 || dp.Providers[0].Type != "file" || dp.Providers[0].Options.Path == "" {
		t.Errorf("dashboards.yaml: %+v", dp)
	}
	var ds struct {
		APIVersion  int `yaml:"apiVersion"`
		Datasources []struct {
			Name string `yaml:"name"`
			Type string `yaml:"type"`
			UID  string `yaml:"uid"`
			URL  string `yaml:"url"`
		} `yaml:"datasources"`
	}
	readYAML(t, filepath.Join("provisioning", "datasources.yaml"), &ds)
	if ds.APIVersion != 1 || len(ds.Datasources) != 1 || ds.Datasources[0].Type != "prometheus" || ds.Datasources[0].URL == "" {
		t.Errorf("datasources.yaml: %+v", ds)
	}
}

// readYAML decodes a file, strictly as to the fields v names.
func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// TestReadmeDescribesEveryPanel: dashboards/README.md names every panel.
func TestReadmeDescribesEveryPanel(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	js, err := os.ReadFile(DashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var d dashJSON
	if err := json.Unmarshal(js, &d); err != nil {
		t.Fatal(err)
	}
	for _, p := range d.Panels {
		if !strings.Contains(string(readme), "**"+p.Title+"**") {
			t.Errorf("README.md does not describe the %s %q (as **%s**)", p.Type, p.Title, p.Title)
		}
	}
}

// TestRun: the command line writes the files, takes --group-by like
// `exporter rules`, and refuses bad options.
func TestRun(t *testing.T) {
	dir := t.TempDir()
	out, cm := filepath.Join(dir, "d.json"), filepath.Join(dir, "cm.yaml")
	var stderr bytes.Buffer
	if err := run([]string{"-out", out, "-configmap", cm, "-group-by=cluster", "-group-by", "namespace", "-slo=0.995"}, &bytes.Buffer{}, &stderr); err != nil {
		t.Fatalf("run: %v\n%s", err, stderr.String())
	}
	js, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	o := groupByOptions()
	o.SLO = 0.995
	want, err := Render(o)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(js, want) {
		t.Error("-group-by=cluster -group-by namespace -slo=0.995 did not render those options")
	}
	if !strings.Contains(string(js), `/ 0.005"`) {
		t.Error("-slo=0.995: no budget of 0.005 in the queries")
	}
	if data, err := os.ReadFile(cm); err != nil || !bytes.Equal(data, ConfigMap(js)) {
		t.Errorf("-configmap: %v", err)
	}
	var stdout bytes.Buffer
	if err := run(nil, &stdout, &stderr); err != nil || stdout.Len() == 0 {
		t.Errorf("no -out: %v, %d bytes on stdout", err, stdout.Len())
	}
	for _, args := range [][]string{
		{"-slo=1"},
		{"-ratio=0"},
		{"-group-by=source"},
		{"-group-by=bad-label"},
		{"-runbook-url=nope"},
		{"extra"},
		{"-nosuchflag"},
	} {
		if err := run(args, &bytes.Buffer{}, &bytes.Buffer{}); err == nil {
			t.Errorf("run %q: no error", args)
		}
	}
}
