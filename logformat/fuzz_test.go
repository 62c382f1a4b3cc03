package logformat

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// seedLinesPerFile bounds the corpus lines each file gives the fuzz seed
// corpus, so the large files do not make every plain `go test` run slow.
const seedLinesPerFile = 40

// seedLines returns the unit-table lines and the first lines of every
// corpus file. A missing corpus only loses seeds: TestCorpusGolden is the
// test that insists on the corpus.
func seedLines() [][]byte {
	var lines [][]byte
	for _, tc := range clfCases {
		lines = append(lines, []byte(tc.line))
	}
	for _, tc := range formatCases {
		lines = append(lines, []byte(tc.line))
	}
	dir := os.Getenv("HTTPSTATUS_CORPUS")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "corpus")
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*", "*.log"))
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		for i, l := range bytes.Split(data, []byte("\n")) {
			if i == seedLinesPerFile {
				break
			}
			lines = append(lines, l)
		}
	}
	return lines
}

// addSeeds seeds f with every seed line.
func addSeeds(f *testing.F) {
	for _, l := range seedLines() {
		f.Add(l)
	}
}

// addFileSeeds seeds f with the first lines of each corpus file of folder
// as one input, and with the given multi-line inputs.
func addFileSeeds(f *testing.F, folder string, extra ...string) {
	for _, e := range extra {
		f.Add([]byte(e))
	}
	dir := os.Getenv("HTTPSTATUS_CORPUS")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "corpus")
	}
	files, _ := filepath.Glob(filepath.Join(dir, folder, "*.log"))
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		if len(data) > 8<<10 {
			data = data[:8<<10]
		}
		f.Add(data)
	}
}

// checkRecord asserts the Parser contract for one result. joined says the
// format may join pieces of several lines or unescape them (wrappers, auto):
// then the record's bytes need not lie within this line.
func checkRecord(t *testing.T, line []byte, r Reason, rec *Record, joined bool) {
	t.Helper()
	switch {
	case r >= NumReasons:
		t.Fatalf("Parse(%q) = reason %d, outside the closed set", line, r)
	case !joined && (r == ReasonTooLong || r == ReasonContinued):
		t.Fatalf("Parse(%q) = %v, which only a wrapper returns", line, r)
	case r == ReasonNone && (rec.Status < 100 || rec.Status > 599):
		t.Fatalf("Parse(%q) = ReasonNone with status %d", line, rec.Status)
	case r == ReasonNone && !joined && !bytes.Contains(line, []byte(strconv.Itoa(rec.Status))):
		t.Fatalf("Parse(%q) = status %d, which is not in the line", line, rec.Status)
	case r != ReasonNone && (rec.Status != 0 || rec.Method != nil || rec.Host != nil || rec.Upstream != nil || rec.HasDuration):
		t.Fatalf("Parse(%q) = reason %v with fields %+v, want none", line, r, rec)
	case !joined && (!within(line, rec.Method) || !within(line, rec.Host) || !within(line, rec.Upstream)):
		t.Fatalf("Parse(%q): %+v has bytes from outside the line", line, rec)
	case rec.UpstreamStatus != 0 && (rec.UpstreamStatus < 100 || rec.UpstreamStatus > 599):
		t.Fatalf("Parse(%q): upstream status %d", line, rec.UpstreamStatus)
	case rec.UpstreamStatus != 0 && rec.Upstream == nil:
		t.Fatalf("Parse(%q): upstream status %d without the upstream field", line, rec.UpstreamStatus)
	case rec.HasDuration && (rec.Duration < 0 || rec.Duration > maxDuration):
		t.Fatalf("Parse(%q): duration %v", line, rec.Duration)
	case !rec.HasDuration && rec.Duration != 0:
		t.Fatalf("Parse(%q): duration %v without HasDuration", line, rec.Duration)
	case len(rec.Method) != cap(rec.Method) || len(rec.Host) != cap(rec.Host) || len(rec.Upstream) != cap(rec.Upstream):
		t.Fatalf("Parse(%q): a field can be appended to over the line", line)
	}
	for _, c := range rec.Method {
		if (c < 'A' || c > 'Z') && c != '-' && c != '_' {
			t.Fatalf("Parse(%q): method %q is not upper-case ASCII letters", line, rec.Method)
		}
	}
	if !rec.Time.IsZero() && rec.Time.Location().String() != "UTC" {
		t.Fatalf("Parse(%q): time %v not in UTC", line, rec.Time)
	}
}

