package logformat

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// full is every field of a result, as strings so that diffs read well.
type full struct {
	Reason         Reason
	Status         int
	Method         string
	Host           string
	Upstream       string
	UpstreamStatus int
	Duration       string // "" when the line has none
	Time           string // RFC 3339, "" when the line has none
}

func fullResult(r Reason, rec *Record) full {
	f := full{Reason: r, Status: rec.Status, Method: string(rec.Method), Host: string(rec.Host),
		Upstream: string(rec.Upstream), UpstreamStatus: rec.UpstreamStatus}
	if rec.HasDuration {
		f.Duration = rec.Duration.String()
	}
	if !rec.Time.IsZero() {
		f.Time = rec.Time.Format(time.RFC3339Nano)
	}
	return f
}

func bad(r Reason) full { return full{Reason: r} }

// formatCases are lines of every format with every field expected.
var formatCases = []struct {
	format, name, line string
	want               full
}{
	// CLF family: the time is read from the brackets.
	{"combined", "time and method", `1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET /a HTTP/1.0" 200 2326 "-" "x"`,
		full{Status: 200, Method: "GET", Time: "2000-10-10T20:55:36Z"}},
	{"combined", "no time", `1.2.3.4 "GET / HTTP/1.1" 200 5`, full{Status: 200, Method: "GET"}},
	{"combined", "bad time", `1.2.3.4 - - [yesterday] "GET / HTTP/1.1" 200 5`, full{Status: 200, Method: "GET"}},
	{"vhost_combined", "vhost with port", `www.example.com:443 1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] "GET / HTTP/1.1" 301 0 "-" "x"`,
		full{Status: 301, Method: "GET", Host: "www.example.com", Time: "2000-10-10T13:55:36Z"}},
	{"vhost_combined", "no vhost", `1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] "GET / HTTP/1.1" 301 0 "-" "x"`,
		full{Status: 301, Method: "GET", Time: "2000-10-10T13:55:36Z"}},
	{"lighttpd", "vhost second", `198.51.100.71 192.0.2.5 - [08/Apr/2010:20:43:02 -0700] "GET /g.asc HTTP/1.0" 200 191 367 464 1 "-" "nsscache_0.12"`,
		full{Status: 200, Method: "GET", Host: "192.0.2.5", Time: "2010-04-09T03:43:02Z"}},
	{"traefik", "duration", `172.17.0.1 - - [08/Dec/2021:09:16:05 +0000] "GET /x HTTP/1.1" 200 414 "-" "-" 500 "test@docker" "http://172.17.0.3:80" 42ms`,
		full{Status: 200, Method: "GET", Duration: "42ms", Time: "2021-12-08T09:16:05Z"}},
	{"traefik", "no response", `172.17.1.1 - - [28/Sep/2022:13:38:04 +0000] "GET /m HTTP/1.1" - - "-" "Nikto" 45640 "-" "-" 0ms`, bad(ReasonBadStatus)},
	{"ingress_nginx", "one upstream", `192.168.64.1 - - [07/Feb/2020:11:48:51 +0000] "POST /products HTTP/1.1" 200 59 "-" "curl/7.54.0" 89 0.001 [default-web-8080] [] 172.17.0.5:8080 59 0.000 200 529a007902362a5f51385a5fa7049884`,
		full{Status: 200, Method: "POST", Upstream: "200", UpstreamStatus: 200, Duration: "1ms", Time: "2020-02-07T11:48:51Z"}},
	{"ingress_nginx", "retried upstreams", `2a02:cf40::4e36 - - [24/Aug/2022:18:05:41 +0000] "GET /favicon.ico HTTP/2.0" 502 552 "https://localhost:8080/" "Mozilla/5.0" 27 0.250 [localhost-8080] [] [2a02:cf40::7]:5000, [2a02:cf40::4e36]:5000 0, 0 0.000, 0.000 502, 504 3db73c6c673c4256ade033a6ce08c2ab`,
		full{Status: 502, Method: "GET", Upstream: "502, 504", UpstreamStatus: 504, Duration: "250ms", Time: "2022-08-24T18:05:41Z"}},
	{"ingress_nginx", "internal redirect", `1.2.3.4 - - [07/Feb/2020:12:02:42 +0000] "GET /v2 HTTP/1.1" 200 61 "-" "x" 348 0.001 [web] [] 10.0.0.1:80, 10.0.0.2:80 : 10.0.0.3:80 0, 0 : 61 0.001, 0.002 : 0.003 502, 504 : 200 8351`,
		full{Status: 200, Method: "GET", Upstream: "502, 504 : 200", UpstreamStatus: 200, Duration: "1ms", Time: "2020-02-07T12:02:42Z"}},
	{"ingress_nginx", "no upstream", `192.168.64.1 - - [07/Feb/2020:11:49:50 +0000] "PATCHp /products/42 HTTP/1.1" 400 163 "-" "-" 0 0.000 [] [] - - - - 4c7d2079340e68353c7d0dfff00b904b`,
		full{Status: 400, Duration: "0s", Time: "2020-02-07T11:49:50Z"}},
	{"ingress_nginx", "last upstream gave none", `1.2.3.4 - - [07/Feb/2020:12:02:42 +0000] "GET /t HTTP/1.1" 200 61 "-" "x" 348 0.001 [w] [] 172.17.0.6:8080, 172.17.0.7:8080 - 0.100, - 200, - 8351`,
		full{Status: 200, Method: "GET", Upstream: "200, -", UpstreamStatus: 200, Duration: "1ms", Time: "2020-02-07T12:02:42Z"}},
	{"ingress_nginx", "plain combined", `1.2.3.4 - - [07/Feb/2020:12:02:42 +0000] "GET /t HTTP/1.1" 200 61 "-" "x"`,
		full{Status: 200, Method: "GET", Time: "2020-02-07T12:02:42Z"}},

	// json
	{"json", "nginx escape=json", `{"time_local":"10/Oct/2023:10:22:41 +0200","remote_addr":"1.2.3.4","request":"GET /a?b=\"c\" HTTP/1.1","status": 404,"request_time":"0.012","http_host":"example.com:8443","upstream_status":"502, 404","request_method":"GET"}`,
		full{Status: 404, Method: "GET", Host: "example.com", Upstream: "502, 404", UpstreamStatus: 404, Duration: "12ms", Time: "2023-10-10T08:22:41Z"}},
	{"json", "status as string", `{"status":"201","method":"POST","time":"2024-02-29T23:59:59.5Z"}`,
		full{Status: 201, Method: "POST", Time: "2024-02-29T23:59:59.5Z"}},
	{"json", "msec", `{"msec":1700000000.250,"status":200}`, full{Status: 200, Time: "2023-11-14T22:13:20.25Z"}},
	{"json", "status 0", `{"status":0}`, bad(ReasonBadStatus)},
	{"json", "status dash", `{"status":"-"}`, bad(ReasonBadStatus)},
	{"json", "status float", `{"status":200.0}`, bad(ReasonBadStatus)},
	{"json", "status null", `{"status":null}`, bad(ReasonBadStatus)},
	{"json", "status object", `{"status":{"code":200}}`, bad(ReasonBadStatus)},
	{"json", "no status", `{"level":"info","msg":"started"}`, bad(ReasonNoMatch)},
	{"json", "status nested only", `{"response":{"status":200}}`, bad(ReasonNoMatch)},
	{"json", "broken", `{"status":200,`, bad(ReasonNoMatch)},
	{"json", "trailing garbage", `{"status":200} x`, bad(ReasonNoMatch)},
	{"json", "unterminated string", `{"status":200,"a":"}`, bad(ReasonNoMatch)},
	{"json", "not an object", `[200]`, bad(ReasonNoMatch)},
	{"json", "prefix", `web-1  | {"status":200}`, full{Status: 200}},
	{"json", "escaped key", `{"sta\"tus":500,"status":200}`, full{Status: 200}},
	{"json", "key in a string", `{"msg":"\"status\":500","status":200}`, full{Status: 200}},
	{"json", "first wins", `{"status":200,"status":500}`, full{Status: 200}},
	{"json", "blank", "  \t", bad(ReasonEmpty)},
	{"json:response.status", "nested", `{"request":{"method":"GET"},"response":{"status":503,"size":1}}`, full{Status: 503}},
	{"json:response.status", "flat dotted key", `{"response.status":"502"}`, full{Status: 502}},
	{"json:http.response.status_code", "mixed", `{"http":{"response.status_code":204}}`, full{Status: 204}},
	{"json:response.status", "top-level status is not it", `{"status":200}`, bad(ReasonNoMatch)},
	{"json:response.status", "deep skip", `{"a":[{"b":[1,2,{"c":"]}"}]}],"response":{"x":{"status":1},"status":201}}`, full{Status: 201}},

	// logfmt
	{"logfmt", "typical", `ts=2024-01-02T03:04:05Z level=info method=GET path="/a b" host=example.com status=200 duration=1.5ms`,
		full{Status: 200, Method: "GET", Host: "example.com", Duration: "1.5ms", Time: "2024-01-02T03:04:05Z"}},
	{"logfmt", "quoted status", `status="404" request_time=0.25`, full{Status: 404, Duration: "250ms"}},
	{"logfmt", "bad status", `msg="x" status=-`, bad(ReasonBadStatus)},
	{"logfmt", "no status", `level=info msg="listening"`, bad(ReasonNoMatch)},
	{"logfmt", "status in a quoted value", `msg="status=200" code=1`, bad(ReasonNoMatch)},
	{"logfmt", "unterminated quote", `msg="x status=200`, bad(ReasonNoMatch)},
	{"logfmt:code", "other key", `status=ok code=503 latency=3s`, full{Status: 503, Duration: "3s"}},

	// envoy
	{"envoy", "default format", `[2016-04-15T20:17:00.310Z] "POST /api/v1/locations HTTP/2" 204 - 154 0 226 100 "10.0.35.28" "nsq2http" "cc21d9b0-cf5c-432b-8c7e-98aeb7988cd2" "locations" "tcp://10.0.2.1:80"`,
		full{Status: 204, Method: "POST", Host: "locations", Duration: "226ms", Time: "2016-04-15T20:17:00.31Z"}},
	{"envoy", "no response", `[2016-04-15T20:17:00.310Z] "GET / HTTP/1.1" 0 DC 0 0 5 - "-" "curl" "id" "example.com" "-"`, bad(ReasonBadStatus)},
	{"envoy", "istio layout", `[2020-11-25T21:26:18.409Z] "GET /status/418 HTTP/1.1" 418 - via_upstream - "-" 0 135 4 4 "-" "curl/7.73.0" "id" "httpbin:8000" "10.44.1.27:80"`,
		full{Status: 418, Method: "GET", Time: "2020-11-25T21:26:18.409Z"}},
	{"envoy", "gateway json", `{":authority":"www.example.com:443","duration":11,"method":"GET","response_code":200,"start_time":"2025-12-31T16:37:40.479Z"}`,
		full{Status: 200, Method: "GET", Host: "www.example.com", Duration: "11ms", Time: "2025-12-31T16:37:40.479Z"}},
	{"envoy", "json code 0", `{"response_code":0,"method":"GET"}`, bad(ReasonBadStatus)},
	{"envoy", "json without code", `{"level":"info"}`, bad(ReasonNoMatch)},
	{"envoy", "bracketed not a time", `[info] "GET / HTTP/1.1" 200 -`, bad(ReasonNoMatch)},

	// haproxy
	{"haproxy", "syslog", `Jul 30 09:03:52 localhost haproxy[32450]: 1.2.3.4:38862 [30/Jul/2018:09:03:52.726] incoming~ docs_microservice/docs 0/0/1/0/2 304 168 - - ---- 6/6/0/0/0 0/0 {docs.example.internal||} {|||} "GET /c.js HTTP/1.1"`,
		full{Status: 304, Method: "GET", Duration: "2ms"}},
	{"haproxy", "extra field", `May 22 02:22:22 server1 haproxy[5089]: -:22222 [22/May/2021:02:22:22.222] www-https~ myapp/node2 site.domain.com 0/0/0/18/18 200 200 - - ---- 222/222/2/0/0 0/0 "OPTIONS /api/v2/app/ HTTP/1.1"`,
		full{Status: 200, Method: "OPTIONS", Duration: "18ms"}},
	{"haproxy", "no syslog, logasap", `117.136.40.129:14853 [14/Jan/2015:12:48:57.127] https-in~ xx/node 170/0/0/3/+173 200 739 - - --NN 0/0/0/0/0 0/0 "GET /x HTTP/1.1"`,
		full{Status: 200, Method: "GET", Duration: "173ms"}},
	{"haproxy", "aborted", `1.2.3.4:1 [10/Dec/2018:12:01:46.395] fe be/<NOSRV> 0/-1/-1/-1/0 -1 0 - - CR-- 1/1/0/0/0 0/0 "<BADREQ>"`, bad(ReasonBadStatus)},
	{"haproxy", "tcp log", `1.2.3.4:1 [10/Dec/2018:12:01:46.395] fe be/srv 0/0/5 213 -- 1/1/0/0/0 0/0`, bad(ReasonNoMatch)},
	{"haproxy", "connect", `Sep 20 15:42:59 1.128.3.4 haproxy[24551]: Connect from 1.128.3.4:40780 to 1.128.3.4:5000 (main/HTTP)`, bad(ReasonNoMatch)},

	// traefik_json
	{"traefik_json", "typical", `{"ClientAddr":"1.2.3.4:1","DownstreamStatus":502,"Duration":2001375,"OriginStatus":503,"RequestHost":"whoami.localhost","RequestMethod":"GET","StartUTC":"2026-01-08T14:19:15.980170592Z","level":"info"}`,
		full{Status: 502, Method: "GET", Host: "whoami.localhost", Upstream: "503", UpstreamStatus: 503, Duration: "2.001375ms", Time: "2026-01-08T14:19:15.980170592Z"}},
	{"traefik_json", "no origin", `{"DownstreamStatus":404,"OriginStatus":0}`, full{Status: 404}},
	{"traefik_json", "other line", `{"level":"error","msg":"x"}`, bad(ReasonNoMatch)},
	{"traefik_json", "malformed after the status", `{"DownstreamStatus":200,"Duration":,"RequestMethod":"GET"}`, full{Status: 200}},
	{"traefik_json", "malformed before the status", `{"Duration":,"DownstreamStatus":200}`, bad(ReasonNoMatch)},

	// caddy
	{"caddy", "access", `{"level":"info","ts":1716723772.6014807,"logger":"http.log.access.log17","msg":"handled request","request":{"remote_ip":"10.5.1.1","method":"GET","host":"mirrors.tnonline.net:400","uri":"/","headers":{"Accept":["*/*"]}},"bytes_read":0,"duration":0.017557019,"size":3768,"status":200,"resp_headers":{"Server":["Caddy"]}}`,
		full{Status: 200, Method: "GET", Host: "mirrors.tnonline.net", Duration: "17.557019ms", Time: "2024-05-26T11:42:52.6014807Z"}},
	{"caddy", "status 0", `{"logger":"http.log.access","status":0}`, bad(ReasonBadStatus)},
	{"caddy", "other logger", `{"level":"debug","logger":"http.handlers.reverse_proxy","status":200}`, bad(ReasonNoMatch)},
	{"caddy", "logger prefix only", `{"logger":"http.log.accessx","status":200}`, bad(ReasonNoMatch)},
	{"caddy", "no logger", `{"status":200}`, bad(ReasonNoMatch)},

	// iis, one line at a time: before any header, the default layout.
	{"iis", "default layout", `2018-01-01 08:09:10 127.0.0.1 GET / q=100 80 - 81.2.69.143 Mozilla/5.0 - 200 0 0 123`,
		full{Status: 200, Method: "GET", Duration: "123ms", Time: "2018-01-01T08:09:10Z"}},
	{"iis", "default layout, not a date", `x 08:09:10 127.0.0.1 GET / q=100 80 - 81.2.69.143 Mozilla/5.0 - 200 0 0 123`, bad(ReasonNoMatch)},
	{"iis", "header", `#Fields: date time sc-status`, bad(ReasonHeader)},
	{"iis", "directive", `#Software: Microsoft Internet Information Services 10.0`, bad(ReasonHeader)},

	// alb
	{"alb", "target answered", `https 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 0.086 0.048 0.037 200 201 0 57 "GET https://www.example.com:443/ HTTP/1.1" "curl/7.46.0" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn "Root=1" "www.example.com" "-" 1 2018-07-02T22:22:48.364000Z "forward" "-" "-" "10.0.0.1:80" "200" "-" "-"`,
		full{Status: 200, Method: "GET", Host: "www.example.com", Upstream: "201", UpstreamStatus: 201, Duration: "171ms", Time: "2018-07-02T22:23:00.186641Z"}},
	{"alb", "waf", `https 2023-04-26T19:53:46.679895Z app/x/y 192.168.1.13:44740 - -1 -1 -1 403 - 204 167 "GET https://api.example.com:443/ HTTP/1.1" "ua"`,
		full{Status: 403, Method: "GET", Host: "api.example.com", Time: "2023-04-26T19:53:46.679895Z"}},
	{"alb", "no response", `http 2023-04-26T19:53:46.679895Z app/x/y 1.2.3.4:1 - -1 -1 -1 - - 0 0 "- http://x:80- -" "-"`, bad(ReasonBadStatus)},
	{"alb", "other type", `udp 2023-04-26T19:53:46.679895Z app/x/y 1.2.3.4:1 - -1 -1 -1 200 - 0 0 "-"`, bad(ReasonNoMatch)},

	// cloudfront, without a header: the standard layout.
	{"cloudfront", "standard", "2024-03-12\t15:22:28\tCDG50-P2\t703\t1.2.3.4\tGET\td6rcaj0q1hys9.cloudfront.net\t/testseb\t400\t-\tcurl/7.81.0\tquery_param=42\t-\tError\tid==\thub-cdn.crowdsec.net\thttps\t62\t0.113\t-\tTLSv1.3",
		full{Status: 400, Method: "GET", Host: "hub-cdn.crowdsec.net", Duration: "113ms", Time: "2024-03-12T15:22:28Z"}},
	{"cloudfront", "viewer went away", "2024-03-12\t15:22:28\tCDG50-P2\t703\t1.2.3.4\tGET\th\t/\t000\t-\tcurl\t-\t-\tError\tid\th\thttps\t62\t0.113", bad(ReasonBadStatus)},

	// regex
	{`regex:^(?P<host>\S+) "(?P<method>\S+) [^"]*" (?P<status>\d+) (?P<duration>\S+) (?P<upstream_status>.+)$`, "all groups",
		`example.com:80 "PUT /x HTTP/1.1" 201 12ms 502, 201`, full{Status: 201, Method: "PUT", Host: "example.com", Upstream: "502, 201", UpstreamStatus: 201, Duration: "12ms"}},
	{`regex:(?P<status>\d+) (?P<time>\S+)`, "time and bad status", `x 2000 2024-01-02T03:04:05Z`, bad(ReasonBadStatus)},
	{`regex:(?P<status>\d{3})|(?P<other>x)`, "status group not matched", `x`, bad(ReasonNoMatch)},
	{`regex:(?P<status>\d{3}) (?P<duration>[\d.]+)`, "seconds", `200 0.5`, full{Status: 200, Duration: "500ms"}},
}

