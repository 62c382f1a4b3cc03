package main

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/table"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"

	"github.com/httpstatus-exporter/httpstatus-exporter/rules"
)

// The dashboard's identity, fixed by the interface contract (uid) or kept
// stable for links and imports.
const (
	UID   = "httpstatus-overview"
	Title = "HTTP status overview"
	// SchemaVersion is the dashboard JSON schema the SDK writes: 42, the last
	// version of Grafana's v1 dashboard API (Grafana 12.2 and later write it;
	// older versions load it without migrating it).
	SchemaVersion = 42
	// DefaultJob is the scrape job the rules' default selector and the
	// deployment files use; the job variable starts there.
	DefaultJob = "httpstatus-exporter"
)

// Variable names. Every query reads the data source from dsVar.
const (
	dsVar       = "datasource"
	jobVar      = "job"
	sourceVar   = "source"
	nodeVar     = "node"
	instanceVar = "instance"
)

// categoryColors are the fixed colours of the categories, in the order the
// status table documents them: the same category has the same colour in
// every panel. Server and gateway errors differ (red, purple): a gateway
// error points at an upstream, a server error at the service itself.
var categoryColors = []struct{ category, color string }{
	{"success", "green"},
	{"informational", "light-blue"},
	{"redirect", "blue"},
	{"client", "yellow"},
	{"not-found", "light-yellow"},
	{"auth", "orange"},
	{"permission", "dark-orange"},
	{"server", "red"},
	{"gateway", "purple"},
}

// The v1 dashboard model, which the SDK marks deprecated in favour of its v2
// resources: v1 is what Grafana's import dialog, file provisioning and the
// dashboard sidecar take in every version; v2 needs Grafana 12's dashboard
// API and has no __inputs.
type (
	grafanaDashboard = dashboard.Dashboard        //nolint:staticcheck // v1 on purpose, see above
	dashboardBuilder = dashboard.DashboardBuilder //nolint:staticcheck // v1 on purpose, see above
)

var newDashboardBuilder = dashboard.NewDashboardBuilder //nolint:staticcheck // v1 on purpose, see above

// ptr returns a pointer to v (the SDK's types are full of optional fields).
func ptr[T any](v T) *T { return &v }

// dsRef is the data source of every panel, query, variable and annotation:
// the datasource variable, never a fixed one.
func dsRef() common.DataSourceRef {
	return common.DataSourceRef{Type: ptr("prometheus"), Uid: ptr("${" + dsVar + "}")}
}

// board holds what the panels are built from.
type board struct {
	o     rules.Options
	facts ruleFacts
	ids   uint32
	err   error // the first record the panels read that the rules do not define
}

// Build returns the dashboard for the rules rendered with o (its
// thresholds, --group-by labels and runbook URL).
func Build(o rules.Options) (grafanaDashboard, error) {
	if err := o.Validate(); err != nil {
		return grafanaDashboard{}, err
	}
	facts, err := readRuleFacts(o)
	if err != nil {
		return grafanaDashboard{}, err
	}
	b := &board{o: o, facts: facts}
	runbooks := strings.TrimSuffix(o.RunbookURL, "/") + "/docs/runbooks.md"
	db := newDashboardBuilder(Title).
		Uid(UID).
		Description("Responses by HTTP status code and documented category, read from access logs by httpstatus-exporter; "+
			"the SLO and alerts of its shipped rules; the exporter's own health.").
		Tags([]string{"httpstatus-exporter", "http", "prometheus"}).
		Editable().
		Tooltip(dashboard.DashboardCursorSyncCrosshair).
		Time("now-3h", "now").
		Refresh("1m").
		Timezone(common.TimeZoneBrowser).
		Link(dashboard.NewDashboardLinkBuilder("Runbooks").Type(dashboard.DashboardLinkTypeLink).
			Url(runbooks).Icon("doc").Tooltip("What each alert means and what to check first").TargetBlank(true)).
		Link(dashboard.NewDashboardLinkBuilder("Rules and alerts").Type(dashboard.DashboardLinkTypeLink).
			Url(strings.TrimSuffix(o.RunbookURL, "/") + "/rules/README.md").Icon("info").
			Tooltip("When each shipped alert fires").TargetBlank(true)).
		Variables(b.variables()).
		Annotation(b.alertAnnotation())

	b.overviewRow(db)
	b.responsesRow(db)
	b.budgetRow(db)
	b.healthRow(db)

	if b.err != nil {
		return grafanaDashboard{}, b.err
	}
	d, err := db.Build()
	if err != nil {
		return grafanaDashboard{}, err
	}
	// The SDK puts links and annotation toggles in Grafana 12's controls
	// menu; the runbooks and the alerts belong in sight, above the panels.
	for i := range d.Links {
		d.Links[i].Placement = nil
	}
	for i := range d.Annotations.List {
		d.Annotations.List[i].Placement = nil
	}
	if d.SchemaVersion != SchemaVersion {
		// The SDK moved on: review what changed before shipping another.
		return grafanaDashboard{}, fmt.Errorf("the SDK writes schemaVersion %d, want %d", d.SchemaVersion, SchemaVersion)
	}
	return d, nil
}

