package logformat

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// result is what a test compares: Parse's reason and the record, with the
// method as a string so that nil and "GET" print readably in diffs.
type result struct {
	Reason Reason
	Status int
	Method string
}

func parseResult(p Parser, line []byte) result {
	// Pre-filled so that a parser that forgets to reset a field shows it.
	rec := Record{Status: 999, Method: []byte("STALE")}
	r := p.Parse(line, &rec)
	return result{Reason: r, Status: rec.Status, Method: string(rec.Method)}
}

func ok(status int, method string) result { return result{Status: status, Method: method} }

func failed(r Reason) result { return result{Reason: r} }

// clfCases are lines of the common and combined formats and their
// look-alikes. Every parser of the CLF family, auto on a fresh parser
// included, must give the same result for each.
var clfCases = []struct {
	name string
	line string
	want result
}{
	// The two formats.
	{"nginx combined", `77.179.66.156 - - [25/Oct/2016:14:49:33 +0200] "GET / HTTP/1.1" 200 612 "-" "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_12_0)"`, ok(200, "GET")},
	{"apache common", `::1 - - [26/Dec/2016:16:16:29 +0200] "GET /favicon.ico HTTP/1.1" 404 209`, ok(404, "GET")},
	{"common status at end of line", `127.0.0.1 - - [26/Dec/2016:16:16:29 +0200] "GET / HTTP/1.1" 204`, ok(204, "GET")},
	{"combined with extra quoted field", `172.17.0.1 - - [29/May/2017:19:02:48 +0000] "GET /stringpatch HTTP/1.1" 404 612 "-" "Mozilla/5.0" "-"`, ok(404, "GET")},
	{"common with extra numeric field", `192.168.74.9 - - [04/Apr/2018:10:28:24 +0000] "GET /prefix HTTP/1.1" 304 - 3551 "-" "Mozilla/5.0"`, ok(304, "GET")},

	// Prefixes before the client.
	{"vhost and forwarded-for list", `example.com 10.0.0.2, 10.0.0.1, 127.0.0.1 - - [07/Dec/2016:11:05:07 +0100] "GET /ocelot HTTP/1.1" 200 571 "-" "Mozilla/5.0"`, ok(200, "GET")},
	{"vhost with port", `website.com:443 1.2.3.4 - - [25/Oct/2021:11:05:52 +0200] "GET /web/.well-known HTTP/1.1" 403 6963 "abc.com" "User-agent-string"`, ok(403, "GET")},
	{"quoted forwarded-for before the time", `example.com:80 "10.5.102.222, 175.16.199.1, 204.246.1.1" 10.2.1.185 - - [22/Jan/2016:13:18:29 +0000] "GET /assets/xxxx?q=100 HTTP/1.1" 200 25507 "-" "Amazon CloudFront"`, ok(200, "GET")},
	{"unix socket client", `example.com:80 unix: - - [26/Feb/2019:15:39:42 +0100] "hello" 400 173 "-" "-"`, ok(400, "")},

	// Clients.
	{"ipv6 client", `2001:0db8:85a3:0000:0000:8a2e:0370:7334 - - [29/Sep/2021:14:11:34 +0200] "HEAD / HTTP/1.1" 200 0 "-" "Mozilla/5.00 (Nikto/2.1.5)"`, ok(200, "HEAD")},
	{"ipv6 loopback", `::1 - - [26/Dec/2016:16:16:28 +0200] "GET / HTTP/1.1" 200 45`, ok(200, "GET")},
	{"bracketed ipv6 with port", `[2001:db8::1]:443 - - [29/Sep/2021:14:11:34 +0200] "GET / HTTP/2.0" 204 0 "-" "-"`, ok(204, "GET")},
	{"hostname client", `monitoring-server - - [29/May/2017:19:02:48 +0000] "GET /status HTTP/1.1" 200 612 "-" "Firefox/15.0a2" "-"`, ok(200, "GET")},

	// Ident and user.
	{"dash size referer and agent", `1.2.3.4 - - [10/Oct/2023:10:22:41 +0200] "GET / HTTP/1.1" 304 - "-" "-"`, ok(304, "GET")},
	{"user set", `192.168.1.1 - user123 [08/Jun/2020:08:04:43 +0000] "GET /api/login HTTP/1.1" 200 150 "-" "curl/7.68.0"`, ok(200, "GET")},
	{"user missing", `192.168.1.1 - [08/Jun/2020:08:04:43 +0000] "GET /api/test HTTP/1.1" 200 100 "-" "curl/7.68.0"`, ok(200, "GET")},
	{"ident and user missing", `192.168.202.254 [20/Jul/2009:22:59:29 +0000] "GET /vmw/vSphere/default/vmkboot.gz HTTP/1.0" 404 46210 "-" "gPXE/0.9.7"`, ok(404, "GET")},
	{"empty referer and agent", `2001:db8:1:2:3:4:5:6 - - [25/Jul/2025:10:25:21 -0400] "GET /api/v1/request/440 HTTP/3.0" 304 0 "" ""`, ok(304, "GET")},

	// Escapes.
	{"apache escaped quotes in request", `1.2.3.4 - - [17/Oct/2023:05:57:49 +1100] "GET /a\"b\" 200 HTTP/1.1" 404 12 "-" "-"`, ok(404, "GET")},
	{"apache escaped backslash and quote", `172.17.0.1 - - [29/Sep/2021:12:37:05 +0000] "GET /box.inc.php?config[\\\"sipssys\\\"]=x HTTP/1.1" 404 196`, ok(404, "GET")},
	{"apache escaped backslash closes request", `1.2.3.4 - - [17/Oct/2023:05:57:49 +1100] "GET /dir\\" 200 5 "-" "-"`, ok(200, "GET")},
	{"apache escaped quotes in agent", `1.2.3.4 - - [17/Oct/2023:05:57:49 +1100] "GET / HTTP/1.1" 200 5 "-" "Mozilla \"evil\" 404 x"`, ok(200, "GET")},
	{"nginx hex-escaped quotes", `1.2.3.4 - - [29/Jul/2023:10:26:06 -0700] "GET /a\x22b HTTP/1.1" 400 0 "-" "x\x22y"`, ok(400, "GET")},

	// Garbage in the request.
	{"tls handshake escaped", `1.2.3.4 - - [17/Oct/2023:05:57:56 +1100] "\x16\x03\x01" 400 226 "-" "-"`, ok(400, "")},
	{"tls handshake escaped with space", `1.2.3.4 - - [17/Oct/2023:05:57:49 +1100] "\x16\x03\x01\x01 \x02" 400 226 "-" "-"`, ok(400, "")},
	{"tls handshake raw bytes", "1.2.3.4 - - [17/Oct/2023:05:57:56 +1100] \"\x16\x03\x01\x00\xc8\x01\x00\x00\xc4\x03\x03 \xff\" 400 150 \"-\" \"-\"", ok(400, "")},
	{"raw nul and high bytes", "1.2.3.4 - - [17/Oct/2023:05:57:56 +1100] \"\x00\x00\xfe\xff GET\" 400 0 \"-\" \"-\"", ok(400, "")},
	{"escaped binary probe", `1.2.3.4 - - [29/Jul/2023:10:26:06 -0700] "Gh0st\xAD\x00\x00\x00\xE0" 400 157 "-" "-"`, ok(400, "")},
	{"pipe-delimited probe with brackets", `1.2.3.4 - - [29/Jul/2023:10:26:06 -0700] "lv|'|'|MARK|'|'|[endof]" 400 157 "-" "-"`, ok(400, "")},
	{"dash request", `::1 - - [26/Dec/2016:16:16:48 +0200] "-" 408 -`, ok(408, "")},
	{"empty request", `127.0.0.1 - - [12/Apr/2018:09:48:40 +0200] "" 400 0 "-" "-"`, ok(400, "")},

	// Line endings.
	{"crlf combined", "1.2.3.4 - - [10/Oct/2023:10:22:41 +0200] \"GET / HTTP/1.1\" 200 157 \"-\" \"x\"\r", ok(200, "GET")},
	{"crlf status at end", "1.2.3.4 - - [10/Oct/2023:10:22:41 +0200] \"GET / HTTP/1.1\" 200\r", ok(200, "GET")},
	{"crlf bad status", "1.2.3.4 - - [10/Oct/2023:10:22:41 +0200] \"GET / HTTP/1.1\" 20\r", failed(ReasonBadStatus)},

	// Quotes the writer did not escape.
	{"raw quote in request", `1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET /foo"bar HTTP/1.0" 200 123 "-" "-"`, ok(200, "GET")},
	{"raw quote and space in request", `1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET /a" b HTTP/1.0" 302 0 "-" "-"`, ok(302, "GET")},
	{"bracket in request without time", `1.2.3.4 "GET /a[1] HTTP/1.1" 200 5`, ok(200, "GET")},
	{"bracketed field after the status", `1.2.3.4 "GET / HTTP/1.1" 200 5 [10/Oct/2023:10:22:41 +0200]`, ok(200, "GET")},

	// Methods.
	{"webdav method", `1.2.3.4 - - [10/Oct/2023:10:22:41 +0200] "PROPFIND /dav/ HTTP/1.1" 207 512 "-" "-"`, ok(207, "PROPFIND")},
	{"lower-case method", `1.2.3.4 - - [10/Oct/2023:10:22:41 +0200] "get / HTTP/1.1" 400 0 "-" "-"`, ok(400, "")},
	{"digit in method", `1.2.3.4 - - [10/Oct/2023:10:22:41 +0200] "G3T / HTTP/1.1" 400 0 "-" "-"`, ok(400, "")},
	{"one word request", `1.2.3.4 - - [29/Jul/2023:10:26:06 -0700] "HELP" 400 157 "-" "-"`, ok(400, "")},
	{"leading space in request", `1.2.3.4 - - [10/Oct/2023:10:22:41 +0200] " GET / HTTP/1.1" 400 0 "-" "-"`, ok(400, "")},

	// Statuses at the edges.
	{"status 100", `1.2.3.4 - - [10/Oct/2023:10:22:41 +0200] "GET / HTTP/1.1" 100 0`, ok(100, "GET")},
	{"status 599", `1.2.3.4 - - [10/Oct/2023:10:22:41 +0200] "GET / HTTP/1.1" 599 0`, ok(599, "GET")},
	{"nginx 499", `1.2.3.4 - - [10/Oct/2023:10:22:41 +0200] "POST /upload HTTP/1.1" 499 0 "-" "-"`, ok(499, "POST")},

	// A status field that is there but not a status.
	{"status dash", `1.2.3.4 - - [10/Oct/2023:10:22:41 +0200] "GET / HTTP/1.1" - 0 "-" "-"`, failed(ReasonBadStatus)},
	{"status 0", `1.2.3.4 - - [10/Oct/2023:10:22:41 +0200] "GET / HTTP/1.1" 0 0 "-" "-"`, failed(ReasonBadStatus)},
	{"status 000", `1.2.3.4 - - [10/Oct/2023:10:22:41 +0200] "GET / HTTP/1.1" 000 0 "-" "-"`, failed(ReasonBadStatus)},
	{"status 2000", `1.2.3.4 - - [10/Oct/2023:10:22:41 +0200] "GET / HTTP/1.1" 2000 0 "-" "-"`, failed(ReasonBadStatus)},
	{"status 20", `1.2.3.4 - - [10/Oct/2023:10:22:41 +0200] "GET / HTTP/1.1" 20 0 "-" "-"`, failed(ReasonBadStatus)},
	{"status abc", `1.2.3.4 - - [10/Oct/2023:10:22:41 +0200] "GET / HTTP/1.1" abc 0 "-" "-"`, failed(ReasonBadStatus)},
	{"status 600", `1.2.3.4 - - [10/Oct/2023:10:22:41 +0200] "GET / HTTP/1.1" 600 0 "-" "-"`, failed(ReasonBadStatus)},
	{"status 099", `1.2.3.4 - - [10/Oct/2023:10:22:41 +0200] "GET / HTTP/1.1" 099 0 "-" "-"`, failed(ReasonBadStatus)},
	{"status at end of line 2000", `1.2.3.4 - - [10/Oct/2023:10:22:41 +0200] "GET / HTTP/1.1" 2000`, failed(ReasonBadStatus)},
	// A bad status must not be replaced by a number found further on.
	{"status dash then numbers", `1.2.3.4 - - [10/Oct/2023:10:22:41 +0200] "GET / HTTP/1.1" - 0 "-" "ua" 512 0.003`, failed(ReasonBadStatus)},
	{"status 000 then quoted status", `1.2.3.4 - - [10/Oct/2023:10:22:41 +0200] "GET / HTTP/1.1" 000 0 "-" "x" 200 1`, failed(ReasonBadStatus)},

	// Lines of other kinds.
	{"apache error log", `[Thu Oct 13 12:24:49.880562 2022] [auth_basic:error] [pid 10:tid 140120579262208] [client 31.33.58.75:50229] AH01618: user sss not found: /`, failed(ReasonNoMatch)},
	{"apache error log ssl", `[Wed Apr 16 16:09:40.056610 2025] [ssl:info] [pid 120974:tid 120974] (70014)End of file found: [client 192.168.1.1:17036] AH02006: SSL handshake stopped: connection was closed`, failed(ReasonNoMatch)},
	{"nginx error log", `2021/12/01 13:53:33 [error] 31#31: *46 "/usr/share/nginx/html/market/index.html" is not found (2: No such file or directory), client: 172.17.0.1, server: localhost, request: "GET /market/ HTTP/1.1", host: "localhost"`, failed(ReasonNoMatch)},
	{"w3c header", `#Fields: date time s-ip cs-method cs-uri-stem sc-status`, failed(ReasonNoMatch)},
	{"json line", `{"status":200,"method":"GET"}`, failed(ReasonNoMatch)},
	{"garbage", `garbage`, failed(ReasonNoMatch)},
	{"lone quote", `"`, failed(ReasonNoMatch)},
	{"quote then status only", `" 200`, failed(ReasonNoMatch)},
	{"unterminated request", `1.2.3.4 - - [10/Oct/2023:10:22:41 +0200] "GET / HTTP/1.1`, failed(ReasonNoMatch)},
	{"truncated after request", `1.2.3.4 - - [10/Oct/2023:10:22:41 +0200] "GET / HTTP/1.1"`, failed(ReasonNoMatch)},
	{"truncated after space", `1.2.3.4 - - [10/Oct/2023:10:22:41 +0200] "GET / HTTP/1.1" `, failed(ReasonBadStatus)},
	{"quoted word and number without time", `foo "bar" 2000`, failed(ReasonNoMatch)},
	{"time without request", `1.2.3.4 - - [10/Oct/2023:10:22:41 +0200] GET / 200`, failed(ReasonNoMatch)},

	// Blank lines.
	{"empty", "", failed(ReasonEmpty)},
	{"spaces", "   ", failed(ReasonEmpty)},
	{"tabs spaces cr", "\t \t\r", failed(ReasonEmpty)},
	{"cr", "\r", failed(ReasonEmpty)},
	{"crcr", "\r\r", failed(ReasonEmpty)},
}