func TestParseFormats(t *testing.T) {
	for _, tc := range formatCases {
		t.Run(tc.format+"/"+tc.name, func(t *testing.T) {
			p := mustNew(t, tc.format)
			rec := Record{Status: 999, Method: []byte("STALE"), Host: []byte("stale"), HasDuration: true, UpstreamStatus: 7}
			got := fullResult(p.Parse([]byte(tc.line), &rec), &rec)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Parse(%q) mismatch (-want +got):\n%s", tc.line, diff)
			}
		})
	}
}

// parseAll feeds lines to one parser and returns every result.
func parseAll(p Parser, lines ...string) []full {
	var out []full
	var rec Record
	for _, l := range lines {
		out = append(out, fullResult(p.Parse([]byte(l), &rec), &rec))
	}
	return out
}

// TestW3CHeaders follows the columns of each #Fields header, the previous
// headers' for lines that fit only those, and the reasons around them.
func TestW3CHeaders(t *testing.T) {
	lines := []string{
		"#Software: Microsoft Internet Information Services 10.0",
		"#Fields: date time cs-method cs-host sc-status time-taken",
		"2018-01-01 09:10:11 GET example.com 200 15",
		"",
		"#Fields: sc-status date time cs(Host) cs-method",
		"404 2018-01-01 09:10:12 a.example.com HEAD",
		"2018-01-01 09:10:13 POST b.example.com 500 7", // the first header's layout
		"2018-01-01 09:10:13 POST 500",                 // fits none
		`"503" 2018-01-01 09:10:14 "x y" GET`,          // quoted fields
		`"-" 2018-01-01 09:10:14 - GET`,
		`"unterminated 2018-01-01 09:10:14 - GET`,
		"#Fields: date time cs-method",  // no status column
		"2018-01-01 09:10:15 GET",       // its count: no status
		"401 2018-01-01 09:10:12 x GET", // the second header's count
	}
	want := []full{
		bad(ReasonHeader), bad(ReasonHeader),
		{Status: 200, Method: "GET", Host: "example.com", Duration: "15ms", Time: "2018-01-01T09:10:11Z"},
		bad(ReasonEmpty), bad(ReasonHeader),
		{Status: 404, Method: "HEAD", Host: "a.example.com", Time: "2018-01-01T09:10:12Z"},
		{Status: 500, Method: "POST", Host: "b.example.com", Duration: "7ms", Time: "2018-01-01T09:10:13Z"},
		bad(ReasonNoMatch),
		{Status: 503, Method: "GET", Host: "x y", Time: "2018-01-01T09:10:14Z"},
		bad(ReasonBadStatus),
		bad(ReasonNoMatch),
		bad(ReasonHeader),
		bad(ReasonNoMatch),
		{Status: 401, Method: "GET", Host: "x", Time: "2018-01-01T09:10:12Z"},
	}
	if diff := cmp.Diff(want, parseAll(mustNew(t, "iis"), lines...)); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}

	cf := []string{
		"#Version: 1.0",
		"#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status time-taken",
		"2019-12-04\t21:02:31\tLAX1\t392\t1.2.3.4\tGET\td111111abcdef8.cloudfront.net\t/index.html\t200\t0.001",
		"2019-12-04\t21:02:31\tLAX1\t392\t1.2.3.4\tGET\td111111abcdef8.cloudfront.net\t/index.html\t502",
	}
	wantCF := []full{bad(ReasonHeader), bad(ReasonHeader),
		{Status: 200, Method: "GET", Host: "d111111abcdef8.cloudfront.net", Duration: "1ms", Time: "2019-12-04T21:02:31Z"},
		bad(ReasonNoMatch)}
	if diff := cmp.Diff(wantCF, parseAll(mustNew(t, "cloudfront"), cf...)); diff != "" {
		t.Errorf("cloudfront results (-want +got):\n%s", diff)
	}
}