// --- Variables and selectors -------------------------------------------

func (b *board) variables() []cog.Builder[dashboard.VariableModel] {
	vars := []cog.Builder[dashboard.VariableModel]{
		// Import fills DS_PROMETHEUS (see __inputs); provisioned as it is,
		// Grafana finds no such data source and takes the default.
		dashboard.NewDatasourceVariableBuilder(dsVar).
			Label("Data source").
			Type("prometheus").
			Current(dashboard.VariableOption{
				Text:  dashboard.StringOrArrayOfString{String: ptr("${DS_PROMETHEUS}")},
				Value: dashboard.StringOrArrayOfString{String: ptr("${DS_PROMETHEUS}")},
			}),
		b.queryVar(jobVar, "Job", "label_values(httpstatus_exporter_build_info, job)", false).
			Description("The scrape job of the exporters (the rules select job=\"" + DefaultJob + "\" by default).").
			Current(dashboard.VariableOption{
				Text:  dashboard.StringOrArrayOfString{String: ptr(DefaultJob)},
				Value: dashboard.StringOrArrayOfString{String: ptr(DefaultJob)},
			}),
	}
	// The --group-by labels come first: they narrow the sources.
	for _, l := range b.o.GroupBy {
		vars = append(vars, b.queryVar(l, l,
			fmt.Sprintf(`label_values(httpstatus_responses_total{job="$%s"}, %s)`, jobVar, l), true))
	}
	vars = append(vars,
		b.queryVar(sourceVar, "Source",
			fmt.Sprintf(`label_values(httpstatus_responses_total{%s}, source)`, b.matchers(false, false, jobVar)), true).
			Description("The source label: one service's logs, as named by --log.source or the config file."),
		b.queryVar(nodeVar, "Node",
			fmt.Sprintf(`label_values(httpstatus_responses_total{%s}, node)`, b.matchers(false, false, jobVar, sourceVar)), true).
			Description("The node label the PodMonitor and the example scrape config give each exporter (none outside Kubernetes)."),
		b.queryVar(instanceVar, "Instance",
			fmt.Sprintf(`label_values(httpstatus_responses_total{%s}, instance)`, b.matchers(false, false, jobVar, sourceVar, nodeVar)), true).
			Description("The scrape target: one exporter."),
	)
	return vars
}

// queryVar is a variable whose values a label_values query finds; multi
// ones select all by default, as the regular expression .* (which also
// matches series without the label).
func (b *board) queryVar(name, label, query string, multi bool) *dashboard.QueryVariableBuilder {
	v := dashboard.NewQueryVariableBuilder(name).
		Label(label).
		Datasource(dsRef()).
		Query(dashboard.StringOrMap{String: ptr(query)}).
		Definition(query).
		Refresh(dashboard.VariableRefreshOnTimeRangeChanged).
		Sort(dashboard.VariableSortAlphabeticalAsc)
	if multi {
		v = v.Multi(true).IncludeAll(true).AllValue(".*").
			Current(dashboard.VariableOption{
				Text:  dashboard.StringOrArrayOfString{ArrayOfString: []string{"All"}},
				Value: dashboard.StringOrArrayOfString{ArrayOfString: []string{"$__all"}},
			})
	}
	return v
}

