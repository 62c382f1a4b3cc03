// Package rules generates the Prometheus recording and alerting rules shipped
// with the exporter (prometheus_rules.yaml and prometheus_alerts.yaml in this
// folder) and the same groups as a PrometheusRule object for the Prometheus
// Operator, from thresholds, a selector and grouping labels.
//
// It knows the exporter's metric names and labels as the interface contract
// fixes them, and nothing of how the exporter counts them. The shipped files
// are exactly Render(DefaultOptions()); a test keeps them equal.
package rules

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"gopkg.in/yaml.v3"
)

// File names of the two rule files, as shipped in this folder.
const (
	RulesFile  = "prometheus_rules.yaml"
	AlertsFile = "prometheus_alerts.yaml"
)

// ErrInvalid is wrapped by every error of Options.Validate.
var ErrInvalid = errors.New("rules: invalid option")

// Options are the thresholds and selectors the rules are generated from.
// Start from DefaultOptions: a zero Options is not valid.
type Options struct {
	// SLO is the availability objective: the share of responses that are
	// not 5xx, in (0, 1). The error budget is 1 - SLO.
	SLO float64
	// Ratio is the 5xx share over 5m above which HTTPStatus5xxRatioHigh fires.
	Ratio float64
	// SpikeFactor: HTTPStatus5xxSpike fires when the 5xx rate over 5m is at
	// least this many times the rate over the hour before it.
	SpikeFactor float64
	// SpikeRatio is the 5xx share over 5m that a spike must also exceed.
	SpikeRatio float64
	// MinRate (responses per second) is the volume guard: the 5xx, gateway
	// and budget alerts fire only for a source serving at least this much.
	MinRate float64
	// GatewayRatio is the share of gateway-category responses (502, 504 in
	// the seed table) over 5m above which HTTPStatusGatewayErrorsHigh fires.
	GatewayRatio float64
	// UnparsedRatio is the share of unparsed lines over 15m above which
	// HTTPStatusUnparsedLinesHigh fires.
	UnparsedRatio float64
	// Selector is the label matchers, without braces, that pick the
	// exporter's series and its up series: `job="httpstatus-exporter"`.
	Selector string
	// GroupBy are labels kept besides source when the instances of the
	// DaemonSet are summed (cluster, namespace): one alert per source and
	// group, never one per node.
	GroupBy []string
	// For is how long HTTPStatus5xxRatioHigh's and
	// HTTPStatusGatewayErrorsHigh's conditions must hold before they fire.
	For time.Duration
	// RunbookURL is the base the alerts' runbook_url starts with; it is
	// followed by /docs/runbooks.md#<alert name in lower case>.
	RunbookURL string
	// TimeScale multiplies every window, offset and for duration (1 in
	// production). Tests set it below 1 to see in seconds what takes minutes.
	TimeScale float64
	// ObjectLabels are the metadata labels of the PrometheusRule object,
	// besides app.kubernetes.io/name (the operator's ruleSelector matches
	// them, e.g. release=kube-prometheus-stack).
	ObjectLabels map[string]string
}

// DefaultOptions are the options of the shipped files.
func DefaultOptions() Options {
	return Options{
		SLO:           0.999,
		Ratio:         0.05,
		SpikeFactor:   3,
		SpikeRatio:    0.01,
		MinRate:       1,
		GatewayRatio:  0.02,
		UnparsedRatio: 0.1,
		Selector:      `job="httpstatus-exporter"`,
		For:           5 * time.Minute,
		RunbookURL:    "https://github.com/httpstatus-exporter/httpstatus-exporter/blob/main",
		TimeScale:     1,
	}
}

