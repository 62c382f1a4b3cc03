package main

import (
	"encoding/json"
	"fmt"
	"go/ast"
	goparser "go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/prometheus/promql/parser"
	"gopkg.in/yaml.v3"
)

// The test helpers here read a dashboard's JSON as Grafana does, without the
// SDK: the queries of its panels, variables and annotations.

// dashQuery is one PromQL query of a dashboard.
type dashQuery struct {
	where string // "panel 7 (Request rate by source) A", "variable source", "annotation Firing alerts"
	panel string // the panel's title; empty for variables and annotations
	ref   string
	expr  string
	// labelValues is set for a variable's label_values(selector, label):
	// expr is then the selector and labelValues the label.
	labelValues string
}

// dashJSON is the part of the dashboard JSON the tests read without the SDK.
type dashJSON struct {
	Panels []struct {
		ID      int             `json:"id"`
		Type    string          `json:"type"`
		Title   string          `json:"title"`
		Targets []dashTarget    `json:"targets"`
		DS      json.RawMessage `json:"datasource"`
	} `json:"panels"`
	Templating struct {
		List []struct {
			Name  string          `json:"name"`
			Type  string          `json:"type"`
			Query json.RawMessage `json:"query"`
		} `json:"list"`
	} `json:"templating"`
	Annotations struct {
		List []struct {
			Name string `json:"name"`
			Expr string `json:"expr"`
		} `json:"list"`
	} `json:"annotations"`
}

type dashTarget struct {
	RefID   string `json:"refId"`
	Expr    string `json:"expr"`
	Instant bool   `json:"instant"`
}

var labelValuesRE = regexp.MustCompile(`^label_values\((.+),\s*([a-zA-Z_][a-zA-Z0-9_]*)\)$`)

// queriesOf returns every query of the dashboard js.
func queriesOf(t *testing.T, js []byte) []dashQuery {
	t.Helper()
	var d dashJSON
	if err := json.Unmarshal(js, &d); err != nil {
		t.Fatal(err)
	}
	var qs []dashQuery
	for _, p := range d.Panels {
		if p.Type == "row" {
			continue
		}
		if len(p.Targets) == 0 {
			t.Errorf("panel %d (%s) has no query", p.ID, p.Title)
		}
		for _, tg := range p.Targets {
			qs = append(qs, dashQuery{where: fmt.Sprintf("panel %d (%s) %s", p.ID, p.Title, tg.RefID),
				panel: p.Title, ref: tg.RefID, expr: tg.Expr})
		}
	}
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		var q string
		if err := json.Unmarshal(v.Query, &q); err != nil {
			t.Fatalf("variable %s: query %s: %v", v.Name, v.Query, err)
		}
		m := labelValuesRE.FindStringSubmatch(q)
		if m == nil {
			t.Fatalf("variable %s: %q is not label_values(selector, label)", v.Name, q)
		}
		qs = append(qs, dashQuery{where: "variable " + v.Name, expr: m[1], labelValues: m[2]})
	}
	for _, a := range d.Annotations.List {
		qs = append(qs, dashQuery{where: "annotation " + a.Name, expr: a.Expr})
	}
	return qs
}

// grafanaVarRE matches Grafana's variable syntaxes: $name, ${name},
// ${name:format} and [[name]].
var grafanaVarRE = regexp.MustCompile(`\$\{([a-zA-Z_][a-zA-Z0-9_]*)(?::[a-z]+)?\}|\$([a-zA-Z_][a-zA-Z0-9_]*)|\[\[([a-zA-Z_][a-zA-Z0-9_]*)\]\]`)

// expand replaces the Grafana variables in expr by vars, as Grafana does
// before it sends a query, and fails on a variable vars does not have.
func expand(expr string, vars map[string]string) (string, error) {
	var err error
	out := grafanaVarRE.ReplaceAllStringFunc(expr, func(m string) string {
		sm := grafanaVarRE.FindStringSubmatch(m)
		name := sm[1] + sm[2] + sm[3]
		v, ok := vars[name]
		if !ok && err == nil {
			err = fmt.Errorf("unknown variable %s in %q", m, expr)
		}
		return v
	})
	return out, err
}

// rateIntervalMark stands for $__rate_interval when the tests parse a
// query: a range nobody writes by hand, so a range of this length is one
// the variable gave.
const rateIntervalMark = "7777s"

var rateIntervalDur = 7777 * time.Second

// parseVars are values for every variable a query may hold, for parsing.
func parseVars(groupBy []string) map[string]string {
	vars := map[string]string{
		"__rate_interval": rateIntervalMark, "__interval": "1m", "__range": "1h",
		"job": DefaultJob, "source": ".*", "node": ".*", "instance": ".*",
	}
	for _, l := range groupBy {
		vars[l] = ".*"
	}
	return vars
}

// promqlParser parses as Prometheus does by default.
var promqlParser = parser.NewParser(parser.Options{})

// selectorsOf parses expr and returns its vector selectors and, for each,
// the range of the matrix it is in (0 outside one).
func selectorsOf(expr string) ([]*parser.VectorSelector, map[*parser.VectorSelector]time.Duration, error) {
	e, err := promqlParser.ParseExpr(expr)
	if err != nil {
		return nil, nil, err
	}
	var vss []*parser.VectorSelector
	ranges := map[*parser.VectorSelector]time.Duration{}
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		switch n := n.(type) {
		case *parser.MatrixSelector:
			if vs, ok := n.VectorSelector.(*parser.VectorSelector); ok {
				ranges[vs] = n.Range
			}
		case *parser.VectorSelector:
			vss = append(vss, n)
		}
		return nil
	})
	return vss, ranges, nil
}