// matchers returns the label matchers for the variables named, in that
// order, with the --group-by labels after the job: job="$job",
// cluster=~"$cluster", source=~"$source". raw selects the exporter's own
// series (job, node, instance as well), else the recording rules' series,
// which keep only source and the --group-by labels. orEmpty lets each
// matcher also match series without the label (for ALERTS, whose labels
// depend on the alert).
func (b *board) matchers(rec, orEmpty bool, names ...string) string {
	var ms []string
	add := func(name string) {
		switch {
		case name == jobVar && rec:
		case name == jobVar:
			ms = append(ms, fmt.Sprintf(`job="$%s"`, jobVar))
		case (name == nodeVar || name == instanceVar) && rec:
		case orEmpty:
			ms = append(ms, fmt.Sprintf(`%s=~"$%s|"`, name, name))
		default:
			ms = append(ms, fmt.Sprintf(`%s=~"$%s"`, name, name))
		}
	}
	for _, n := range names {
		add(n)
		if n == jobVar {
			for _, l := range b.o.GroupBy {
				add(l)
			}
		}
	}
	return strings.Join(ms, ", ")
}

// raw is the selector of the exporter's series under every variable.
func (b *board) raw(extra ...string) string {
	return "{" + strings.Join(append([]string{b.matchers(false, false, jobVar, sourceVar, nodeVar, instanceVar)}, extra...), ", ") + "}"
}

// rec is the selector of the recording rules' series: source and the
// --group-by labels (records sum the instances).
func (b *board) rec() string {
	return "{" + b.matchers(true, false, jobVar, sourceVar) + "}"
}

// by lists the --group-by labels and then labels, for "sum by (...)" and
// "on (...)", so that sums never merge what the rules keep apart.
func (b *board) by(labels ...string) string {
	return strings.Join(append(slices.Clone(b.o.GroupBy), labels...), ", ")
}

// legend is a legend format naming the --group-by labels and then labels.
func (b *board) legend(labels ...string) string {
	var parts []string
	for _, l := range append(slices.Clone(b.o.GroupBy), labels...) {
		parts = append(parts, "{{"+l+"}}")
	}
	return strings.Join(parts, " ")
}

// record returns a recording rule's name; Build fails if the rules
// rendered with these options do not define it.
func (b *board) record(name string) string {
	if !b.facts.records[name] && b.err == nil {
		b.err = fmt.Errorf("the rules define no record %s", name)
	}
	return name
}

// rateOf is the per-second rate of a raw counter under the variables.
func (b *board) rateOf(metric string, by []string, extra ...string) string {
	return fmt.Sprintf("sum by (%s) (rate(%s%s[$__rate_interval]))", b.by(by...), metric, b.raw(extra...))
}

// --- Building blocks ----------------------------------------------------

func (b *board) nextID() uint32 {
	b.ids++
	return b.ids
}

// query is a range query on the datasource variable.
func query(ref, expr, legend string) *prometheus.DataqueryBuilder {
	return prometheus.NewDataqueryBuilder().Datasource(dsRef()).RefId(ref).Expr(expr).LegendFormat(legend).Range()
}

// tableQuery is an instant query whose result is a table.
func tableQuery(ref, expr string) *prometheus.DataqueryBuilder {
	return prometheus.NewDataqueryBuilder().Datasource(dsRef()).RefId(ref).Expr(expr).
		LegendFormat("__auto").Instant().Format(prometheus.PromQueryFormatTable)
}

func thresholds(base string, steps ...dashboard.Threshold) *dashboard.ThresholdsConfigBuilder {
	return dashboard.NewThresholdsConfigBuilder().Mode(dashboard.ThresholdsModeAbsolute).
		Steps(append([]dashboard.Threshold{{Color: base}}, steps...))
}

func step(v float64, color string) dashboard.Threshold {
	return dashboard.Threshold{Value: ptr(v), Color: color}
}

// runbook links a panel to the runbook section of an alert.
func (b *board) runbook(alert string) []cog.Builder[dashboard.DashboardLink] {
	return []cog.Builder[dashboard.DashboardLink]{
		dashboard.NewDashboardLinkBuilder("Runbook: " + alert).Type(dashboard.DashboardLinkTypeLink).
			Url(strings.TrimSuffix(b.o.RunbookURL, "/") + "/docs/runbooks.md#" + strings.ToLower(alert)).TargetBlank(true),
	}
}

func (b *board) row(db *dashboardBuilder, title string) {
	db.WithRow(dashboard.NewRowBuilder(title).Id(b.nextID()))
}

