package rules

import (
	"fmt"
	"strings"
	"time"

	"github.com/prometheus/common/model"
)

// The metric names of the interface contract (../shared/CONTRACT.md) that
// the rules read.
const (
	responsesTotal     = "httpstatus_responses_total"
	linesReadTotal     = "httpstatus_lines_read_total"
	linesUnparsedTotal = "httpstatus_lines_unparsed_total"
)

// Alert names, fixed by the contract.
const (
	alertRatioHigh    = "HTTPStatus5xxRatioHigh"
	alertSpike        = "HTTPStatus5xxSpike"
	alertGateway      = "HTTPStatusGatewayErrorsHigh"
	alertBudgetBurn   = "HTTPStatusErrorBudgetBurn"
	alertUnparsed     = "HTTPStatusUnparsedLinesHigh"
	alertExporterDown = "HTTPStatusExporterDown"
)

// Windows and durations before scaling.
const (
	short        = 5 * time.Minute // the ratio, gateway and spike alerts' window
	spikeBase    = time.Hour       // the spike's baseline: the hour before the short window
	spikeFor     = 2 * time.Minute
	unparsedWin  = 15 * time.Minute // the unparsed alert's window and for
	downFor      = 5 * time.Minute
	budgetPeriod = 30 * 24 * time.Hour // the SLO period the burn factors assume (the SRE workbook's)
)

// burn is one multi-window, multi-burn-rate alert of the SRE workbook's
// "Alerting on SLOs" chapter: it fires when the 5xx ratio over both windows
// is above factor times the error budget. The long window makes it
// significant, the short one makes it stop soon after the burn stops.
type burn struct {
	long, short time.Duration
	factor      float64
	severity    string
	forDur      time.Duration
}

// burns are the workbook's three: 2% of a 30-day budget in 1h and 5% in 6h
// page; 10% in 3d opens a ticket. The for durations damp flapping.
var burns = []burn{
	{long: time.Hour, short: 5 * time.Minute, factor: 14.4, severity: "critical", forDur: 2 * time.Minute},
	{long: 6 * time.Hour, short: 30 * time.Minute, factor: 6, severity: "critical", forDur: 15 * time.Minute},
	{long: 72 * time.Hour, short: 6 * time.Hour, factor: 1, severity: "warning", forDur: time.Hour},
}

// windows are those of the 5xx ratio records, ascending: every window an
// alert reads.
var windows = []time.Duration{5 * time.Minute, 30 * time.Minute, time.Hour, 6 * time.Hour, 72 * time.Hour}

// longWindow is where the records stop reading raw counters: from here on
// they average the hourly record, which is far cheaper than a rate over
// days of raw samples of every code of every instance, and the same for a
// ratio because both sides are averaged over the same points.
const longWindow = 24 * time.Hour

// names builds the record names, level:metric:operations, of one rendering.
type names struct{ o Options }

func (n names) rate(metric string, w time.Duration) string {
	return "source:" + metric + ":rate" + n.o.dur(w)
}

func (n names) ratio(metric string, w time.Duration) string {
	return "source:" + metric + ":ratio_rate" + n.o.dur(w)
}

