package exporter

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/httpstatus-exporter/httpstatus-exporter/classify"
	"github.com/httpstatus-exporter/httpstatus-exporter/tailer"
)

func newTestSource(t testing.TB, lang string) (*prometheus.Registry, *Source) {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	m, err := NewMetrics(reg, BuildInfo{Version: "1.2.3", Revision: "abc", GoVersion: "go1.26"})
	if err != nil {
		t.Fatal(err)
	}
	table, err := classify.Default()
	if err != nil {
		t.Fatal(err)
	}
	s, err := m.NewSource(SourceOptions{Name: "web", Format: "combined", Table: table, Lang: lang, MaxLineBytes: 300})
	if err != nil {
		t.Fatal(err)
	}
	return reg, s
}

func line(code string) string {
	return `192.0.2.1 - - [26/Nov/2026:10:00:00 +0000] "GET /api/v1/tasks HTTP/1.1" ` + code + ` 512 "-" "curl/8.0"` + "\n"
}

func TestSeriesAtStartUp(t *testing.T) {
	reg, _ := newTestSource(t, "en")
	// Every documented code at 0, with its meaning, before any line.
	want := `
# HELP httpstatus_responses_total HTTP responses read from access logs, by status code and its documented category.
# TYPE httpstatus_responses_total counter
httpstatus_responses_total{category="auth",code="401",source="web"} 0
httpstatus_responses_total{category="client",code="400",source="web"} 0
httpstatus_responses_total{category="gateway",code="502",source="web"} 0
httpstatus_responses_total{category="gateway",code="504",source="web"} 0
httpstatus_responses_total{category="not-found",code="404",source="web"} 0
httpstatus_responses_total{category="permission",code="403",source="web"} 0
httpstatus_responses_total{category="server",code="500",source="web"} 0
httpstatus_responses_total{category="server",code="501",source="web"} 0
httpstatus_responses_total{category="server",code="503",source="web"} 0
httpstatus_responses_total{category="success",code="200",source="web"} 0
httpstatus_responses_total{category="success",code="201",source="web"} 0
# HELP httpstatus_exporter_build_info The exporter's version, revision and Go version (always 1).
# TYPE httpstatus_exporter_build_info gauge
httpstatus_exporter_build_info{goversion="go1.26",revision="abc",version="1.2.3"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "httpstatus_responses_total", "httpstatus_exporter_build_info"); err != nil {
		t.Error(err)
	}
	n, err := testutil.GatherAndCount(reg, "httpstatus_code_info")
	if err != nil || n != 11 {
		t.Errorf("code_info series = %d, %v; want 11", n, err)
	}
}

func TestCountsAndLint(t *testing.T) {
	reg, s := newTestSource(t, "zh")
	fh := s.Open("access.log")
	block := line("200") + line("200") + line("503") + line("302") + "\n" + line("-") + line("2000") +
		"[Thu Oct 13 12:24:49 2022] [error] not an access line\n" + strings.Repeat("x", 400) + "\n"
	fh.Lines([]byte(block))
	fh.TooLong()
	s.Rotated(tailer.RotationRename)
	s.Error(tailer.ErrOpen, "/x", errors.New("denied"))
	s.Progress(3, 1234)

	want := `
# HELP httpstatus_lines_read_total Lines read from access logs, parsed or not.
# TYPE httpstatus_lines_read_total counter
httpstatus_lines_read_total{source="web"} 10
# HELP httpstatus_lines_unparsed_total Lines read that gave no valid status (100-599), by reason.
# TYPE httpstatus_lines_unparsed_total counter
httpstatus_lines_unparsed_total{reason="bad_status",source="web"} 2
httpstatus_lines_unparsed_total{reason="empty",source="web"} 1
httpstatus_lines_unparsed_total{reason="header",source="web"} 0
httpstatus_lines_unparsed_total{reason="no_match",source="web"} 1
httpstatus_lines_unparsed_total{reason="too_long",source="web"} 2
# HELP httpstatus_files_followed Files being read now, rotated files still draining included.
# TYPE httpstatus_files_followed gauge
httpstatus_files_followed{source="web"} 3
# HELP httpstatus_unread_bytes Bytes in followed files not read yet (file sizes minus read positions).
# TYPE httpstatus_unread_bytes gauge
httpstatus_unread_bytes{source="web"} 1234
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want),
		"httpstatus_lines_read_total", "httpstatus_lines_unparsed_total", "httpstatus_files_followed", "httpstatus_unread_bytes"); err != nil {
		t.Error(err)
	}
	for _, c := range []struct {
		code, category string
		want           float64
	}{{"200", "success", 2}, {"503", "server", 1}, {"302", "redirect", 1}, {"404", "not-found", 0}} {
		m, err := s.m.responses.GetMetricWithLabelValues("web", c.code, c.category)
		if err != nil {
			t.Fatal(err)
		}
		if got := testutil.ToFloat64(m); got != c.want {
			t.Errorf("responses{code=%s} = %v, want %v", c.code, got, c.want)
		}
	}
	// The undocumented 302 got its fallback meaning, in the chosen language.
	info, err := s.m.codeInfo.GetMetricWithLabelValues("web", "302", "redirect", "未记录的 3xx：重定向")
	if err != nil || testutil.ToFloat64(info) != 1 {
		t.Errorf("code_info for 302 missing: %v", err)
	}
	if got := testutil.ToFloat64(s.m.readBytes.WithLabelValues("web")); got != float64(len(block)) {
		t.Errorf("read_bytes = %v, want %d", got, len(block))
	}
	if got := testutil.ToFloat64(s.m.rotations.WithLabelValues("web", "rename")); got != 1 {
		t.Errorf("rotations{rename} = %v, want 1", got)
	}
	if got := testutil.ToFloat64(s.m.errors.WithLabelValues("web", "open")); got != 1 {
		t.Errorf("errors{open} = %v, want 1", got)
	}
	problems, err := testutil.GatherAndLint(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
}