func (b *board) timeseries(title, unit, description string) *timeseries.PanelBuilder {
	return timeseries.NewPanelBuilder().
		Id(b.nextID()).
		Title(title).
		Description(description).
		Datasource(dsRef()).
		Unit(unit).
		AxisSoftMin(0).
		Height(8).
		FillOpacity(10).
		LineWidth(1).
		ShowPoints(common.VisibilityModeNever).
		Legend(common.NewVizLegendOptionsBuilder().DisplayMode(common.LegendDisplayModeList).
			Placement(common.LegendPlacementBottom).ShowLegend(true)).
		Tooltip(common.NewVizTooltipOptionsBuilder().Mode(common.TooltipDisplayModeMulti).Sort(common.SortOrderDescending))
}

func (b *board) stat(title, unit, description string) *stat.PanelBuilder {
	return stat.NewPanelBuilder().
		Id(b.nextID()).
		Title(title).
		Description(description).
		Datasource(dsRef()).
		Unit(unit).
		Height(5).
		Span(6).
		GraphMode(common.BigValueGraphModeArea).
		ColorMode(common.BigValueColorModeValue).
		TextMode(common.BigValueTextModeAuto).
		ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"}).Values(false))
}

// --- Rows ---------------------------------------------------------------

func (b *board) overviewRow(db *dashboardBuilder) {
	o := b.o
	ratio5m := b.record("source:httpstatus_responses_5xx:ratio_rate5m")
	budget := b.facts.budget
	pct := func(f float64) string { return strconv.FormatFloat(f*100, 'f', -1, 64) + "%" }
	b.row(db, "Overview")
	db.WithPanel(b.stat("Requests per second", "reqps",
		"Responses per second read from the access logs of the selected sources, nodes and instances, all codes.").
		ColorMode(common.BigValueColorModeNone).
		Thresholds(thresholds("blue")).
		WithTarget(query("A", fmt.Sprintf("sum(rate(httpstatus_responses_total%s[$__rate_interval]))", b.raw()), "requests/s")))
	db.WithPanel(b.stat("Success ratio (not 5xx, 5m)", "percentunit",
		fmt.Sprintf("Share of responses that were not 5xx over 5 minutes, per source: 1 minus the record %s that "+
			"the alerts read (sums over every instance; the node and instance variables do not apply). "+
			"Red below %s (HTTPStatus5xxRatioHigh's threshold), yellow below the %s SLO.",
			ratio5m, pct(1-o.Ratio), pct(o.SLO))).
		Decimals(2).
		Min(0).Max(1).
		Thresholds(thresholds("red", step(1-o.Ratio, "yellow"), step(o.SLO, "green"))).
		ColorScheme(dashboard.NewFieldColorBuilder().Mode(dashboard.FieldColorModeIdThresholds)).
		WithTarget(query("A", fmt.Sprintf("1 - %s%s", ratio5m, b.rec()), b.legend("source"))))
	db.WithPanel(b.stat("5xx ratio (5m)", "percentunit",
		fmt.Sprintf("Share of 5xx responses over 5 minutes, per source: the record %s, the value "+
			"HTTPStatus5xxRatioHigh compares (sums over every instance). Red above %s (the alert, which also "+
			"needs %s request/s for %s), yellow above the error budget (%s).",
			ratio5m, pct(o.Ratio), strconv.FormatFloat(o.MinRate, 'f', -1, 64), shortDur(o.For), pct(budget))).
		Decimals(2).
		Min(0).
		Thresholds(thresholds("green", step(budget, "yellow"), step(o.Ratio, "red"))).
		ColorScheme(dashboard.NewFieldColorBuilder().Mode(dashboard.FieldColorModeIdThresholds)).
		Links(b.runbook("HTTPStatus5xxRatioHigh")).
		WithTarget(query("A", ratio5m+b.rec(), b.legend("source"))))
	gw := b.record("source:httpstatus_responses_gateway:ratio_rate5m")
	db.WithPanel(b.stat("Gateway share (5m)", "percentunit",
		fmt.Sprintf("Share of gateway-category responses (502 and 504 in the seed table) over 5 minutes, per source: "+
			"the record %s that HTTPStatusGatewayErrorsHigh compares. Red above %s.", gw, pct(o.GatewayRatio))).
		Decimals(2).
		Min(0).
		Thresholds(thresholds("green", step(o.GatewayRatio, "red"))).
		ColorScheme(dashboard.NewFieldColorBuilder().Mode(dashboard.FieldColorModeIdThresholds)).
		Links(b.runbook("HTTPStatusGatewayErrorsHigh")).
		WithTarget(query("A", gw+b.rec(), b.legend("source"))))
}

