package exporter

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"

	"github.com/httpstatus-exporter/httpstatus-exporter/classify"
)

func TestParsePodLogPath(t *testing.T) {
	for _, c := range []struct {
		path string
		want podLog
		ok   bool
	}{
		{"/var/log/pods/ingress-nginx_ingress-nginx-controller-7d9f_0f1e2d3c/controller/0.log", podLog{"ingress-nginx", "controller"}, true},
		{"/var/log/pods/shop_web-5c6b_uid/nginx/3.log.20261126-101010", podLog{"shop", "nginx"}, true},
		{"/var/log/containers/web-5c6b_shop_nginx-0123456789abcdef.log", podLog{"shop", "nginx"}, true},
		{"/var/log/containers/a_b_my-side-car-0123abcd.log", podLog{"b", "my-side-car"}, true},
		{"/var/log/nginx/access.log", podLog{}, false},
		{"/var/log/pods/notapoddir/c/0.log", podLog{}, false},
	} {
		got, ok := parsePodLogPath(c.path)
		if got != c.want || ok != c.ok {
			t.Errorf("parsePodLogPath(%q) = %+v, %v; want %+v, %v", c.path, got, ok, c.want, c.ok)
		}
	}
}

func TestMethodIndex(t *testing.T) {
	for _, m := range knownMethods {
		if got := methodName(methodIndex([]byte(m))); got != m {
			t.Errorf("method %s -> %s", m, got)
		}
	}
	for _, m := range []string{"", "get", "PROPFIND", "G3T", "\x16\x03"} {
		if got := methodName(methodIndex([]byte(m))); got != "OTHER" {
			t.Errorf("method %q -> %s, want OTHER", m, got)
		}
	}
	if n := testing.AllocsPerRun(100, func() { methodIndex([]byte("DELETE")) }); n != 0 {
		t.Errorf("methodIndex allocates %v", n)
	}
	if nUpstreams != len(classify.Categories())+1 {
		t.Errorf("nUpstreams = %d, want %d", nUpstreams, len(classify.Categories())+1)
	}
}

func TestLabelsValidate(t *testing.T) {
	for _, bad := range []map[string]string{
		{"code": "x"}, {"job": "x"}, {"__name__": "x"}, {"1abc": "x"}, {"team-name": "x"}, {"team": ""},
	} {
		if err := (Labels{Static: bad}).Validate(); err == nil {
			t.Errorf("static %v accepted", bad)
		}
	}
	if err := (Labels{Static: map[string]string{"team": "payments", "cluster": "eu"}}).Validate(); err != nil {
		t.Error(err)
	}
	got := ExtraLabelNames(Labels{Method: true, Static: map[string]string{"team": "a"}},
		Labels{Container: true, Namespace: true, Static: map[string]string{"cluster": "b", "team": "c"}})
	want := []string{"method", "namespace", "container", "cluster", "team"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ExtraLabelNames (-want +got):\n%s", diff)
	}
}