// TestNginxLogFormat is the new user's path: paste the log_format of
// nginx.conf into --log.format=nginx:... and count a log written with it,
// escaped quotes included.
func TestNginxLogFormat(t *testing.T) {
	const main = `'$remote_addr - $remote_user [$time_local] "$request" '
                    '$status $body_bytes_sent "$http_referer" '
                    '"$http_user_agent" "$http_x_forwarded_for" $request_time'`
	pasted := []string{
		main,
		"log_format main " + main + ";",
		"log_format  main  escape=default " + main,
		// The same format as one plain string.
		`$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" "$http_x_forwarded_for" $request_time`,
		// ${var} spelling.
		`${remote_addr} - ${remote_user} [${time_local}] "${request}" ${status} ${body_bytes_sent} "${http_referer}" "${http_user_agent}" "${http_x_forwarded_for}" ${request_time}`,
	}
	log := []string{
		`203.0.113.42 - - [26/Nov/2025:16:52:01 +0000] "GET /api/v1/products?page=2 HTTP/1.1" 200 5316 "https://shop.example.com/" "Mozilla/5.0 (X11; Linux x86_64)" "-" 0.004`,
		`203.0.113.42 - alice [26/Nov/2025:16:52:02 +0000] "POST /login HTTP/1.1" 302 0 "-" "curl/8.5.0" "10.0.0.1, 10.0.0.2" 0.120`,
		// nginx's default escaping writes a quote inside a value as \x22.
		`198.51.100.7 - - [26/Nov/2025:16:52:03 +0000] "GET /search?q=\x22a b\x22 HTTP/1.1" 404 153 "-" "Bot \x22quoted\x22 1.0" "-" 0.001`,
		// escape=json writes \" and \\.
		`198.51.100.7 - - [26/Nov/2025:16:52:04 +0000] "GET /q=\"x\" 200 HTTP/1.1" 502 157 "-" "ua \"with\" \\\" quotes" "-" 30.001`,
		// A request with spaces and a bracket in it.
		`198.51.100.8 - - [26/Nov/2025:16:52:05 +0000] "GET /a b [c] HTTP/1.1" 400 0 "-" "-" "-" 0.000`,
		`198.51.100.8 - - [26/Nov/2025:16:52:06 +0000] "-" 499 0 "-" "-" "-" 1.500`,
		`198.51.100.8 - - [26/Nov/2025:16:52:07 +0000] "GET / HTTP/1.1" 000 0 "-" "-" "-" 0.000`,
		``,
		`2025/11/26 16:52:08 [error] 31#31: *46 open() "/usr/share/nginx/html/x" failed (2: No such file or directory), client: 1.2.3.4, request: "GET /x HTTP/1.1"`,
		`198.51.100.9 - - [26/Nov/2025:16:52:09 +0000] "GET / HTTP/1.1"`,
	}
	want := tally{map[int]int{200: 1, 302: 1, 404: 1, 502: 1, 400: 1, 499: 1},
		map[Reason]int{ReasonBadStatus: 1, ReasonEmpty: 1, ReasonNoMatch: 2}}
	wantFirst := []full{
		{Status: 200, Method: "GET", Duration: "4ms", Time: "2025-11-26T16:52:01Z"},
		{Status: 302, Method: "POST", Duration: "120ms", Time: "2025-11-26T16:52:02Z"},
		{Status: 404, Method: "GET", Duration: "1ms", Time: "2025-11-26T16:52:03Z"},
		{Status: 502, Method: "GET", Duration: "30.001s", Time: "2025-11-26T16:52:04Z"},
		{Status: 400, Method: "GET", Duration: "0s", Time: "2025-11-26T16:52:05Z"},
		{Status: 499, Duration: "1.5s", Time: "2025-11-26T16:52:06Z"},
	}
	var lines [][]byte
	for _, l := range log {
		lines = append(lines, []byte(l))
	}
	for _, f := range pasted {
		t.Run(f[:20], func(t *testing.T) {
			p := mustNew(t, "nginx:"+f)
			checkTally(t, "nginx", want, tallyLines(p, lines))
			if diff := cmp.Diff(wantFirst, parseAll(mustNew(t, "nginx:"+f), log[:6]...)); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
		})
	}
}