func (b *board) responsesRow(db *dashboardBuilder) {
	b.row(db, "Responses")
	db.WithPanel(b.timeseries("Request rate by source", "reqps",
		"Responses per second of each source, all codes.").
		Span(12).
		WithTarget(query("A", b.rateOf("httpstatus_responses_total", []string{"source"}), b.legend("source"))))

	cat := b.timeseries("Responses per second by category", "reqps",
		"Responses per second by the category the status table documents for their code, stacked: success, "+
			"client, auth, permission, not-found, server, gateway; undocumented codes fall back to informational, "+
			"success, redirect, client or server by class. Each category has one colour everywhere.").
		Span(12).
		FillOpacity(60).
		Stacking(common.NewStackingConfigBuilder().Mode(common.StackingModeNormal).Group("A")).
		WithTarget(query("A", b.rateOf("httpstatus_responses_total", []string{"category"}), "{{category}}"))
	for _, c := range categoryColors {
		cat = cat.OverrideByName(c.category, []dashboard.DynamicConfigValue{
			{Id: "color", Value: map[string]any{"mode": "fixed", "fixedColor": c.color}},
		})
	}
	db.WithPanel(cat)

	db.WithPanel(b.codesTable())

	db.WithPanel(b.timeseries("Gateway errors (502, 504)", "reqps",
		"Responses per second in the gateway category (502 and 504 in the seed table: an upstream failed or timed out), "+
			"by source and code. A user status table decides which codes are gateway errors.").
		Span(8).
		Links(b.runbook("HTTPStatusGatewayErrorsHigh")).
		WithTarget(query("A", b.rateOf("httpstatus_responses_total", []string{"source", "code"}, `category="gateway"`),
			b.legend("source", "code"))))
	db.WithPanel(b.timeseries("Auth and permission failures (401, 403)", "reqps",
		"Responses per second in the auth category (401: authentication failed) and the permission category "+
			"(403: no permission to access the resource), by source and code.").
		Span(8).
		WithTarget(query("A", b.rateOf("httpstatus_responses_total", []string{"source", "code"}, `category=~"auth|permission"`),
			b.legend("source", "code"))))
	db.WithPanel(b.timeseries("Not found (404)", "reqps",
		"Responses per second in the not-found category (404: the requested resource does not exist), by source.").
		Span(8).
		WithTarget(query("A", b.rateOf("httpstatus_responses_total", []string{"source"}, `category="not-found"`),
			b.legend("source"))))
}