// fuzzFormat checks one format on one line, twice: as given and with a
// trailing '\r', which must not change the result.
func fuzzFormat(t *testing.T, format string, line []byte) {
	p, err := New(format)
	if err != nil {
		t.Fatal(err)
	}
	rec := Record{Status: 777, Method: []byte("STALE"), Host: []byte("stale"), HasDuration: true}
	r := p.Parse(line, &rec)
	checkRecord(t, line, r, &rec, false)
	got := result{r, rec.Status, string(rec.Method)}
	gotFields := describe(&rec)

	bare, _ := NewFields(format, 0)
	var rec0 Record
	if r0 := bare.Parse(line, &rec0); r0 != r || rec0.Status != rec.Status {
		t.Fatalf("Parse(%q) = %v %d, but with no optional field %v %d", line, r, rec.Status, r0, rec0.Status)
	}

	crlf := make([]byte, len(line)+1)
	crlf[copy(crlf, line)] = '\r'
	q, _ := New(format)
	var rec2 Record
	r2 := q.Parse(crlf, &rec2)
	checkRecord(t, crlf, r2, &rec2, false)
	if got2 := (result{r2, rec2.Status, string(rec2.Method)}); got2 != got || describe(&rec2) != gotFields {
		t.Fatalf("Parse(%q) = %+v %s, but with a trailing CR %+v %s", line, got, gotFields, got2, describe(&rec2))
	}
}

// fuzzLines feeds the lines of data, split on '\n', to one parser of
// format and checks each result; it returns the parser.
func fuzzLines(t *testing.T, format string, data []byte) Parser {
	p, err := New(format)
	if err != nil {
		t.Fatal(err)
	}
	bare, _ := NewFields(format, 0)
	joined := strings.Contains(format, "+") || format == "auto"
	name := p.Name()
	for _, line := range bytes.Split(data, []byte("\n")) {
		rec := Record{Status: 777, Method: []byte("STALE"), HasDuration: true}
		r := p.Parse(line, &rec)
		checkRecord(t, line, r, &rec, joined)
		var rec0 Record
		if r0 := bare.Parse(line, &rec0); r0 != r || rec0.Status != rec.Status {
			t.Fatalf("Parse(%q) = %v %d, but with no optional field %v %d", line, r, rec.Status, r0, rec0.Status)
		}
		if n := p.Name(); n != name && name != "auto" && !strings.HasSuffix(name, "+auto") {
			t.Fatalf("Name() changed from %q to %q", name, n)
		} else {
			name = n
		}
	}
	return p
}

func FuzzParseCombined(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, line []byte) { fuzzFormat(t, "combined", line) })
}

func FuzzParseCommon(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, line []byte) { fuzzFormat(t, "common", line) })
}

func FuzzParseVhostCombined(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, line []byte) { fuzzFormat(t, "vhost_combined", line) })
}

func FuzzParseLighttpd(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, line []byte) { fuzzFormat(t, "lighttpd", line) })
}

func FuzzParseTraefik(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, line []byte) { fuzzFormat(t, "traefik", line) })
}

func FuzzParseIngressNginx(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, line []byte) { fuzzFormat(t, "ingress_nginx", line) })
}

func FuzzParseJSON(f *testing.F) {
	addSeeds(f)
	f.Add([]byte(`{"response":{"status":"503"},"request_time":"0.1","time":"2024-01-02T03:04:05+01:00"}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		fuzzFormat(t, "json", line)
		fuzzFormat(t, "json:response.status", line)
	})
}

func FuzzParseLogfmt(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, line []byte) { fuzzFormat(t, "logfmt", line) })
}

func FuzzParseEnvoy(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, line []byte) { fuzzFormat(t, "envoy", line) })
}

func FuzzParseHAProxy(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, line []byte) { fuzzFormat(t, "haproxy", line) })
}

func FuzzParseTraefikJSON(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, line []byte) { fuzzFormat(t, "traefik_json", line) })
}

func FuzzParseCaddy(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, line []byte) { fuzzFormat(t, "caddy", line) })
}

func FuzzParseALB(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, line []byte) { fuzzFormat(t, "alb", line) })
}

// FuzzParseIIS feeds whole inputs, headers and lines, to one parser.
func FuzzParseIIS(f *testing.F) {
	addFileSeeds(f, "iis_w3c", "#Fields: date time sc-status\n2024-01-01 00:00:00 200\n#Fields: sc-status cs-method\n404 GET\n200")
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzLines(t, "iis", data)
		for _, line := range bytes.Split(data, []byte("\n")) {
			fuzzFormat(t, "iis", line)
		}
	})
}

func FuzzParseCloudFront(f *testing.F) {
	addFileSeeds(f, "aws_cloudfront", "#Version: 1.0\n#Fields: date time sc-status\n2024-01-01\t00:00:00\t200")
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzLines(t, "cloudfront", data)
		for _, line := range bytes.Split(data, []byte("\n")) {
			fuzzFormat(t, "cloudfront", line)
		}
	})
}

const fuzzRegex = `regex:^(?P<host>\S+) \S+ \S+ \[(?P<time>[^\]]+)\] "(?P<method>[A-Z]+)? ?[^"]*" (?P<status>\S+) \S+(?: (?P<duration>[0-9.]+))?(?: (?P<upstream_status>.*))?$`

func FuzzParseRegex(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, line []byte) { fuzzFormat(t, fuzzRegex, line) })
}