func TestSeriesBounded(t *testing.T) {
	// Whatever the logs hold, responses_total has at most one series per
	// code 100-599: label values never come raw from a line.
	reg, s := newTestSource(t, "en")
	fh := s.Open("access.log")
	var b bytes.Buffer
	for code := 0; code < 1200; code++ {
		b.WriteString(line(fmt.Sprintf("%03d", code)))
	}
	b.WriteString(line("20x") + line("abc") + line("-1"))
	fh.Lines(b.Bytes())
	n, err := testutil.GatherAndCount(reg, "httpstatus_responses_total")
	if err != nil {
		t.Fatal(err)
	}
	if n != 500 {
		t.Errorf("responses_total series = %d, want 500 (codes 100-599)", n)
	}
	if s.Totals.Lines != 1203 {
		t.Errorf("lines = %d, want 1203", s.Totals.Lines)
	}
}

func TestLinesDoesNotAllocate(t *testing.T) {
	_, s := newTestSource(t, "en")
	fh := s.Open("access.log")
	block := []byte(strings.Repeat(line("200")+line("404")+line("502")+"garbage\n", 64))
	fh.Lines(block) // first sight of each code resolves its series once
	if n := testing.AllocsPerRun(100, func() { fh.Lines(block) }); n != 0 {
		t.Errorf("Lines allocates %v times per block, want 0", n)
	}
}

func TestUnknownFormat(t *testing.T) {
	m, err := NewMetrics(prometheus.NewRegistry(), BuildInfo{})
	if err != nil {
		t.Fatal(err)
	}
	table, _ := classify.Default()
	if _, err := m.NewSource(SourceOptions{Name: "x", Format: "nonsense", Table: table}); err == nil {
		t.Error("NewSource accepted an unknown format")
	}
	if _, err := m.NewSource(SourceOptions{Name: "x", Format: "combined"}); err == nil {
		t.Error("NewSource accepted a source without a table")
	}
}
