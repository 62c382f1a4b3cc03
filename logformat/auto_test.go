package logformat

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestAutoFormats gives auto the first lines of each format and checks what
// it decides, and the reasons of the lines before it decides.
func TestAutoFormats(t *testing.T) {
	const (
		combined = `1.2.3.4 - - [10/Oct/2023:10:22:41 +0200] "GET / HTTP/1.1" 200 157 "-" "x"`
		ingress  = `192.168.64.1 - - [07/Feb/2020:11:48:51 +0000] "POST /products HTTP/1.1" 200 59 "-" "curl/7.54.0" 89 0.001 [default-web-8080] [] 172.17.0.5:8080 59 0.000 200 529a007902362a5f51385a5fa7049884`
	)
	tests := []struct {
		name  string
		lines []string
		want  []Reason // per line
		names []string // Name() after each line
	}{
		{"json", []string{`{"status":"ok"}`, `{"time":"2024-01-01T00:00:00Z","status":200}`},
			[]Reason{ReasonNoMatch, ReasonNone}, []string{"auto", "json"}},
		{"logfmt", []string{`level=info msg=started`, `level=info status=200 method=GET`},
			[]Reason{ReasonNoMatch, ReasonNone}, []string{"auto", "logfmt"}},
		{"caddy after status 0", []string{`{"logger":"http.log.access","status":0}`, `{"logger":"http.log.access.x","status":502}`},
			[]Reason{ReasonBadStatus, ReasonNone}, []string{"auto", "caddy"}},
		{"traefik_json", []string{`{"DownstreamStatus":200,"RequestHost":"x"}`}, []Reason{ReasonNone}, []string{"traefik_json"}},
		{"envoy", []string{`[2016-04-15T20:17:00.310Z] "GET / HTTP/1.1" 0 DC 0 0 5 - "-" "curl" "id" "x" "-"`, `[2016-04-15T20:17:00.310Z] "GET / HTTP/1.1" 200 - 0 0 5 - "-" "curl" "id" "x" "-"`},
			[]Reason{ReasonBadStatus, ReasonNone}, []string{"auto", "envoy"}},
		{"alb", []string{`h2 2018-07-02T22:23:00.186641Z app/x/y 1.2.3.4:1 10.0.0.66:9000 0.000 0.002 0.000 200 200 5 257 "GET https://x:773/ HTTP/2.0" "curl"`},
			[]Reason{ReasonNone}, []string{"alb"}},
		{"haproxy", []string{`Feb 25 16:19:38 192.168.4.2 haproxy[1]: Proxy prod_http_in started.`, `1.2.3.4:1 [10/Dec/2018:12:01:46.395] fe be/s 0/0/0/1/1 200 1 - - ---- 1/1/0/0/0 0/0 "GET / HTTP/1.1"`},
			[]Reason{ReasonNoMatch, ReasonNone}, []string{"auto", "haproxy"}},
		{"iis decided by its header", []string{"#Software: Microsoft Internet Information Services 10.0", "", "#Fields: date time sc-status", "2024-01-01 00:00:00 200"},
			[]Reason{ReasonHeader, ReasonEmpty, ReasonHeader, ReasonNone}, []string{"auto", "auto", "iis", "iis"}},
		{"cloudfront header", []string{"#Version: 1.0", "#Fields: date time x-edge-location sc-status", "2024-01-01\t00:00:00\tLAX\t200"},
			[]Reason{ReasonHeader, ReasonHeader, ReasonNone}, []string{"auto", "cloudfront", "cloudfront"}},
		{"ingress", []string{ingress, combined}, []Reason{ReasonNone, ReasonNone}, []string{"ingress_nginx", "ingress_nginx"}},
		{"cri, piece first", []string{criTime + " stdout P " + combined[:20], criTime + " stdout F " + combined[20:], combined},
			[]Reason{ReasonContinued, ReasonNone, ReasonNoMatch}, []string{"auto", "cri+combined", "cri+combined"}},
		{"cri stream of garbage then a line", []string{criTime + " stderr F starting", criTime + " stdout F " + ingress},
			[]Reason{ReasonNoMatch, ReasonNone}, []string{"auto", "cri+ingress_nginx"}},
		{"docker", []string{`{"log":"` + `{\"status\":404}\n","stream":"stdout","time":"2019-01-01T11:11:11Z"}`},
			[]Reason{ReasonNone}, []string{"docker+json"}},
		// A plain line decides: no wrapper (the CLF parser skips any prefix
		// before the client, the runtime's included).
		{"plain after garbage decides no wrapper", []string{"garbage", combined, criTime + " stdout P " + combined},
			[]Reason{ReasonNoMatch, ReasonNone, ReasonNone}, []string{"auto", "combined", "combined"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := mustNew(t, "auto")
			var got []Reason
			var names []string
			var rec Record
			for _, l := range tc.lines {
				got = append(got, p.Parse([]byte(l), &rec))
				names = append(names, p.Name())
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("reasons (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.names, names); diff != "" {
				t.Errorf("Name() after each line (-want +got):\n%s", diff)
			}
		})
	}
}

// TestAutoDecidedOnce: once decided, auto gives what the decided format
// gives, line for line.
func TestAutoDecidedOnce(t *testing.T) {
	lines := []string{
		`192.168.64.1 - - [07/Feb/2020:11:48:51 +0000] "POST /products HTTP/1.1" 200 59 "-" "curl/7.54.0" 89 0.001 [default-web-8080] [] 172.17.0.5:8080 59 0.000 200 529a`,
		`1.2.3.4 - - [10/Oct/2023:10:22:41 +0200] "GET / HTTP/1.1" 200 157 "-" "x"`,
		`{"status":200}`,
		`garbage`,
		`1.2.3.4 - - [10/Oct/2023:10:22:41 +0200] "GET / HTTP/1.1" - 157 "-" "x"`,
	}
	auto := mustNew(t, "auto")
	got := parseAll(auto, lines...)
	want := parseAll(mustNew(t, auto.Name()), lines...)
	if auto.Name() != "ingress_nginx" {
		t.Fatalf("auto decided %q", auto.Name())
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("auto and ingress_nginx differ (-ingress_nginx +auto):\n%s", diff)
	}
}