// TestNginxVariables covers the variables with a shape of their own.
func TestNginxVariables(t *testing.T) {
	tests := []struct {
		format, line string
		want         full
	}{
		{`$host $upstream_status $status [$time_iso8601] $msec`, `example.com 502, 504 : 200 200 [2024-01-02T03:04:05+01:00] 1.5`,
			full{Status: 200, Host: "example.com", Upstream: "502, 504 : 200", UpstreamStatus: 200, Time: "2024-01-02T02:04:05Z"}},
		{`$request_method $status $msec`, `DELETE 204 1700000000.123`, full{Status: 204, Method: "DELETE", Time: "2023-11-14T22:13:20.123Z"}},
		{`$status|$upstream_status|$request_time`, `200|-|0.3`, full{Status: 200, Duration: "300ms"}},
		{`$status $remote_addr`, `200 1.2.3.4 5.6.7.8`, full{Status: 200}}, // a mismatch after the status loses nothing
		{`$remote_addr $status`, `1.2.3.4 x 200`, bad(ReasonNoMatch)},      // a status with a space is no status field
		{`$remote_addr $status`, `1.2.3.4 2000`, bad(ReasonBadStatus)},
		{`[$time_local] $status`, `[10/Oct/2000:13:55:36 -0700] 201`, full{Status: 201, Time: "2000-10-10T20:55:36Z"}},
		{`[$time_local] $status`, `[10/Oct/2000] 201`, bad(ReasonNoMatch)},
		{`x$status`, `y200`, bad(ReasonNoMatch)},
		{`"$request" $status`, `"GET /\" 200 x" 404`, full{Status: 404, Method: "GET"}},
	}
	for _, tc := range tests {
		t.Run(tc.format, func(t *testing.T) {
			got := parseAll(mustNew(t, "nginx:"+tc.format), tc.line)[0]
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Parse(%q) (-want +got):\n%s", tc.line, diff)
			}
		})
	}
}