// groups returns the recording and the alerting group for o.
func groups(o Options) (recording, alerting group, err error) {
	if err := o.Validate(); err != nil {
		return group{}, group{}, err
	}
	matchers, _ := parseSelector(o.Selector) // validated
	sel := strings.Join(matchers, ",")
	by := strings.Join(append([]string{"source"}, o.GroupBy...), ", ")
	n := names{o}
	sumRate := func(metric, extra string, w time.Duration) string {
		s := sel
		if extra != "" {
			s += "," + extra
		}
		return fmt.Sprintf("sum by (%s) (rate(%s{%s}[%s]))", by, metric, s, o.dur(w))
	}

	recording.Name = "httpstatus-exporter.rules"
	add := func(record, expr string) {
		recording.Rules = append(recording.Rules, rule{Record: record, Expr: expr})
	}
	for _, w := range windows {
		all, fives := n.rate("httpstatus_responses", w), n.rate("httpstatus_responses_5xx", w)
		if w < longWindow {
			add(all, sumRate(responsesTotal, "", w))
			add(fives, sumRate(responsesTotal, `code=~"5.."`, w))
		} else {
			add(all, fmt.Sprintf("avg_over_time(%s[%s])", n.rate("httpstatus_responses", time.Hour), o.dur(w)))
			add(fives, fmt.Sprintf("avg_over_time(%s[%s])", n.rate("httpstatus_responses_5xx", time.Hour), o.dur(w)))
		}
		add(n.ratio("httpstatus_responses_5xx", w), fives+" / "+all)
	}
	add(n.rate("httpstatus_responses_gateway", short), sumRate(responsesTotal, `category="gateway"`, short))
	add(n.ratio("httpstatus_responses_gateway", short),
		n.rate("httpstatus_responses_gateway", short)+" / "+n.rate("httpstatus_responses", short))
	add(n.rate("httpstatus_lines_read", unparsedWin), sumRate(linesReadTotal, "", unparsedWin))
	add(n.rate("httpstatus_lines_unparsed", unparsedWin), sumRate(linesUnparsedTotal, "", unparsedWin))
	add(n.ratio("httpstatus_lines_unparsed", unparsedWin),
		n.rate("httpstatus_lines_unparsed", unparsedWin)+" / "+n.rate("httpstatus_lines_read", unparsedWin))

	alerting.Name = "httpstatus-exporter.alerts"
	where := "source {{ $labels.source }}"
	for _, l := range o.GroupBy {
		where += fmt.Sprintf(", %s {{ $labels.%s }}", l, l)
	}
	guard := func(w time.Duration) string {
		return fmt.Sprintf("\nand\n%s >= %s", n.rate("httpstatus_responses", w), num(o.MinRate))
	}
	alert := func(name, severity string, forDur time.Duration, expr, summary, description string) rule {
		r := rule{
			Alert:  name,
			Expr:   expr,
			Labels: &labels{Severity: severity},
			Annotations: &annotations{
				Summary:     summary,
				Description: description,
				RunbookURL:  strings.TrimSuffix(o.RunbookURL, "/") + "/docs/runbooks.md#" + strings.ToLower(name),
			},
		}
		if forDur > 0 {
			r.For = o.dur(forDur)
		}
		return r
	}
	pct := func(f float64) string { return num(f*100) + "%" }
	alerting.Rules = append(alerting.Rules,
		alert(alertRatioHigh, "critical", o.For,
			fmt.Sprintf("%s > %s", n.ratio("httpstatus_responses_5xx", short), num(o.Ratio))+guard(short),
			"Many 5xx responses from {{ $labels.source }}",
			fmt.Sprintf("{{ $value | humanizePercentage }} of the responses of %s over the last %s were 5xx "+
				"(server or gateway errors); the alert fires above %s while at least %s request/s is served.",
				where, o.dur(short), pct(o.Ratio), num(o.MinRate))),
		alert(alertSpike, "warning", spikeFor,
			fmt.Sprintf("%s >= %s * (%s offset %s)\nand\n%s > %s",
				n.rate("httpstatus_responses_5xx", short), num(o.SpikeFactor),
				n.rate("httpstatus_responses_5xx", spikeBase), o.dur(short),
				n.ratio("httpstatus_responses_5xx", short), num(o.SpikeRatio))+guard(short),
			"5xx responses from {{ $labels.source }} jumped",
			fmt.Sprintf("%s answers {{ printf \"%%.2f\" $value }} 5xx responses/s over the last %s: at least %s times "+
				"its rate over the hour before, and more than %s of its responses.",
				upper(where), o.dur(short), num(o.SpikeFactor), pct(o.SpikeRatio))),
		alert(alertGateway, "warning", o.For,
			fmt.Sprintf("%s > %s", n.ratio("httpstatus_responses_gateway", short), num(o.GatewayRatio))+guard(short),
			"Many gateway errors from {{ $labels.source }}",
			fmt.Sprintf("{{ $value | humanizePercentage }} of the responses of %s over the last %s were in the "+
				"gateway category (502 and 504 in the seed table): upstreams fail or time out. The alert fires "+
				"above %s while at least %s request/s is served.",
				where, o.dur(short), pct(o.GatewayRatio), num(o.MinRate))),
	)
	budget := 1 - o.SLO
	for _, b := range burns {
		long, shortW := n.ratio("httpstatus_responses_5xx", b.long), n.ratio("httpstatus_responses_5xx", b.short)
		threshold := fmt.Sprintf("(%s * %s)", num(b.factor), num(budget))
		how := "fast"
		if b.severity != "critical" {
			how = "steadily"
		}
		r := alert(alertBudgetBurn, b.severity, b.forDur,
			fmt.Sprintf("%s > %s\nand\n%s > %s", long, threshold, shortW, threshold)+guard(b.long),
			"{{ $labels.source }} burns its 5xx error budget "+how,
			fmt.Sprintf("{{ $value | humanizePercentage }} of the responses of %s over the last %s were 5xx, "+
				"and over the last %s too: more than %s × the %s error budget of the %s SLO. Burning at that "+
				"rate spends a %s budget in %s or less.",
				where, o.dur(b.long), o.dur(b.short), num(b.factor), pct(budget), pct(o.SLO),
				model.Duration(budgetPeriod), model.Duration(time.Duration(float64(budgetPeriod)/b.factor))))
		r.Labels.LongWindow, r.Labels.ShortWindow = o.dur(b.long), o.dur(b.short)
		alerting.Rules = append(alerting.Rules, r)
	}
	alerting.Rules = append(alerting.Rules,
		alert(alertUnparsed, "warning", unparsedWin,
			fmt.Sprintf("%s > %s", n.ratio("httpstatus_lines_unparsed", unparsedWin), num(o.UnparsedRatio)),
			"Lines of {{ $labels.source }} do not parse",
			fmt.Sprintf("{{ $value | humanizePercentage }} of the lines read for %s over the last %s had no "+
				"valid status, so their responses are not counted: the log format is probably wrong. "+
				"httpstatus_lines_unparsed_total says why, by reason.",
				where, o.dur(unparsedWin))),
		alert(alertExporterDown, "warning", downFor,
			fmt.Sprintf("up{%s} == 0", sel),
			"httpstatus-exporter {{ $labels.instance }} is down",
			fmt.Sprintf("Prometheus has not scraped {{ $labels.instance }} (job {{ $labels.job }}) for %s: the "+
				"responses in the logs it follows are not counted, and the other HTTPStatus alerts cannot fire for them.",
				o.dur(downFor))),
	)
	return recording, alerting, nil
}

// upper makes the first letter of s upper case (s is ASCII here).
func upper(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