// autoCLF are the clfCases auto reads otherwise, having other formats to
// choose from.
var autoCLF = map[string]result{
	"w3c header": failed(ReasonHeader),
	"json line":  ok(200, "GET"),
}

func TestParseCLF(t *testing.T) {
	for _, format := range []string{"combined", "common", "auto"} {
		t.Run(format, func(t *testing.T) {
			for _, tc := range clfCases {
				t.Run(tc.name, func(t *testing.T) {
					p, err := New(format)
					if err != nil {
						t.Fatal(err)
					}
					got := parseResult(p, []byte(tc.line))
					want := tc.want
					if w, ok := autoCLF[tc.name]; ok && format == "auto" {
						want = w
					}
					if diff := cmp.Diff(want, got); diff != "" {
						t.Errorf("Parse(%q) mismatch (-want +got):\n%s", tc.line, diff)
					}
				})
			}
		})
	}
}

// TestParseMethodWithinLine checks that Method points into the line and
// cannot be appended to over the bytes that follow it.
func TestParseMethodWithinLine(t *testing.T) {
	line := []byte(`1.2.3.4 - - [10/Oct/2023:10:22:41 +0200] "DELETE /x HTTP/1.1" 204 0 "-" "-"`)
	p, _ := New("combined")
	var rec Record
	if r := p.Parse(line, &rec); r != ReasonNone {
		t.Fatalf("Parse: reason %v", r)
	}
	if !within(line, rec.Method) {
		t.Fatalf("Method %q does not lie within the line", rec.Method)
	}
	if cap(rec.Method) != len(rec.Method) {
		t.Errorf("cap(Method) = %d, want %d so that append cannot overwrite the line", cap(rec.Method), len(rec.Method))
	}
}