func TestNewBadFormats(t *testing.T) {
	tests := []struct {
		name, msg string
		err       error
	}{
		{"regex:(?P<status>", "missing closing )", ErrBadFormat},
		{`regex:\d{3}`, "no group named status", ErrBadFormat},
		{"nginx:$remote_addr", "no $status", ErrBadFormat},
		{"nginx:$status $", "'$' must start a name", ErrBadFormat},
		{"nginx:${status", "without its closing }", ErrBadFormat},
		{"nginx:${sta tus}", "not a variable name", ErrBadFormat},
		{"nginx:$remote_addr$status", "not separated", ErrBadFormat},
		{"nginx:plain text", "no variables", ErrBadFormat},
		{"nginx:log_format main", "without a name and a format", ErrBadFormat},
		{"nginx:log_format main $status", "must be quoted", ErrBadFormat},
		{"json:", "want a name", ErrBadFormat},
		{"json:a..b", "want a name", ErrBadFormat},
		{"logfmt:a b", "no space", ErrBadFormat},
		{"cri+nonsense", `"nonsense"`, ErrUnknownFormat},
		{"docker+cri+combined", "not another wrapper", ErrBadFormat},
		{"cri+", `""`, ErrUnknownFormat},
		{"docker+regex:x", "no group named status", ErrBadFormat},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := New(tc.name)
			if !errors.Is(err, tc.err) {
				t.Fatalf("New(%q) error = %v, want one wrapping %v", tc.name, err, tc.err)
			}
			if p != nil {
				t.Errorf("New(%q) returned a Parser with its error", tc.name)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("New(%q) error %q does not say %q", tc.name, err, tc.msg)
			}
		})
	}
}