// labelNameRE is a Prometheus label name (the classic character set, which
// every Prometheus version accepts unquoted).
var labelNameRE = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// Validate checks every option and names the first one that is wrong.
func (o Options) Validate() error {
	open01 := []struct {
		name string
		v    float64
	}{{"slo", o.SLO}, {"ratio", o.Ratio}, {"gateway-ratio", o.GatewayRatio}, {"unparsed-ratio", o.UnparsedRatio}}
	for _, f := range open01 {
		if !(f.v > 0 && f.v < 1) { // also false for NaN
			return fmt.Errorf("%w: %s %v: want a share between 0 and 1, both excluded", ErrInvalid, f.name, f.v)
		}
	}
	if !(o.SpikeRatio >= 0 && o.SpikeRatio < 1) {
		return fmt.Errorf("%w: spike-ratio %v: want a share from 0 up to 1 (excluded)", ErrInvalid, o.SpikeRatio)
	}
	if !(o.SpikeFactor > 1) || math.IsInf(o.SpikeFactor, 0) {
		return fmt.Errorf("%w: spike-factor %v: want a finite number above 1", ErrInvalid, o.SpikeFactor)
	}
	if !(o.MinRate >= 0) || math.IsInf(o.MinRate, 0) {
		return fmt.Errorf("%w: min-rate %v: want a finite number of requests per second, 0 or more", ErrInvalid, o.MinRate)
	}
	if o.For < 0 {
		return fmt.Errorf("%w: for %s: want 0 or more", ErrInvalid, o.For)
	}
	// The shortest window must stay at least a second once scaled.
	if !(o.TimeScale > 0) || o.scale(5*time.Minute) < time.Second {
		return fmt.Errorf("%w: time-scale %v: want above 0, and 5m scaled at least 1s", ErrInvalid, o.TimeScale)
	}
	if _, err := parseSelector(o.Selector); err != nil {
		return fmt.Errorf("%w: selector %q: %w", ErrInvalid, o.Selector, err)
	}
	seen := map[string]bool{}
	for _, l := range o.GroupBy {
		switch {
		case !labelNameRE.MatchString(l) || strings.HasPrefix(l, "__"):
			return fmt.Errorf("%w: group-by %q: not a label name", ErrInvalid, l)
		case l == "source":
			return fmt.Errorf("%w: group-by %q: rules always group by source", ErrInvalid, l)
		case l == "code" || l == "category" || l == "reason":
			// Grouping by these would divide each code by itself.
			return fmt.Errorf("%w: group-by %q: the ratios sum over it", ErrInvalid, l)
		case seen[l]:
			return fmt.Errorf("%w: group-by %q given twice", ErrInvalid, l)
		}
		seen[l] = true
	}
	u, err := url.Parse(o.RunbookURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%w: runbook-url %q: want an absolute http(s) URL", ErrInvalid, o.RunbookURL)
	}
	for k, v := range o.ObjectLabels {
		if k == "" || v == "" {
			return fmt.Errorf("%w: object label %q=%q: want a name and a value", ErrInvalid, k, v)
		}
	}
	return nil
}

// Files are the two rule files' contents.
type Files struct {
	Rules  []byte // recording rules (RulesFile)
	Alerts []byte // alerting rules (AlertsFile)
}

// Render validates o and returns the two rule files.
func Render(o Options) (Files, error) {
	recording, alerting, err := groups(o)
	if err != nil {
		return Files{}, err
	}
	head := header(o)
	rulesYAML, err := marshal(ruleFile{Groups: []group{recording}})
	if err != nil {
		return Files{}, err
	}
	alertsYAML, err := marshal(ruleFile{Groups: []group{alerting}})
	if err != nil {
		return Files{}, err
	}
	return Files{
		Rules: slices.Concat([]byte(head+"# Recording rules: the rates and ratios the alerts in "+AlertsFile+" and dashboards use.\n"),
			rulesYAML),
		Alerts: slices.Concat([]byte(head+"# Alerts; they need the recording rules in "+RulesFile+".\n"), alertsYAML),
	}, nil
}

// RenderPrometheusRule validates o and returns a PrometheusRule object
// (monitoring.coreos.com/v1) holding the recording and the alerting group.
func RenderPrometheusRule(o Options) ([]byte, error) {
	recording, alerting, err := groups(o)
	if err != nil {
		return nil, err
	}
	labels := map[string]string{"app.kubernetes.io/name": "httpstatus-exporter"}
	for k, v := range o.ObjectLabels {
		labels[k] = v
	}
	obj := prometheusRule{
		APIVersion: "monitoring.coreos.com/v1",
		Kind:       "PrometheusRule",
		Metadata:   objectMeta{Name: "httpstatus-exporter", Labels: labels},
		Spec:       ruleFile{Groups: []group{recording, alerting}},
	}
	out, err := marshal(obj)
	if err != nil {
		return nil, err
	}
	return slices.Concat([]byte(header(o)), out), nil
}

// ruleFile is a Prometheus rule file, and the spec of a PrometheusRule.
type ruleFile struct {
	Groups []group `yaml:"groups"`
}

type group struct {
	Name  string `yaml:"name"`
	Rules []rule `yaml:"rules"`
}

// rule is a recording rule (Record) or an alert (Alert). Structs, not maps,
// keep the keys in the order a reader wants them.
type rule struct {
	Record      string       `yaml:"record,omitempty"`
	Alert       string       `yaml:"alert,omitempty"`
	Expr        string       `yaml:"expr"`
	For         string       `yaml:"for,omitempty"`
	Labels      *labels      `yaml:"labels,omitempty"`
	Annotations *annotations `yaml:"annotations,omitempty"`
}