const fuzzNginx = `nginx:'$remote_addr - $remote_user [$time_local] "$request" ' '$status $body_bytes_sent "$http_referer" ' '"$http_user_agent" "$http_x_forwarded_for" $request_time $upstream_status $host'`

func FuzzParseNginx(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, line []byte) {
		fuzzFormat(t, fuzzNginx, line)
		fuzzFormat(t, "nginx:"+npmProxyFormat, line)
	})
}

// FuzzNewNginx compiles fuzzed log_format strings and parses a line with
// what compiles: New never panics, and a parser it returns keeps the contract.
func FuzzNewNginx(f *testing.F) {
	f.Add(`$remote_addr - $remote_user [$time_local] "$request" $status`, []byte(`1.2.3.4 - - [10/Oct/2023:10:22:41 +0200] "GET / HTTP/1.1" 200`))
	f.Add(`'[$time_local] ' '$upstream_status $status "$request"'`, []byte(`[10/Oct/2023:10:22:41 +0200] 502, 200 : 200 200 "GET / HTTP/1.1"`))
	f.Add(`log_format main escape=json '{"s":"$status","t":"$request_time"}';`, []byte(`{"s":"200","t":"0.001"}`))
	f.Add(`${status}x$msec`, []byte(`200x1700000000.123`))
	f.Fuzz(func(t *testing.T, format string, line []byte) {
		p, err := New("nginx:" + format)
		if err != nil {
			return
		}
		var rec Record
		r := p.Parse(line, &rec)
		checkRecord(t, line, r, &rec, false)
	})
}

func FuzzParseCRI(f *testing.F) {
	addFileSeeds(f, "envoy",
		"2016-10-06T00:17:09.669794202Z stdout P 1.2.3.4 - - [10/Oct/2023:10:22:41 +0200] \"GET / HT\n2016-10-06T00:17:09.669794202Z stdout F TP/1.1\" 200 5 \"-\" \"-\"",
		"2016-10-06T00:17:09.669794202Z stderr F \n2016-10-06T00:17:09Z stdout F:x {\"status\":200}")
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzLines(t, "cri+combined", data)
		fuzzLines(t, "cri+json", data)
	})
}

func FuzzParseDocker(f *testing.F) {
	f.Add([]byte(`{"log":"1.2.3.4 - - [10/Oct/2023:10:22:41 +0200] \"GET / HT","stream":"stdout","time":"2019-01-01T11:11:11.111111111Z"}` + "\n" +
		`{"log":"TP/1.1\" 200 5 \"-\" \"\\u00e9\\ud83d\\ude00\"\n","stream":"stdout","time":"2019-01-01T11:11:11.111111111Z"}`))
	f.Add([]byte(`{"log":"{\"status\":\"404\"}\r\n","stream":"stderr","attrs":{"a":"b"},"time":"2019-01-01T11:11:11Z"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzLines(t, "docker+combined", data)
		fuzzLines(t, "docker+json", data)
	})
}

// FuzzParseAuto feeds the lines of one input, split on '\n', to one auto
// parser: besides the contract per line, it must report "auto" until it
// decides and one name after.
func FuzzParseAuto(f *testing.F) {
	for _, folder := range []string{"iis_w3c", "envoy", "caddy_json", "nginx_proxy_manager", "haproxy", "traefik_clf", "ingress_nginx"} {
		addFileSeeds(f, folder)
	}
	f.Add([]byte("garbage\n\n1.2.3.4 - - [1/Jan/2000:00:00:00 +0000] \"GET / HTTP/1.1\" 200 1\n::1 - - [x] \"-\" 400 - \"-\" \"-\""))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzLines(t, "auto", data)
	})
}

// FuzzNew makes parsers of fuzzed names: New never panics, and returns a
// parser or an error wrapping one of its sentinels.
func FuzzNew(f *testing.F) {
	for _, n := range append(Names(), corpusAllocFormats...) {
		f.Add(n)
	}
	f.Add("regex:(?P<status>")
	f.Add("cri+docker+json")
	f.Fuzz(func(t *testing.T, name string) {
		p, err := New(name)
		if (p == nil) == (err == nil) {
			t.Fatalf("New(%q) = %v, %v: want a parser or an error", name, p, err)
		}
		if p != nil {
			var rec Record
			r := p.Parse([]byte(name), &rec)
			checkRecord(t, []byte(name), r, &rec, true)
		}
	})
}