// metricName is a selector's metric name, from its name or its __name__
// matcher ("" when neither fixes one).
func metricName(vs *parser.VectorSelector) string {
	if vs.Name != "" {
		return vs.Name
	}
	for _, m := range vs.LabelMatchers {
		if m.Name == "__name__" && m.Type.String() == "=" {
			return m.Value
		}
	}
	return ""
}

// exporterMetrics reads the names of the metrics the exporter defines from
// ../exporter/metrics.go: each Name of an opts literal with Namespace, and
// for histograms their _bucket, _sum and _count series.
func exporterMetrics(t *testing.T) map[string]bool {
	t.Helper()
	path := filepath.Join("..", "exporter", "metrics.go")
	f, err := goparser.ParseFile(token.NewFileSet(), path, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	consts := map[string]string{}
	ast.Inspect(f, func(n ast.Node) bool {
		if vs, ok := n.(*ast.ValueSpec); ok {
			for i, id := range vs.Names {
				if i < len(vs.Values) {
					if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
						consts[id.Name], _ = strconv.Unquote(lit.Value)
					}
				}
			}
		}
		return true
	})
	names := map[string]bool{}
	ast.Inspect(f, func(n ast.Node) bool {
		cl, ok := n.(*ast.CompositeLit)
		if !ok {
			return true
		}
		var ns, name string
		for _, e := range cl.Elts {
			kv, ok := e.(*ast.KeyValueExpr)
			if !ok {
				continue
			}
			key, _ := kv.Key.(*ast.Ident)
			if key == nil {
				continue
			}
			switch v := kv.Value.(type) {
			case *ast.BasicLit:
				s, _ := strconv.Unquote(v.Value)
				switch key.Name {
				case "Name":
					name = s
				case "Namespace":
					ns = s
				}
			case *ast.Ident:
				if key.Name == "Namespace" {
					ns = consts[v.Name]
				}
			}
		}
		if ns == "" || name == "" {
			return true
		}
		full := ns + "_" + name
		names[full] = true
		if sel, ok := cl.Type.(*ast.SelectorExpr); ok && sel.Sel.Name == "HistogramOpts" {
			for _, s := range []string{"_bucket", "_sum", "_count"} {
				names[full+s] = true
			}
		}
		return true
	})
	if !names["httpstatus_responses_total"] || !names["httpstatus_code_info"] {
		t.Fatalf("%s: found %v, not the contract's metrics: has the file changed shape?", path, names)
	}
	return names
}

// shippedRules is the shipped rule files, as Prometheus loads them.
type shippedRules struct {
	Groups []struct {
		Rules []struct {
			Record string            `yaml:"record"`
			Alert  string            `yaml:"alert"`
			Expr   string            `yaml:"expr"`
			Labels map[string]string `yaml:"labels"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

func readShippedRules(t *testing.T, name string) shippedRules {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "rules", name))
	if err != nil {
		t.Fatal(err)
	}
	var r shippedRules
	if err := yaml.Unmarshal(data, &r); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return r
}

// recordNames are the records ../rules/prometheus_rules.yaml defines.
func recordNames(t *testing.T) map[string]bool {
	t.Helper()
	names := map[string]bool{}
	for _, g := range readShippedRules(t, "prometheus_rules.yaml").Groups {
		for _, r := range g.Rules {
			if r.Record != "" {
				names[r.Record] = true
			}
		}
	}
	if len(names) == 0 {
		t.Fatal("prometheus_rules.yaml defines no record")
	}
	return names
}

// prometheusSeries are the series Prometheus makes itself that the
// dashboard reads: the alerts' state (the annotation) and the scrape
// health of each exporter.
var prometheusSeries = []string{"ALERTS", "up"}

// metricProblems returns what is wrong with the metrics the queries read:
// a query that does not parse, a metric not in known (nor one Prometheus
// makes), a raw counter not read over $__rate_interval. used are the
// metrics read.
func metricProblems(qs []dashQuery, groupBy []string, known map[string]bool) (problems []string, used map[string]bool) {
	used = map[string]bool{}
	for _, q := range qs {
		expr, err := expand(q.expr, parseVars(groupBy))
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", q.where, err))
			continue
		}
		vss, ranges, err := selectorsOf(expr)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %q does not parse: %v", q.where, expr, err))
			continue
		}
		for _, vs := range vss {
			name := metricName(vs)
			if name == "" {
				problems = append(problems, fmt.Sprintf("%s: selector %s names no metric", q.where, vs))
				continue
			}
			used[name] = true
			if !known[name] && !slices.Contains(prometheusSeries, name) {
				problems = append(problems, fmt.Sprintf("%s: metric %s is neither exported by the exporter nor recorded by the shipped rules", q.where, name))
			}
			if r, ok := ranges[vs]; ok && strings.HasSuffix(name, "_total") && !strings.Contains(name, ":") && r != rateIntervalDur {
				problems = append(problems, fmt.Sprintf("%s: %s over [%s]: a raw counter is read over [$__rate_interval]", q.where, name, r))
			}
		}
	}
	return problems, used
}