func TestNewParameterised(t *testing.T) {
	for _, name := range append([]string{"json:status", "logfmt:code", `regex:(?P<status>\d+)`, "nginx:$status", "cri+combined", "docker+json:a.b"}, corpusAllocFormats...) {
		p := mustNew(t, name)
		if got := p.Name(); got != name {
			t.Errorf("New(%q).Name() = %q", name, got)
		}
	}
}

// TestTimes reads the time shapes and refuses impossible dates.
func TestTimes(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"10/Oct/2000:13:55:36 -0700", "2000-10-10T20:55:36Z"},
		{"29/Feb/2024:23:59:60 +0530", "2024-02-29T18:29:59Z"},
		{"29/Feb/2023:00:00:00 +0000", ""},
		{"31/Apr/2023:00:00:00 +0000", ""},
		{"10/Foo/2000:13:55:36 -0700", ""},
		{"10/Oct/2000:13:55:36", ""},
		{"2024-01-02T03:04:05.123456789Z", "2024-01-02T03:04:05.123456789Z"},
		{"2024-01-02T03:04:05.1234567891234Z", "2024-01-02T03:04:05.123456789Z"},
		{"2024-01-02 03:04:05+0100", "2024-01-02T02:04:05Z"},
		{"2024-01-02T03:04:05", ""},
		{"2024-13-02T03:04:05Z", ""},
		{"1970-01-01T00:00:00Z", "1970-01-01T00:00:00Z"},
		{"1600-03-01T00:00:00Z", "1600-03-01T00:00:00Z"},
		{"1693840791.7564995", "2023-09-04T15:19:51.7564995Z"},
		{"1693840791", "2023-09-04T15:19:51Z"},
		{"1693840791.", ""},
		{"-5", ""},
	}
	for _, tc := range tests {
		got := ""
		if tm, ok := parseAnyTime([]byte(tc.in)); ok {
			got = tm.Format(time.RFC3339Nano)
		}
		if got != tc.want {
			t.Errorf("parseAnyTime(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
