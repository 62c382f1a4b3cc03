package logformat

import (
	"path/filepath"
	"strings"
	"testing"
)

// benchLine is a realistic nginx combined line of about 160 bytes.
var benchLine = []byte(`203.0.113.42 - - [26/Nov/2025:16:52:01 +0000] "GET /api/v1/products?page=2 HTTP/1.1" 200 5316 "https://shop.example.com/" "Mozilla/5.0 (X11; Linux x86_64)"`)

// benchCorpus returns up to perFile lines of every CLF corpus file, error-log
// and garbage lines included, in file order.
func benchCorpus(b *testing.B, perFile int) (lines [][]byte, size int) {
	dir := corpusDir(b)
	for _, file := range corpusFiles(b, dir, clfFolders...) {
		fl := readLines(b, filepath.Join(dir, file))
		if len(fl) > perFile {
			fl = fl[:perFile]
		}
		for _, l := range fl {
			size += len(l)
		}
		lines = append(lines, fl...)
	}
	return lines, size
}

// benchParse measures one Parse per iteration, cycling through lines.
// SetBytes takes the mean line length, so MB/s is the throughput in line
// bytes (the '\n' not counted).
func benchParse(b *testing.B, p Parser, lines [][]byte) {
	size := 0
	for _, l := range lines {
		size += len(l)
	}
	b.ReportAllocs()
	b.SetBytes(int64(size / len(lines)))
	var rec Record
	i := 0
	cpu0 := cpuTime()
	for b.Loop() {
		p.Parse(lines[i], &rec)
		i++
		if i == len(lines) {
			i = 0
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lines/s")
	// The goal is in lines per CPU-second; on a shared machine it is
	// also the steadier figure.
	if cpu := cpuTime() - cpu0; cpu > 0 && cpu0 > 0 {
		b.ReportMetric(float64(b.N)/cpu.Seconds(), "lines/cpu-s")
	}
}

func BenchmarkParseCombined(b *testing.B) {
	b.Run("line", func(b *testing.B) {
		benchParse(b, mustNew(b, "combined"), [][]byte{benchLine})
	})
	b.Run("corpus", func(b *testing.B) {
		lines, _ := benchCorpus(b, 50)
		benchParse(b, mustNew(b, "combined"), lines)
	})
}

// BenchmarkParseAuto measures auto after it has decided: the cost of
// detection is paid once per file, then a line costs one call more than the
// format's own parser.
func BenchmarkParseAuto(b *testing.B) {
	p := mustNew(b, "auto")
	var rec Record
	p.Parse(benchLine, &rec)
	benchParse(b, p, [][]byte{benchLine})
}

// BenchmarkAutoDetect measures detection itself: a new auto parser per
// iteration, given the first line of a format that is tried late.
func BenchmarkAutoDetect(b *testing.B) {
	lines := [][]byte{[]byte(`Feb 25 16:19:38 192.168.4.2 haproxy[1]: Proxy prod_http_in started.`), benchLine}
	b.ReportAllocs()
	var rec Record
	for b.Loop() {
		p := newAuto(AllFields)
		for _, l := range lines {
			p.Parse(l, &rec)
		}
	}
}

// corpusLines returns lines of one corpus file (1-based, inclusive).
func corpusLines(b *testing.B, file string, from, to int) [][]byte {
	lines := readLines(b, filepath.Join(corpusDir(b), file))
	if to > len(lines) {
		b.Fatalf("%s has %d lines", file, len(lines))
	}
	return lines[from-1 : to]
}

// BenchmarkFormats measures every format on lines typical of it (real ones
// from the corpus where it has them), one sub-benchmark each: "all" reads
// every optional field (New), "status" none (NewFields(name, 0)).
func BenchmarkFormats(b *testing.B) {
	ingress := `192.168.64.1 - - [07/Feb/2020:11:55:57 +0000] "GET /products/42 HTTP/1.1" 200 59 "-" "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_14_6) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/79.0.3945.130 Safari/537.36" 450 0.001 [default-web-8080] [] 172.17.0.5:8080 59 0.000 200 da29abf31e4d6324cebe5e7bca370709`
	nginxMain := `nginx:'$remote_addr - $remote_user [$time_local] "$request" ' '$status $body_bytes_sent "$http_referer" ' '"$http_user_agent" "$http_x_forwarded_for" $request_time'`
	cases := []struct {
		format string
		lines  func(b *testing.B) [][]byte
		setup  string // a line given once before measuring (a W3C header)
		name   string // the sub-benchmark's name, when not the format's
	}{
		{"combined", func(*testing.B) [][]byte { return [][]byte{benchLine} }, "", ""},
		{"common", func(b *testing.B) [][]byte {
			return corpusLines(b, "apache_common/beats-apache-darwin-2.4.23.log", 1, 6)
		}, "", ""},
		{"vhost_combined", func(b *testing.B) [][]byte { return corpusLines(b, "apache_vhost/lnav-regexp_access_log.0.log", 1, 2) }, "", ""},
		{"lighttpd", func(b *testing.B) [][]byte { return corpusLines(b, "lighttpd/mtail-lighttpd_access.log", 1, 19) }, "", ""},
		{"traefik", func(b *testing.B) [][]byte { return corpusLines(b, "traefik_clf/crowdsec-traefik_clf.log", 1, 4) }, "", ""},
		{"ingress_nginx", func(b *testing.B) [][]byte {
			return corpusLines(b, "ingress_nginx/beats-ingress-controller-test.log", 1, 29)
		}, "", ""},
		{"json", func(*testing.B) [][]byte {
			return [][]byte{[]byte(`{"time_local":"26/Nov/2025:16:52:01 +0000","remote_addr":"203.0.113.42","request":"GET /api/v1/products?page=2 HTTP/1.1","status":200,"body_bytes_sent":5316,"request_time":0.004,"http_referer":"https://shop.example.com/","http_user_agent":"Mozilla/5.0 (X11; Linux x86_64)","upstream_status":"200","host":"shop.example.com"}`)}
		}, "", ""},
		{"json:response.status", func(*testing.B) [][]byte {
			return [][]byte{[]byte(`{"@timestamp":"2025-11-26T16:52:01.123Z","request":{"method":"GET","path":"/api/v1/products","headers":{"user-agent":"Mozilla/5.0 (X11; Linux x86_64)"}},"response":{"status":200,"bytes":5316},"duration_ms":4}`)}
		}, "", ""},
		{"logfmt", func(*testing.B) [][]byte {
			return [][]byte{[]byte(`ts=2025-11-26T16:52:01.123Z level=info msg="request done" method=GET path=/api/v1/products?page=2 host=shop.example.com status=200 bytes=5316 duration=4.2ms remote=203.0.113.42`)}
		}, "", ""},
		{"envoy", func(*testing.B) [][]byte {
			return [][]byte{
				[]byte(`[2016-04-15T20:17:00.310Z] "POST /api/v1/locations HTTP/2" 204 - 154 0 226 100 "10.0.35.28" "nsq2http" "cc21d9b0-cf5c-432b-8c7e-98aeb7988cd2" "locations" "tcp://10.0.2.1:80"`),
			}
		}, "", ""},
		{"envoy", func(b *testing.B) [][]byte {
			return unwrapCRI(b, corpusLines(b, "envoy/crowdsec-envoy-logs.log", 1, 1))
		}, "", "envoy_json"},
		{"haproxy", func(b *testing.B) [][]byte { return corpusLines(b, "haproxy/lnav-haproxy.0.log", 4, 13) }, "", ""},
		{"traefik_json", func(b *testing.B) [][]byte { return corpusLines(b, "traefik_json/crowdsec-traefik_json.log", 1, 4) }, "", ""},
		{"caddy", func(b *testing.B) [][]byte { return corpusLines(b, "caddy_json/lnav-caddy_log.1.log", 1, 4) }, "", ""},
		{"iis", func(b *testing.B) [][]byte { return corpusLines(b, "iis_w3c/lnav-w3c_big.0.log", 5, 10) },
			"#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status sc-bytes cs-bytes time-taken", ""},
		{"alb", func(b *testing.B) [][]byte { return corpusLines(b, "aws_alb/crowdsec-aws-alb-logs.log", 1, 14) }, "", ""},
		{"cloudfront", func(b *testing.B) [][]byte {
			return corpusLines(b, "aws_cloudfront/crowdsec-aws-cloudfront-logs.log", 1, 2)
		}, "", ""},
		{`regex:^(?P<host>\S+) \S+ \S+ \[(?P<time>[^\]]+)\] "(?P<method>[A-Z]+) [^"]*" (?P<status>\d{3}) `, func(*testing.B) [][]byte { return [][]byte{benchLine} }, "", ""},
		{nginxMain, func(*testing.B) [][]byte {
			return [][]byte{[]byte(`203.0.113.42 - - [26/Nov/2025:16:52:01 +0000] "GET /api/v1/products?page=2 HTTP/1.1" 200 5316 "https://shop.example.com/" "Mozilla/5.0 (X11; Linux x86_64)" "-" 0.004`)}
		}, "", ""},
		{"cri+ingress_nginx", func(*testing.B) [][]byte {
			return [][]byte{[]byte("2025-11-26T16:52:01.123456789Z stdout F " + ingress)}
		}, "", ""},
		{"docker+combined", func(*testing.B) [][]byte {
			return [][]byte{[]byte(`{"log":"203.0.113.42 - - [26/Nov/2025:16:52:01 +0000] \"GET /api/v1/products?page=2 HTTP/1.1\" 200 5316 \"https://shop.example.com/\" \"Mozilla/5.0 (X11; Linux x86_64)\"\n","stream":"stdout","time":"2025-11-26T16:52:01.123456789Z"}`)}
		}, "", ""},
		{"auto", func(*testing.B) [][]byte { return [][]byte{benchLine} }, "", ""},
	}
	for _, tc := range cases {
		name := tc.format
		switch {
		case tc.name != "":
			name = tc.name
		case strings.HasPrefix(name, prefixRegex):
			name = "regex"
		case strings.HasPrefix(name, prefixNginx):
			name = "nginx"
		}
		for _, want := range []struct {
			name   string
			fields Fields
		}{{"all", AllFields}, {"status", 0}} {
			b.Run(name+"/"+want.name, func(b *testing.B) {
				lines := tc.lines(b)
				p, err := NewFields(tc.format, want.fields)
				if err != nil {
					b.Fatal(err)
				}
				var rec Record
				if tc.setup != "" {
					p.Parse([]byte(tc.setup), &rec)
				}
				for _, l := range lines {
					if r := p.Parse(l, &rec); r != ReasonNone {
						b.Fatalf("%s does not parse %q: %v", tc.format, l, r)
					}
				}
				benchParse(b, p, lines)
			})
		}
	}
}

// unwrapCRI returns the content of CRI lines.
func unwrapCRI(b *testing.B, lines [][]byte) [][]byte {
	var out [][]byte
	for _, l := range lines {
		c, _, _, _, ok := cri(l)
		if !ok {
			b.Fatalf("not a CRI line: %q", l)
		}
		out = append(out, c)
	}
	return out
}