// codesTable joins each code's rate with its meaning and category from
// httpstatus_code_info and adds its share of its source's responses.
func (b *board) codesTable() *table.PanelBuilder {
	info := fmt.Sprintf("max by (%s) (httpstatus_code_info%s)", b.by("source", "code", "category", "meaning"), b.raw())
	rates := b.rateOf("httpstatus_responses_total", []string{"source", "code"})
	exprA := fmt.Sprintf("%s\n* on (%s) group_left (category, meaning)\n%s", rates, b.by("source", "code"), info)
	exprB := fmt.Sprintf("%s\n/ on (%s) group_left ()\n%s", rates, b.by("source"),
		b.rateOf("httpstatus_responses_total", []string{"source"}))
	index := map[string]int{}
	for i, l := range append(slices.Clone(b.o.GroupBy), "source", "code", "meaning", "category", "Value #A", "Value #B") {
		index[l] = i
	}
	mappings := map[string]any{}
	for i, c := range categoryColors {
		mappings[c.category] = map[string]any{"color": c.color, "index": i}
	}
	return table.NewPanelBuilder().
		Id(b.nextID()).
		Title("Status codes: meaning, category, rate and share").
		Description("Every code of the selected sources with the meaning and category their status table documents "+
			"(joined from httpstatus_code_info), its responses per second now and its share of its source's responses. "+
			"Documented codes are listed from the exporter's start even at 0/s.").
		Datasource(dsRef()).
		Height(10).
		Span(24).
		WithTarget(tableQuery("A", exprA)).
		WithTarget(tableQuery("B", exprB)).
		// Both queries give one row per source and code: merge them into one
		// table, then name and order the columns.
		WithTransformation(dashboard.DataTransformerConfig{Id: "merge", Options: map[string]any{}}).
		WithTransformation(dashboard.DataTransformerConfig{Id: "organize", Options: map[string]any{
			"excludeByName": map[string]any{"Time": true},
			"indexByName":   index,
			"renameByName":  map[string]any{"Value #A": "Responses/s", "Value #B": "Share"},
		}}).
		SortBy([]cog.Builder[common.TableSortByFieldState]{
			common.NewTableSortByFieldStateBuilder().DisplayName("Responses/s").Desc(true),
		}).
		Filterable(true).
		Footer(common.NewTableFooterOptionsBuilder().Show(false).Reducer([]string{"sum"}).CountRows(false)).
		OverrideByName("Responses/s", []dashboard.DynamicConfigValue{
			{Id: "unit", Value: "reqps"},
			{Id: "decimals", Value: 2},
		}).
		OverrideByName("Share", []dashboard.DynamicConfigValue{
			{Id: "unit", Value: "percentunit"},
			{Id: "decimals", Value: 1},
			{Id: "min", Value: 0},
			{Id: "max", Value: 1},
			{Id: "custom.cellOptions", Value: map[string]any{"type": "gauge", "mode": "basic"}},
		}).
		OverrideByName("category", []dashboard.DynamicConfigValue{
			{Id: "mappings", Value: []any{map[string]any{"type": "value", "options": mappings}}},
			{Id: "custom.cellOptions", Value: map[string]any{"type": "color-text"}},
		})
}

func (b *board) budgetRow(db *dashboardBuilder) {
	o, f := b.o, b.facts
	b.row(db, fmt.Sprintf("Error budget (SLO %s%% not 5xx)", strconv.FormatFloat(o.SLO*100, 'f', -1, 64)))
	budget := strconv.FormatFloat(f.budget, 'f', -1, 64)
	// The longest window the budget alerts read is the period the
	// remaining budget is shown for.
	longest := f.burns[0].long
	for _, bu := range f.burns {
		if windowOrder(bu.long) > windowOrder(longest) {
			longest = bu.long
		}
	}
	ratio := func(w string) string { return b.record("source:httpstatus_responses_5xx:ratio_rate" + w) }
	db.WithPanel(b.timeseries(fmt.Sprintf("Error budget remaining (%s)", longest), "percentunit",
		fmt.Sprintf("Share of the error budget (%s of responses may be 5xx) left over the last %s, per source: "+
			"1 - %s / %s. At 0 the source spent its budget exactly at the pace the SLO allows (burn rate 1: "+
			"the slowest HTTPStatusErrorBudgetBurn rule's long window); below 0, faster.",
			budget, longest, ratio(longest), budget)).
		Span(8).
		// Soft: a budget overspent a hundredfold still shows, below -100%.
		AxisSoftMin(-1).AxisSoftMax(1).
		Thresholds(thresholds("red", step(0, "green"))).
		ThresholdsStyle(common.NewGraphThresholdsStyleConfigBuilder().Mode(common.GraphThresholdsStyleModeLine)).
		Links(b.runbook("HTTPStatusErrorBudgetBurn")).
		WithTarget(query("A", fmt.Sprintf("1 - %s%s / %s", ratio(longest), b.rec(), budget), b.legend("source"))))

	// One line per window an alert reads; the thresholds are the alerts'
	// burn factors.
	var windows []string
	var steps []dashboard.Threshold
	colors := map[string]string{"critical": "red", "warning": "orange"}
	for _, bu := range f.burns {
		for _, w := range []string{bu.long, bu.short} {
			if !slices.Contains(windows, w) {
				windows = append(windows, w)
			}
		}
		c := colors[bu.severity]
		if c == "" {
			c = "yellow"
		}
		steps = append(steps, step(bu.factor, c))
	}
	slices.SortFunc(windows, func(x, y string) int { return windowOrder(x) - windowOrder(y) })
	slices.SortFunc(steps, func(x, y dashboard.Threshold) int {
		switch {
		case *x.Value < *y.Value:
			return -1
		case *x.Value > *y.Value:
			return 1
		}
		return 0
	})
	var factors []string
	for _, bu := range f.burns {
		factors = append(factors, fmt.Sprintf("%s over %s and %s (%s)", strconv.FormatFloat(bu.factor, 'f', -1, 64), bu.long, bu.short, bu.severity))
	}
	burn := b.timeseries("Burn rate by window", "none",
		fmt.Sprintf("How fast each source spends its error budget: the 5xx ratio over each window the alerts read, "+
			"divided by the budget (%s). 1 spends it exactly in the SLO period. HTTPStatusErrorBudgetBurn fires "+
			"when both windows of a pair are above its factor: %s; the lines mark the factors.",
			budget, strings.Join(factors, ", "))).
		Span(16).
		Decimals(2).
		Thresholds(thresholds("transparent", steps...)).
		ThresholdsStyle(common.NewGraphThresholdsStyleConfigBuilder().Mode(common.GraphThresholdsStyleModeDashed)).
		Links(b.runbook("HTTPStatusErrorBudgetBurn"))
	for i, w := range windows {
		burn = burn.WithTarget(query(string(rune('A'+i)), fmt.Sprintf("%s%s / %s", ratio(w), b.rec(), budget),
			strings.TrimSpace(b.legend("source")+" "+w)))
	}
	db.WithPanel(burn)
}