func TestExtraLabels(t *testing.T) {
	// Two sources on one registry: one with method and static labels, one
	// with pod labels. Every series carries the union of label names; a
	// source leaves the others empty.
	reg := prometheus.NewPedanticRegistry()
	web := Labels{Method: true, Static: map[string]string{"team": "payments"}}
	pods := Labels{Namespace: true, Container: true}
	m, err := NewMetrics(reg, BuildInfo{}, ExtraLabelNames(web, pods)...)
	if err != nil {
		t.Fatal(err)
	}
	table, _ := classify.Default()
	sw, err := m.NewSource(SourceOptions{Name: "web", Format: "combined", Table: table, Lang: "en", Labels: web})
	if err != nil {
		t.Fatal(err)
	}
	sp, err := m.NewSource(SourceOptions{Name: "ingress", Format: "combined", Table: table, Lang: "en", Labels: pods})
	if err != nil {
		t.Fatal(err)
	}
	req := func(method, code string) string {
		return `192.0.2.1 - - [26/Nov/2026:10:00:00 +0000] "` + method + ` /x HTTP/1.1" ` + code + ` 1 "-" "-"` + "\n"
	}
	sw.Open("/var/log/nginx/access.log").Lines([]byte(req("GET", "200") + req("GET", "200") + req("POST", "503") + req("PROPFIND", "200") + req("BREW", "418")))
	sp.Open("/var/log/pods/shop_web-1_uid/nginx/0.log").Lines([]byte(req("GET", "502")))
	sp.Open("/var/log/pods/pay_api-1_uid/envoy/0.log").Lines([]byte(req("GET", "502") + req("GET", "200")))

	want := `
# HELP httpstatus_responses_total HTTP responses read from access logs, by status code and its documented category.
# TYPE httpstatus_responses_total counter
httpstatus_responses_total{category="client",code="418",container="",method="OTHER",namespace="",source="web",team="payments"} 1
httpstatus_responses_total{category="gateway",code="502",container="envoy",method="",namespace="pay",source="ingress",team=""} 1
httpstatus_responses_total{category="gateway",code="502",container="nginx",method="",namespace="shop",source="ingress",team=""} 1
httpstatus_responses_total{category="server",code="503",container="",method="POST",namespace="",source="web",team="payments"} 1
httpstatus_responses_total{category="success",code="200",container="",method="GET",namespace="",source="web",team="payments"} 2
httpstatus_responses_total{category="success",code="200",container="",method="OTHER",namespace="",source="web",team="payments"} 1
httpstatus_responses_total{category="success",code="200",container="envoy",method="",namespace="pay",source="ingress",team=""} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "httpstatus_responses_total"); err != nil {
		t.Error(err)
	}
	if sw.Totals.ByCode[200] != 3 || sp.Totals.ByCode[502] != 2 {
		t.Errorf("totals: web 200 = %d, ingress 502 = %d", sw.Totals.ByCode[200], sp.Totals.ByCode[502])
	}
	// code_info still has every documented code of each source, without the extras.
	if n, _ := testutil.GatherAndCount(reg, "httpstatus_code_info"); n != 2*11+1 {
		t.Errorf("code_info series = %d, want 23 (11 a source, plus 418)", n)
	}
	if n, _ := testutil.GatherAndCount(reg, "httpstatus_log_format_info"); n != 2 {
		t.Errorf("log_format_info series = %d, want 2", n)
	}
	problems, err := testutil.GatherAndLint(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
}

func TestUndeclaredLabelRefused(t *testing.T) {
	m, err := NewMetrics(prometheus.NewRegistry(), BuildInfo{})
	if err != nil {
		t.Fatal(err)
	}
	table, _ := classify.Default()
	if _, err := m.NewSource(SourceOptions{Name: "x", Format: "combined", Table: table, Labels: Labels{Method: true}}); err == nil {
		t.Error("a source with a label NewMetrics was not told of was accepted")
	}
}

func TestExtraLabelsDoNotAllocate(t *testing.T) {
	m, err := NewMetrics(prometheus.NewRegistry(), BuildInfo{}, "method", "upstream_category")
	if err != nil {
		t.Fatal(err)
	}
	table, _ := classify.Default()
	s, err := m.NewSource(SourceOptions{Name: "x", Format: "combined", Table: table, Labels: Labels{Method: true, UpstreamCategory: true}})
	if err != nil {
		t.Fatal(err)
	}
	fh := s.Open("access.log")
	block := []byte(strings.Repeat(line("200")+line("404")+strings.Replace(line("502"), "GET", "POST", 1), 64))
	fh.Lines(block)
	if n := testing.AllocsPerRun(100, func() { fh.Lines(block) }); n != 0 {
		t.Errorf("Lines with per-line labels allocates %v times per block, want 0", n)
	}
}

func TestUpstreamCategoryAndDurations(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	labels := Labels{UpstreamCategory: true}
	m, err := NewMetrics(reg, BuildInfo{}, ExtraLabelNames(labels)...)
	if err != nil {
		t.Fatal(err)
	}
	table, _ := classify.Default()
	s, err := m.NewSource(SourceOptions{Name: "ingress", Format: "ingress_nginx", Table: table, Lang: "en",
		Labels: labels, DurationHistogram: true})
	if err != nil {
		t.Fatal(err)
	}
	// ingress-nginx's format: ... request_length request_time [upstream] [alt]
	// upstream_addr upstream_response_length upstream_response_time
	// upstream_status req_id. A retried upstream logs a list; the last answer
	// counts.
	ing := func(status, reqTime, upstream string) string {
		return `192.168.64.1 - - [07/Feb/2020:11:48:51 +0000] "GET /products HTTP/1.1" ` + status +
			` 59 "-" "curl/7.54.0" 89 ` + reqTime + ` [default-web-8080] [] 172.17.0.5:8080 59 0.000 ` + upstream + " 529a007902362a5f51385a5fa7049884\n"
	}
	s.Open("/var/log/ingress.log").Lines([]byte(
		ing("200", "0.020", "200") + ing("502", "1.500", "502") + ing("200", "0.300", "502, 200") + ing("503", "0.001", "-")))
	want := `
# HELP httpstatus_responses_total HTTP responses read from access logs, by status code and its documented category.
# TYPE httpstatus_responses_total counter
httpstatus_responses_total{category="gateway",code="502",source="ingress",upstream_category="gateway"} 1
httpstatus_responses_total{category="server",code="503",source="ingress",upstream_category="none"} 1
httpstatus_responses_total{category="success",code="200",source="ingress",upstream_category="success"} 2
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "httpstatus_responses_total"); err != nil {
		t.Error(err)
	}
	block := []byte(strings.Repeat(ing("200", "0.020", "502, 200")+ing("504", "9.000", "504"), 32))
	fh := s.Open("/var/log/ingress2.log")
	fh.Lines(block)
	if n := testing.AllocsPerRun(50, func() { fh.Lines(block) }); n != 0 {
		t.Errorf("Lines with upstream labels and durations allocates %v times per block, want 0", n)
	}
	s.m.responses.Reset()
	s.m.durations.Reset()
	s2, err := m.NewSource(SourceOptions{Name: "ingress2", Format: "ingress_nginx", Table: table, Lang: "en",
		Labels: labels, DurationHistogram: true})
	if err != nil {
		t.Fatal(err)
	}
	s = s2
	s.Open("/var/log/ingress.log").Lines([]byte(
		ing("200", "0.020", "200") + ing("502", "1.500", "502") + ing("200", "0.300", "502, 200") + ing("503", "0.001", "-")))
	want = strings.ReplaceAll(want, `source="ingress"`, `source="ingress2"`)
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "httpstatus_responses_total"); err != nil {
		t.Error(err)
	}
	// Durations by category: two successes (0.020 s, 0.300 s), one gateway, one server.
	n, err := testutil.GatherAndCount(reg, "httpstatus_request_duration_seconds")
	if err != nil || n != 3 {
		t.Fatalf("duration series = %d, %v; want 3", n, err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "httpstatus_request_duration_seconds" {
			continue
		}
		for _, met := range mf.GetMetric() {
			if labelOf(met, "category") == "success" {
				h := met.GetHistogram()
				if h.GetSampleCount() != 2 || h.GetSampleSum() < 0.319 || h.GetSampleSum() > 0.321 {
					t.Errorf("success durations: count %d sum %v, want 2 and 0.32", h.GetSampleCount(), h.GetSampleSum())
				}
			}
		}
	}
}

func labelOf(m interface {
	GetLabel() []*dto.LabelPair
}, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}
