package main

import (
	"fmt"
	"math"
	"regexp"
	"strconv"

	"gopkg.in/yaml.v3"

	"github.com/httpstatus-exporter/httpstatus-exporter/rules"
)

// burnAlert is one rule of HTTPStatusErrorBudgetBurn as rendered by the
// rules package: it fires when the 5xx ratio over both windows is above
// factor times the error budget.
type burnAlert struct {
	long, short string // windows as the record names spell them: 1h, 5m
	factor      float64
	severity    string
}

// ruleFacts is what the dashboard reads from the rules rendered with the
// same options, so that its thresholds and records are the alerts' own and
// are stated in one place only (the rules package).
type ruleFacts struct {
	records map[string]bool // names of the recording rules
	burns   []burnAlert     // in the order of the alerts file
	budget  float64         // 1 - SLO, as the alerts' expressions state it
}

// burnExprRE matches the first line of a budget alert's expression:
// source:httpstatus_responses_5xx:ratio_rate1h > (14.4 * 0.001).
var burnExprRE = regexp.MustCompile(`^source:httpstatus_responses_5xx:ratio_rate(\w+) > \(([0-9.e+-]+) \* ([0-9.e+-]+)\)\n`)

// readRuleFacts renders the rules for o and reads their records and budget
// alerts back.
func readRuleFacts(o rules.Options) (ruleFacts, error) {
	files, err := rules.Render(o)
	if err != nil {
		return ruleFacts{}, err
	}
	type ruleFile struct {
		Groups []struct {
			Rules []struct {
				Record string            `yaml:"record"`
				Alert  string            `yaml:"alert"`
				Expr   string            `yaml:"expr"`
				Labels map[string]string `yaml:"labels"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	var rec, alerts ruleFile
	if err := yaml.Unmarshal(files.Rules, &rec); err != nil {
		return ruleFacts{}, fmt.Errorf("rendered %s: %w", rules.RulesFile, err)
	}
	if err := yaml.Unmarshal(files.Alerts, &alerts); err != nil {
		return ruleFacts{}, fmt.Errorf("rendered %s: %w", rules.AlertsFile, err)
	}
	f := ruleFacts{records: map[string]bool{}, budget: -1}
	for _, g := range rec.Groups {
		for _, r := range g.Rules {
			if r.Record != "" {
				f.records[r.Record] = true
			}
		}
	}
	for _, g := range alerts.Groups {
		for _, r := range g.Rules {
			if r.Alert != "HTTPStatusErrorBudgetBurn" {
				continue
			}
			m := burnExprRE.FindStringSubmatch(r.Expr)
			if m == nil || m[1] != r.Labels["long_window"] || r.Labels["short_window"] == "" {
				return ruleFacts{}, fmt.Errorf("rendered %s: HTTPStatusErrorBudgetBurn %q (labels %v): not the expression the dashboard reads", rules.AlertsFile, r.Expr, r.Labels)
			}
			factor, err1 := strconv.ParseFloat(m[2], 64)
			budget, err2 := strconv.ParseFloat(m[3], 64)
			if err1 != nil || err2 != nil || math.Abs(budget-(1-o.SLO)) > 1e-12 {
				return ruleFacts{}, fmt.Errorf("rendered %s: HTTPStatusErrorBudgetBurn %q: factor or budget (want 1 - %v)", rules.AlertsFile, r.Expr, o.SLO)
			}
			f.budget = budget
			f.burns = append(f.burns, burnAlert{long: m[1], short: r.Labels["short_window"], factor: factor, severity: r.Labels["severity"]})
		}
	}
	if len(f.burns) == 0 {
		return ruleFacts{}, fmt.Errorf("rendered %s: no HTTPStatusErrorBudgetBurn rule", rules.AlertsFile)
	}
	return f, nil
}