// shortDur writes d as the rules do: 5m, 1h, 90s.
func shortDur(d time.Duration) string {
	switch {
	case d > 0 && d%time.Hour == 0:
		return strconv.FormatInt(int64(d/time.Hour), 10) + "h"
	case d > 0 && d%time.Minute == 0:
		return strconv.FormatInt(int64(d/time.Minute), 10) + "m"
	}
	return d.String()
}

// windowOrder orders the window names of the records (5m < 30m < 1h < 6h <
// 3d) by their length in minutes.
func windowOrder(w string) int {
	n, err := strconv.Atoi(w[:len(w)-1])
	if err != nil {
		return 0
	}
	switch w[len(w)-1] {
	case 'h':
		n *= 60
	case 'd':
		n *= 24 * 60
	case 's':
		n = 0
	}
	return n
}

func (b *board) healthRow(db *dashboardBuilder) {
	o := b.o
	b.row(db, "Exporter health")
	db.WithPanel(b.timeseries("Lines read per second", "short",
		"Lines read from the followed files per second, parsed or not, by source.").
		Span(8).
		WithTarget(query("A", b.rateOf("httpstatus_lines_read_total", []string{"source"}), b.legend("source"))))
	db.WithPanel(b.timeseries("Unparsed lines by reason", "short",
		"Lines per second without a valid status, by source and reason: empty, no_match (not an access line in "+
			"this format), bad_status (-, 000, 2000), too_long. Their responses are not counted.").
		Span(8).
		WithTarget(query("A", b.rateOf("httpstatus_lines_unparsed_total", []string{"source", "reason"}), b.legend("source", "reason"))))
	unparsed := b.record("source:httpstatus_lines_unparsed:ratio_rate15m")
	db.WithPanel(b.timeseries("Unparsed share (15m)", "percentunit",
		fmt.Sprintf("Share of lines that did not parse over 15 minutes, per source: the record %s that "+
			"HTTPStatusUnparsedLinesHigh compares with %s (the line).", unparsed,
			strconv.FormatFloat(o.UnparsedRatio*100, 'f', -1, 64)+"%")).
		Span(8).
		// The alert's line stays in sight while the share is far below it.
		AxisSoftMax(2 * o.UnparsedRatio).
		Thresholds(thresholds("transparent", step(o.UnparsedRatio, "red"))).
		ThresholdsStyle(common.NewGraphThresholdsStyleConfigBuilder().Mode(common.GraphThresholdsStyleModeDashed)).
		Links(b.runbook("HTTPStatusUnparsedLinesHigh")).
		WithTarget(query("A", unparsed+b.rec(), b.legend("source"))))

	db.WithPanel(b.timeseries("Unread bytes (backlog)", "bytes",
		"File sizes minus read positions, by source and instance: what is written but not read yet. "+
			"It grows when the exporter cannot keep up or is throttled.").
		Span(8).
		WithTarget(query("A", fmt.Sprintf("sum by (%s) (httpstatus_unread_bytes%s)", b.by("source", "instance"), b.raw()),
			b.legend("source", "instance"))))
	db.WithPanel(b.timeseries("Rotations", "short",
		"Rotations found per interval, by source and kind: rename (logrotate's create, a switched symlink), "+
			"truncate (copytruncate), delete.").
		Span(8).
		DrawStyle(common.GraphDrawStyleBars).
		FillOpacity(80).
		WithTarget(query("A", fmt.Sprintf("sum by (%s) (increase(httpstatus_rotations_total%s[$__rate_interval]))",
			b.by("source", "kind"), b.raw()), b.legend("source", "kind"))))
	db.WithPanel(b.timeseries("Errors by reason", "short",
		"Failures per second while following files or keeping the checkpoint, by source and reason: open, read, "+
			"stat, not_regular, watch, checkpoint_read, checkpoint_write.").
		Span(8).
		WithTarget(query("A", b.rateOf("httpstatus_errors_total", []string{"source", "reason"}), b.legend("source", "reason"))))

	db.WithPanel(b.timeseries("Files followed", "short",
		"Files open now, by source and instance, rotated files still being drained included. 0 means no file "+
			"matches the source's paths on that node.").
		Span(8).
		Decimals(0).
		WithTarget(query("A", fmt.Sprintf("sum by (%s) (httpstatus_files_followed%s)", b.by("source", "instance"), b.raw()),
			b.legend("source", "instance"))))
	db.WithPanel(b.timeseries("Time since a line was last read", "s",
		"Seconds since each instance last read a line of each source (none before its first line): a quiet "+
			"service, logs that go elsewhere now, or a stuck exporter (compare the backlog).").
		Span(8).
		WithTarget(query("A", fmt.Sprintf("time() - (max by (%s) (httpstatus_last_read_timestamp_seconds%s) > 0)",
			b.by("source", "instance"), b.raw()), b.legend("source", "instance"))))
	up := fmt.Sprintf("up{%s}", b.matchers(false, false, jobVar, nodeVar, instanceVar))
	db.WithPanel(b.stat("Exporters up and down", "none",
		"Scrape targets of the job that answered Prometheus's last scrape (up) and those that did not (down, "+
			"red from 1: HTTPStatusExporterDown fires after 5 minutes).").
		Span(8).
		Height(8).
		GraphMode(common.BigValueGraphModeNone).
		TextMode(common.BigValueTextModeValueAndName).
		ColorMode(common.BigValueColorModeValue).
		Decimals(0).
		Thresholds(thresholds("green")).
		Links(b.runbook("HTTPStatusExporterDown")).
		WithTarget(query("A", fmt.Sprintf("sum(%s)", up), "up")).
		WithTarget(query("B", fmt.Sprintf("count(%s == 0) or vector(0)", up), "down")).
		OverrideByQuery("B", []dashboard.DynamicConfigValue{
			{Id: "thresholds", Value: map[string]any{"mode": "absolute", "steps": []any{
				map[string]any{"color": "green", "value": nil}, map[string]any{"color": "red", "value": 1},
			}}},
		}))
}

// alertAnnotation marks when the shipped rules' alerts fired. Each label
// matcher also matches an empty label: an alert about a source has no
// instance, HTTPStatusExporterDown has no source.
func (b *board) alertAnnotation() *dashboard.AnnotationQueryBuilder {
	expr := fmt.Sprintf(`ALERTS{alertname=~"HTTPStatus.*", alertstate="firing", %s}`,
		b.matchers(false, true, sourceVar, nodeVar, instanceVar))
	if len(b.o.GroupBy) > 0 {
		var gb []string
		for _, l := range b.o.GroupBy {
			gb = append(gb, fmt.Sprintf(`%s=~"$%s|"`, l, l))
		}
		expr = strings.TrimSuffix(expr, "}") + ", " + strings.Join(gb, ", ") + "}"
	}
	return dashboard.NewAnnotationQueryBuilder().
		Name("Firing alerts").
		Datasource(dsRef()).
		Enable(true).
		IconColor("red").
		Expr(expr).
		Step("30s").
		TitleFormat("{{alertname}}").
		TextFormat("{{alertname}} ({{severity}}) {{source}} {{instance}}").
		TagKeys("severity,source").
		UseValueForTime(false)
}
