package exporter

import (
	"context"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// FileStatus is the health of one followed file, for the status page.
type FileStatus struct {
	Source   string
	Path     string
	Offset   int64 // bytes counted
	Size     int64
	LastRead time.Time // zero before the first line
	Draining bool      // rotated away, read until quiet
}

// Unread is what the file holds beyond what was counted.
func (f FileStatus) Unread() int64 { return max(0, f.Size-f.Offset) }

// statusPage renders /status: per source, the codes seen with meaning,
// category, count and rate over the last minute, and the followed files.
// Counts come from the registry (a gather), so the page shows exactly what a
// scrape would; the rate compares with a gather kept from about a minute ago.
type statusPage struct {
	gatherer prometheus.Gatherer
	files    func() []FileStatus
	version  string

	mu      sync.Mutex
	history []statusSample // oldest first, one every sampleEvery, at most a minute and a bit
}

type statusSample struct {
	at     time.Time
	counts map[string]float64 // source/code -> count
}

const sampleEvery = 5 * time.Second

// run samples the counters until ctx ends, so the page has a rate at once.
func (p *statusPage) run(ctx context.Context) {
	tick := time.NewTicker(sampleEvery)
	defer tick.Stop()
	for {
		p.sample()
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

func (p *statusPage) sample() {
	rows, _ := p.rows()
	counts := map[string]float64{}
	for _, r := range rows {
		counts[r.Source+"/"+r.Code] = r.Count
	}
	now := time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.history = append(p.history, statusSample{at: now, counts: counts})
	for len(p.history) > 2 && now.Sub(p.history[1].at) >= time.Minute {
		p.history = p.history[1:]
	}
}

type statusRow struct {
	Source, Code, Category, Meaning string
	Count, Rate, Share              float64
}

// rows reads responses_total and code_info from the registry.
func (p *statusPage) rows() ([]statusRow, error) {
	mfs, err := p.gatherer.Gather()
	if err != nil {
		return nil, err
	}
	meanings := map[string]string{}
	byKey := map[string]*statusRow{}
	for _, mf := range mfs {
		switch mf.GetName() {
		case "httpstatus_code_info":
			for _, m := range mf.GetMetric() {
				meanings[label(m, "source")+"/"+label(m, "code")] = label(m, "meaning")
			}
		case "httpstatus_responses_total":
			for _, m := range mf.GetMetric() {
				key := label(m, "source") + "/" + label(m, "code")
				r := byKey[key]
				if r == nil {
					r = &statusRow{Source: label(m, "source"), Code: label(m, "code"), Category: label(m, "category")}
					byKey[key] = r
				}
				r.Count += m.GetCounter().GetValue() // summed over optional labels
			}
		}
	}
	rows := make([]statusRow, 0, len(byKey))
	for key, r := range byKey {
		r.Meaning = meanings[key]
		rows = append(rows, *r)
	}
	slices.SortFunc(rows, func(a, b statusRow) int {
		if a.Source != b.Source {
			if a.Source < b.Source {
				return -1
			}
			return 1
		}
		x, _ := strconv.Atoi(a.Code)
		y, _ := strconv.Atoi(b.Code)
		return x - y
	})
	return rows, nil
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

type statusSource struct {
	Name  string
	Rows  []statusRow
	Total float64
	Rate  float64
	Files []FileStatus
}

func (p *statusPage) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	rows, err := p.rows()
	if err != nil {
		http.Error(w, "gathering metrics: "+err.Error(), http.StatusInternalServerError)
		return
	}
	now := time.Now()
	p.mu.Lock()
	var past statusSample
	if len(p.history) > 0 {
		past = p.history[0]
	}
	p.mu.Unlock()
	window := now.Sub(past.at).Seconds()

	bySource := map[string]*statusSource{}
	var sources []*statusSource
	get := func(name string) *statusSource {
		s := bySource[name]
		if s == nil {
			s = &statusSource{Name: name}
			bySource[name] = s
			sources = append(sources, s)
		}
		return s
	}
	for _, r := range rows {
		if past.counts != nil && window > 0 {
			r.Rate = (r.Count - past.counts[r.Source+"/"+r.Code]) / window
		}
		s := get(r.Source)
		s.Rows = append(s.Rows, r)
		s.Total += r.Count
		s.Rate += r.Rate
	}
	for _, s := range sources {
		for i := range s.Rows {
			if s.Total > 0 {
				s.Rows[i].Share = s.Rows[i].Count / s.Total
			}
		}
	}
	if p.files != nil {
		for _, f := range p.files() {
			s := get(f.Source)
			s.Files = append(s.Files, f)
		}
	}
	slices.SortFunc(sources, func(a, b *statusSource) int {
		if a.Name < b.Name {
			return -1
		}
		if a.Name > b.Name {
			return 1
		}
		return 0
	})
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = statusTemplate.Execute(w, map[string]any{
		"Sources": sources, "Version": p.version, "Now": now.UTC().Format(time.RFC3339),
		"Window": int(window + 0.5),
	})
}

var statusTemplate = template.Must(template.New("status").Funcs(template.FuncMap{
	"pct":   func(f float64) string { return strconv.FormatFloat(100*f, 'f', 1, 64) + "%" },
	"rate":  func(f float64) string { return strconv.FormatFloat(f, 'f', 2, 64) },
	"count": func(f float64) string { return strconv.FormatFloat(f, 'f', 0, 64) },
	"ago": func(t time.Time) string {
		if t.IsZero() {
			return "never"
		}
		return time.Since(t).Round(time.Second).String() + " ago"
	},
}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="10">
<title>httpstatus-exporter status</title>
<style>
body { font-family: system-ui, sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 1.6em; }
table { border-collapse: collapse; margin: .5em 0; } th, td { padding: .25em .8em; border-bottom: 1px solid #ddd; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.success { color: #1a7f37; } .redirect, .informational { color: #555; } .client, .not-found { color: #9a6700; }
.auth, .permission { color: #bc4c00; } .server { color: #cf222e; font-weight: 600; } .gateway { color: #8250df; font-weight: 600; }
.muted { color: #666; font-size: .9em; }
</style></head><body>
<h1>httpstatus-exporter status</h1>
<p class="muted">version {{.Version}} · {{.Now}} · rates over the last {{.Window}} s · <a href="/metrics">metrics</a> · refreshes every 10 s</p>
{{range .Sources}}
<h2 id="source-{{.Name}}">source {{.Name}}: {{count .Total}} responses, {{rate .Rate}}/s</h2>
<table><thead><tr><th>code</th><th>category</th><th>meaning</th><th>count</th><th>rate /s</th><th>share</th></tr></thead><tbody>
{{range .Rows}}<tr class="{{.Category}}"><td>{{.Code}}</td><td>{{.Category}}</td><td>{{.Meaning}}</td><td class="n">{{count .Count}}</td><td class="n">{{rate .Rate}}</td><td class="n">{{pct .Share}}</td></tr>
{{end}}</tbody></table>
<table><thead><tr><th>file</th><th>position</th><th>unread bytes</th><th>last read</th><th></th></tr></thead><tbody>
{{range .Files}}<tr><td>{{.Path}}</td><td class="n">{{.Offset}}</td><td class="n">{{.Unread}}</td><td>{{ago .LastRead}}</td><td>{{if .Draining}}rotated, draining{{end}}</td></tr>
{{else}}<tr><td colspan="5" class="muted">no file followed</td></tr>
{{end}}</tbody></table>
{{else}}<p>No source yet.</p>{{end}}
</body></html>
`))