type labels struct {
	Severity string `yaml:"severity"`
	// The windows of a burn-rate alert: they tell its three rules apart.
	LongWindow  string `yaml:"long_window,omitempty"`
	ShortWindow string `yaml:"short_window,omitempty"`
}

type annotations struct {
	Summary     string `yaml:"summary"`
	Description string `yaml:"description"`
	RunbookURL  string `yaml:"runbook_url"`
}

type prometheusRule struct {
	APIVersion string     `yaml:"apiVersion"`
	Kind       string     `yaml:"kind"`
	Metadata   objectMeta `yaml:"metadata"`
	Spec       ruleFile   `yaml:"spec"`
}

type objectMeta struct {
	Name   string            `yaml:"name"`
	Labels map[string]string `yaml:"labels,omitempty"`
}

func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("rules: yaml: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("rules: yaml: %w", err)
	}
	return b.Bytes(), nil
}

// header says where a file comes from and with which options, so that a
// reader can render it again.
func header(o Options) string {
	var b strings.Builder
	b.WriteString("# Generated by `exporter rules` (httpstatus-exporter). Do not edit: render again with other flags.\n")
	fmt.Fprintf(&b, "# --slo=%s --ratio=%s --spike-factor=%s --spike-ratio=%s --min-rate=%s\n",
		num(o.SLO), num(o.Ratio), num(o.SpikeFactor), num(o.SpikeRatio), num(o.MinRate))
	fmt.Fprintf(&b, "# --gateway-ratio=%s --unparsed-ratio=%s --for=%s\n",
		num(o.GatewayRatio), num(o.UnparsedRatio), model.Duration(o.For))
	matchers, _ := parseSelector(o.Selector) // validated
	fmt.Fprintf(&b, "# --selector='%s'", strings.Join(matchers, ","))
	for _, l := range o.GroupBy {
		fmt.Fprintf(&b, " --group-by=%s", l)
	}
	b.WriteString("\n")
	if o.TimeScale != 1 {
		fmt.Fprintf(&b, "# Every window, offset and for duration is scaled by %s: for tests, not for production.\n", num(o.TimeScale))
	}
	return b.String()
}

// num formats a threshold the way a person writes it: 0.001, not
// 0.0010000000000000009 (what 1 - 0.999 is in floating point).
func num(f float64) string {
	return strconv.FormatFloat(f, 'g', 10, 64)
}

// scale returns d scaled by the time scale, rounded to the millisecond (the
// finest unit of a Prometheus duration).
func (o Options) scale(d time.Duration) time.Duration {
	return time.Duration(float64(d) * o.TimeScale).Round(time.Millisecond)
}

// dur formats d scaled, as Prometheus writes durations (5m, 1h, 3d, 1m12s).
func (o Options) dur(d time.Duration) string {
	return model.Duration(o.scale(d)).String()
}

// parseSelector checks a list of label matchers, `name op "value"` separated
// by commas, and returns them written uniformly. It accepts what PromQL's
// double-quoted strings accept (Go escapes).
func parseSelector(s string) ([]string, error) {
	var out []string
	rest := strings.TrimSpace(s)
	if rest == "" {
		return nil, errors.New("empty: give at least one matcher, such as job=\"httpstatus-exporter\"")
	}
	for rest != "" {
		m := matcherRE.FindStringSubmatch(rest)
		if m == nil {
			return nil, fmt.Errorf("at %q: want name=\"value\" (or !=, =~, !~), separated by commas", rest)
		}
		value, err := strconv.Unquote(m[3])
		if err != nil {
			return nil, fmt.Errorf("value %s: %w", m[3], err)
		}
		if m[2] == "=~" || m[2] == "!~" {
			if _, err := regexp.Compile("^(?:" + value + ")$"); err != nil {
				return nil, fmt.Errorf("regular expression %s: %w", m[3], err)
			}
		}
		out = append(out, m[1]+m[2]+strconv.Quote(value))
		rest = strings.TrimSpace(rest[len(m[0]):])
		if r, ok := strings.CutPrefix(rest, ","); ok {
			rest = strings.TrimSpace(r)
		} else if rest != "" {
			return nil, fmt.Errorf("at %q: want a comma between matchers", rest)
		}
	}
	return out, nil
}

var matcherRE = regexp.MustCompile(`^([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*("(?:[^"\\]|\\.)*")\s*`)