// TestParseResetsRecord guards against a field of the previous line leaking
// into the next one when a caller reuses one Record.
func TestParseResetsRecord(t *testing.T) {
	lines := []string{
		`1.2.3.4 - - [10/Oct/2023:10:22:41 +0200] "GET / HTTP/1.1" 200 0 "-" "-"`,
		`1.2.3.4 - - [10/Oct/2023:10:22:41 +0200] "-" 408 0 "-" "-"`,
		`1.2.3.4 - - [10/Oct/2023:10:22:41 +0200] "POST / HTTP/1.1" 201 0 "-" "-"`,
		`1.2.3.4 - - [10/Oct/2023:10:22:41 +0200] "GET / HTTP/1.1" - 0 "-" "-"`,
		``,
	}
	want := []result{ok(200, "GET"), ok(408, ""), ok(201, "POST"), failed(ReasonBadStatus), failed(ReasonEmpty)}
	for _, format := range []string{"combined", "common", "auto"} {
		t.Run(format, func(t *testing.T) {
			p, _ := New(format)
			var rec Record
			var got []result
			for _, l := range lines {
				r := p.Parse([]byte(l), &rec)
				got = append(got, result{r, rec.Status, string(rec.Method)})
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("results with one reused Record (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAutoDetect(t *testing.T) {
	const (
		combined   = `1.2.3.4 - - [10/Oct/2023:10:22:41 +0200] "GET / HTTP/1.1" 200 157 "-" "x"`
		combinedNo = `1.2.3.4 - - [10/Oct/2023:10:22:41 +0200] "GET / HTTP/1.1" 304 - "https://example.com/" "x"`
		common     = `::1 - - [26/Dec/2016:16:16:29 +0200] "GET /favicon.ico HTTP/1.1" 404 209`
		commonPlus = `192.168.74.9 - - [04/Apr/2018:10:28:24 +0000] "GET /prefix HTTP/1.1" 304 - 3551 "-" "Mozilla/5.0"`
		errorLog   = `[Thu Oct 13 12:24:49.880562 2022] [auth_basic:error] [pid 10:tid 1] [client 31.33.58.75:50229] AH01618: user sss not found: /`
		badStatus  = `1.2.3.4 - - [10/Oct/2023:10:22:41 +0200] "GET / HTTP/1.1" 000 0 "-" "-"`
	)
	tests := []struct {
		name  string
		lines []string
		want  []string // Name() after each line
	}{
		{"nothing read", nil, nil},
		{"combined", []string{combined, common}, []string{"combined", "combined"}},
		{"combined with dash size", []string{combinedNo}, []string{"combined"}},
		{"combined with crlf", []string{combined + "\r"}, []string{"combined"}},
		{"common", []string{common, combined}, []string{"common", "common"}},
		{"common with trailing fields", []string{commonPlus}, []string{"common"}},
		{"unparsed lines first", []string{"", errorLog, badStatus, combined}, []string{"auto", "auto", "auto", "combined"}},
		{"never parses", []string{errorLog, "garbage"}, []string{"auto", "auto"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := New("auto")
			if err != nil {
				t.Fatal(err)
			}
			if got := p.Name(); got != "auto" {
				t.Fatalf("Name() before any line = %q, want auto", got)
			}
			var got []string
			var rec Record
			for _, l := range tc.lines {
				p.Parse([]byte(l), &rec)
				got = append(got, p.Name())
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Name() after each line (-want +got):\n%s", diff)
			}
		})
	}
}

// TestAutoFresh checks that New gives each file its own detection state.
func TestAutoFresh(t *testing.T) {
	a, _ := New("auto")
	b, _ := New("auto")
	var rec Record
	a.Parse([]byte(`::1 - - [26/Dec/2016:16:16:29 +0200] "GET / HTTP/1.1" 404 209`), &rec)
	if got := b.Name(); got != "auto" {
		t.Errorf("second auto parser Name() = %q after the first detected, want auto", got)
	}
	if got := a.Name(); got != "common" {
		t.Errorf("first auto parser Name() = %q, want common", got)
	}
}

func TestNew(t *testing.T) {
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			p, err := New(name)
			if err != nil {
				t.Fatalf("New(%q): %v", name, err)
			}
			if got := p.Name(); got != name {
				t.Errorf("New(%q).Name() = %q", name, got)
			}
			q, _ := New(name)
			// Pointers to distinct zero-size values may be equal: only
			// parsers with state need to be fresh.
			if p == q && reflect.TypeOf(p).Elem().Size() > 0 {
				t.Errorf("New(%q) returned the same Parser twice", name)
			}
		})
	}
	want := []string{"auto", "combined", "common", "vhost_combined", "json", "logfmt", "envoy", "haproxy", "traefik",
		"traefik_json", "caddy", "iis", "alb", "cloudfront", "ingress_nginx", "lighttpd"}
	if diff := cmp.Diff(want, Names()); diff != "" {
		t.Errorf("Names() (-want +got):\n%s", diff)
	}
}

func TestNewUnknown(t *testing.T) {
	for _, name := range []string{"", "Combined", "combined ", "nginx", "json-typo"} {
		t.Run(name, func(t *testing.T) {
			p, err := New(name)
			if !errors.Is(err, ErrUnknownFormat) {
				t.Fatalf("New(%q) error = %v, want one wrapping ErrUnknownFormat", name, err)
			}
			if p != nil {
				t.Errorf("New(%q) returned a Parser with its error", name)
			}
			msg := err.Error()
			if !strings.Contains(msg, `"`+name+`"`) || !strings.Contains(msg, "combined") {
				t.Errorf("error %q should name the format and the known ones", msg)
			}
			if msg != strings.ToLower(msg[:1])+msg[1:] || strings.HasSuffix(msg, ".") {
				t.Errorf("error %q should start lower case and not end with a period", msg)
			}
		})
	}
}

func TestReasonString(t *testing.T) {
	var got []string
	for _, r := range Reasons() {
		got = append(got, r.String())
	}
	want := []string{"empty", "no_match", "bad_status", "too_long", "header"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("reason labels (-want +got):\n%s", diff)
	}
	for _, r := range Reasons() {
		if !r.Unparsed() {
			t.Errorf("%v.Unparsed() = false", r)
		}
	}
	if ReasonNone.Unparsed() || ReasonContinued.Unparsed() {
		t.Error("ReasonNone and ReasonContinued must not count as unparsed")
	}
	if got := ReasonContinued.String(); got != "continued" {
		t.Errorf("ReasonContinued.String() = %q", got)
	}
	if len(Reasons()) != int(NumReasons)-2 {
		t.Errorf("Reasons() lists %d reasons, want every one but ReasonNone and ReasonContinued (%d)", len(Reasons()), NumReasons-2)
	}
	if got := Reason(200).String(); got != "unknown" {
		t.Errorf("Reason(200).String() = %q, want unknown", got)
	}
}

// TestParseAllocs proves the hot path allocates nothing, for every line of
// the unit table (the slow paths included) and every format.
func TestParseAllocs(t *testing.T) {
	lines := make([][]byte, len(clfCases))
	for i, tc := range clfCases {
		lines[i] = []byte(tc.line)
	}
	for _, format := range Names() {
		t.Run(format, func(t *testing.T) {
			p, _ := New(format)
			var rec Record
			allocs := testing.AllocsPerRun(100, func() {
				for _, l := range lines {
					p.Parse(l, &rec)
					_ = p.Name()
				}
			})
			if allocs != 0 {
				t.Errorf("%v allocations per run over %d lines, want 0", allocs, len(lines))
			}
		})
	}
}

// within reports whether sub is empty or lies inside line's bytes.
func within(line, sub []byte) bool {
	if len(sub) == 0 {
		return true
	}
	for i := 0; i+len(sub) <= len(line); i++ {
		if &line[i] == &sub[0] {
			return true
		}
	}
	return false
}
