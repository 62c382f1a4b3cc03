package logformat

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite testdata/corpus.golden from the parser's output")

const goldenPath = "testdata/corpus.golden"

// npmProxyFormat is Nginx Proxy Manager's log_format "proxy" as its
// nginx.conf writes it; the folder's other lines use its "standard" format,
// nginx's combined or are nginx error-log lines.
const npmProxyFormat = `'[$time_local] $upstream_cache_status $upstream_status $status - $request_method $scheme $host "$request_uri" [Client $remote_addr] [Length $body_bytes_sent] [Gzip $gzip_ratio] [Sent-to $server] "$http_user_agent" "$http_referer"'`

// npmStandardFormat is Nginx Proxy Manager's log_format "standard".
const npmStandardFormat = `'[$time_local] $status - $request_method $scheme $host "$request_uri" [Client $remote_addr] [Length $body_bytes_sent] [Gzip $gzip_ratio] "$http_user_agent" "$http_referer"'`

// corpusFormats names the format each corpus folder's files are read with.
// A folder missing here fails TestCorpusGolden: every file is tested.
var corpusFormats = map[string]string{
	"apache_combined":     "combined",
	"apache_common":       "common",
	"apache_ssl_request":  "combined", // mod_ssl's request log has no status: no format reads one
	"apache_vhost":        "vhost_combined",
	"aws_alb":             "alb",
	"aws_cloudfront":      "cloudfront",
	"caddy_json":          "caddy",
	"envoy":               "cri+envoy", // Envoy Gateway's pod logs, as containerd writes them
	"haproxy":             "haproxy",
	"iis_w3c":             "iis",
	"ingress_nginx":       "ingress_nginx",
	"lighttpd":            "lighttpd",
	"nginx_combined":      "combined",
	"nginx_proxy_manager": "nginx:" + npmProxyFormat,
	"traefik_clf":         "traefik",
	"traefik_json":        "traefik_json",
}

// clfFolders are the corpus folders whose files are plain CLF lines.
var clfFolders = []string{"nginx_combined", "apache_combined", "apache_common"}

// corpusDir returns the folder of real access-log samples: $HTTPSTATUS_CORPUS,
// else ../../shared/corpus relative to this package. A missing corpus skips
// the caller, except in CI (CI=true), where it fails: a CI run that silently
// tested nothing would be worse than a red one.
func corpusDir(tb testing.TB) string {
	tb.Helper()
	dir := os.Getenv("HTTPSTATUS_CORPUS")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "corpus")
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("corpus folder %s is missing (set HTTPSTATUS_CORPUS): %v", dir, err)
		}
		tb.Skipf("corpus folder %s is missing (set HTTPSTATUS_CORPUS to run this test): %v", dir, err)
	}
	return dir
}

// allCorpusFiles lists every corpus file as "folder/file.log", sorted, and
// fails for a folder corpusFormats does not name.
func allCorpusFiles(tb testing.TB, dir string) []string {
	tb.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*", "*.log"))
	if err != nil {
		tb.Fatal(err)
	}
	var files []string
	for _, p := range m {
		folder := filepath.Base(filepath.Dir(p))
		if _, ok := corpusFormats[folder]; !ok {
			tb.Errorf("corpus folder %s has no format in corpusFormats", folder)
		}
		files = append(files, folder+"/"+filepath.Base(p))
	}
	if len(files) == 0 {
		tb.Fatalf("no */*.log files in %s", dir)
	}
	sort.Strings(files)
	return files
}

// corpusFiles lists the files of the given corpus folders.
func corpusFiles(tb testing.TB, dir string, folders ...string) []string {
	tb.Helper()
	var files []string
	for _, folder := range folders {
		m, err := filepath.Glob(filepath.Join(dir, folder, "*.log"))
		if err != nil {
			tb.Fatal(err)
		}
		if len(m) == 0 {
			tb.Fatalf("no *.log files in %s", filepath.Join(dir, folder))
		}
		for _, p := range m {
			files = append(files, folder+"/"+filepath.Base(p))
		}
	}
	sort.Strings(files)
	return files
}

func formatOf(file string) string { return corpusFormats[strings.SplitN(file, "/", 2)[0]] }

// readLines splits a file on '\n' the way the tailer hands lines over: the
// '\n' removed, a '\r' kept, a last line without '\n' still a line.
func readLines(tb testing.TB, path string) [][]byte {
	tb.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	lines := bytes.Split(data, []byte("\n"))
	if len(lines) > 0 && len(lines[len(lines)-1]) == 0 {
		lines = lines[:len(lines)-1]
	}
	return lines
}

// counts is what one format made of one file.
type counts struct {
	Responses map[string]int `json:"responses"`          // status -> lines
	Unparsed  map[string]int `json:"unparsed,omitempty"` // reason label -> lines
	Methods   map[string]int `json:"methods,omitempty"`  // method -> parsed lines with one
	// How many parsed lines carried each optional field.
	WithHost     int `json:"with_host,omitempty"`
	WithUpstream int `json:"with_upstream,omitempty"`
	WithDuration int `json:"with_duration,omitempty"`
	WithTime     int `json:"with_time,omitempty"`
	// The optional fields of the first parsed line, for review.
	First string `json:"first,omitempty"`
}

// fileCounts is one file's entry in the golden file.
type fileCounts struct {
	Format string  `json:"format"`
	Lines  int     `json:"lines"`
	Named  counts  `json:"named"`
	Auto   string  `json:"auto"`                  // auto's Name() after the whole file
	AutoC  *counts `json:"auto_counts,omitempty"` // auto's counts, when they differ from the named format's
}

func describe(rec *Record) string {
	var b strings.Builder
	if rec.Host != nil {
		b.WriteString(" host=" + string(rec.Host))
	}
	if rec.Upstream != nil {
		b.WriteString(" upstream=" + strconv.Quote(string(rec.Upstream)) + "/" + strconv.Itoa(rec.UpstreamStatus))
	}
	if rec.HasDuration {
		b.WriteString(" duration=" + rec.Duration.String())
	}
	if !rec.Time.IsZero() {
		b.WriteString(" time=" + rec.Time.Format(time.RFC3339Nano))
	}
	return strings.TrimSpace(b.String())
}

func countLines(p Parser, lines [][]byte) counts {
	c := counts{Responses: map[string]int{}, Unparsed: map[string]int{}, Methods: map[string]int{}}
	var rec Record
	first := true
	for _, l := range lines {
		switch r := p.Parse(l, &rec); r {
		case ReasonNone:
			c.Responses[strconv.Itoa(rec.Status)]++
			if rec.Method != nil {
				c.Methods[string(rec.Method)]++
			}
			if rec.Host != nil {
				c.WithHost++
			}
			if rec.Upstream != nil {
				c.WithUpstream++
			}
			if rec.HasDuration {
				c.WithDuration++
			}
			if !rec.Time.IsZero() {
				c.WithTime++
			}
			if first {
				c.First, first = describe(&rec), false
			}
		case ReasonContinued:
		default:
			c.Unparsed[r.String()]++
		}
	}
	if len(c.Unparsed) == 0 {
		c.Unparsed = nil
	}
	if len(c.Methods) == 0 {
		c.Methods = nil
	}
	return c
}

func mustNew(tb testing.TB, format string) Parser {
	tb.Helper()
	p, err := New(format)
	if err != nil {
		tb.Fatalf("New(%q): %v", format, err)
	}
	return p
}

// TestCorpusGolden parses every corpus file with its folder's format and
// with auto, and compares the counts with testdata/corpus.golden. A line must
// parse the same with a trailing '\r', and the CLF formats must agree.
func TestCorpusGolden(t *testing.T) {
	dir := corpusDir(t)
	got := map[string]fileCounts{}
	for _, file := range allCorpusFiles(t, dir) {
		lines := readLines(t, filepath.Join(dir, file))
		format := formatOf(file)
		named := countLines(mustNew(t, format), lines)
		auto := mustNew(t, "auto")
		ac := countLines(auto, lines)
		fc := fileCounts{Format: format, Lines: len(lines), Named: named, Auto: auto.Name()}
		if !sameCounts(named, ac) {
			fc.AutoC = &ac
		}

		crlf := make([][]byte, len(lines))
		for i, l := range lines {
			crlf[i] = append(l[:len(l):len(l)], '\r')
		}
		if diff := cmp.Diff(named, countLines(mustNew(t, format), crlf)); diff != "" {
			t.Errorf("%s: counts change when lines end in CRLF (-LF +CRLF):\n%s", file, diff)
		}
		if strings.HasPrefix(file, "apache_c") || strings.HasPrefix(file, "nginx_combined/") {
			for _, other := range []string{"combined", "common"} {
				if diff := cmp.Diff(named, countLines(mustNew(t, other), lines)); diff != "" {
					t.Errorf("%s: %s counts differ from %s's (-%s +%s):\n%s", file, other, format, format, other, diff)
				}
			}
		}
		got[file] = fc
	}

	if *update {
		data, err := json.MarshalIndent(got, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(goldenPath, append(data, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", goldenPath)
		return
	}
	data, err := os.ReadFile(goldenPath)
	if err != nil {
		t.Fatalf("%v (run go test -run TestCorpusGolden -update to create it)", err)
	}
	var want map[string]fileCounts
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatalf("%s: %v", goldenPath, err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("corpus counts differ from %s (-want +got); if the change is right, rerun with -update and review the diff:\n%s", goldenPath, diff)
	}
}

// sameCounts compares the status and reason counts of two readings.
func sameCounts(a, b counts) bool {
	return cmp.Equal(a.Responses, b.Responses) && cmp.Equal(a.Unparsed, b.Unparsed)
}

// tally is a hand count: status -> lines and reason -> lines.
type tally struct {
	responses map[int]int
	unparsed  map[Reason]int
}

// handCounted holds the counts of every corpus file, tallied by reading the
// files (cat -A, awk over the status field, a quote-aware split for the W3C
// files), not by running the parsers, and asserted here so that an -update
// cannot make a wrong golden pass. named is the count with the folder's
// format; auto the format auto detects and, when they differ, its counts.
var handCounted = []struct {
	file      string
	named     tally
	auto      string
	autoCount *tally // nil: the same as named
}{
	// apache_combined (combined)
	// First line is common (no referer/agent), so auto says common; "-" requests 408.
	{"apache_combined/beats-apache-test.log", tally{map[int]int{404: 3, 408: 2, 200: 2}, nil}, "common", nil},
	// 7 access lines (one with a vhost, one with a vhost:port prefix), then
	// two Apache error-log lines.
	{"apache_combined/crowdsec-apache2-logs.log", tally{map[int]int{500: 5, 200: 1, 403: 1}, map[Reason]int{ReasonNoMatch: 2}}, "combined", nil},
	// 11 TLS handshakes logged as "\x16\x03\x01..." 400.
	{"apache_combined/crowdsec-apache2-malformed.log", tally{map[int]int{400: 11}, nil}, "combined", nil},
	// awk over the field after the request, cross-checked by TestCorpusRegexp;
	// one line has an unterminated user agent.
	{"apache_combined/elastic-examples-apache_logs.log", tally{map[int]int{200: 9126, 206: 45, 301: 164, 304: 445, 403: 2, 404: 213, 416: 2, 500: 3}, nil}, "combined", nil},
	{"apache_combined/lnav-access_log.0.log", tally{map[int]int{200: 2, 404: 1}, nil}, "combined", nil},
	// One "-" request answered 400.
	{"apache_combined/lnav-access_log.1.log", tally{map[int]int{400: 1}, nil}, "combined", nil},
	// Line 2 has neither ident nor user.
	{"apache_combined/lnav-bad_access_log.0.log", tally{map[int]int{200: 2, 404: 1}, nil}, "combined", nil},
	// Size "-" on the 304 line, an IPv6 client.
	{"apache_combined/mtail-apache-combined.log", tally{map[int]int{200: 4, 304: 1}, nil}, "combined", nil},

	// apache_common (common)
	{"apache_common/beats-apache-darwin-2.4.23.log", tally{map[int]int{200: 2, 404: 3, 408: 1}, nil}, "common", nil},
	// Line 45 has \\\" escapes inside the request; two requests without protocol got 400.
	{"apache_common/crowdsec-apache-http-probing.log", tally{map[int]int{404: 75, 400: 2}, nil}, "common", nil},
	// A number follows the size, the quoted fields come after it: common by the rule.
	{"apache_common/mtail-apache-common.log", tally{map[int]int{304: 1, 200: 1, 404: 1}, nil}, "common", nil},

	// apache_ssl_request: "[time] client protocol cipher "request" size":
	// no status at all; no candidate reads the lines, auto stays undecided.
	{"apache_ssl_request/beats-apache-ssl-request.log", tally{nil, map[Reason]int{ReasonNoMatch: 2}}, "auto", nil},

	// apache_vhost (vhost_combined); auto reads them as combined.
	{"apache_vhost/beats-apache-test-vhost.log", tally{map[int]int{200: 1}, nil}, "combined", nil},
	// vhost:port, a named ident and user, a number after the agent.
	{"apache_vhost/lnav-regexp_access_log.0.log", tally{map[int]int{200: 2}, nil}, "combined", nil},

	// aws_alb (alb): elb_status_code is field 9.
	{"aws_alb/crowdsec-aws-alb-http-bad-user-agent.log", tally{map[int]int{200: 4}, nil}, "alb", nil},
	// WAF fixed responses (404, target "-"), redirects, the last line without '\n'.
	{"aws_alb/crowdsec-aws-alb-logs.log", tally{map[int]int{200: 6, 404: 8}, nil}, "alb", nil},

	// aws_cloudfront: two tab-separated lines without a header, sc-status field 9.
	{"aws_cloudfront/crowdsec-aws-cloudfront-logs.log", tally{map[int]int{400: 2}, nil}, "cloudfront", nil},

	// caddy_json (caddy): 7 access lines with status 0, 2×401, 1×200, a
	// reverse_proxy debug line, an empty last line.
	{"caddy_json/crowdsec-caddy-logs.log", tally{map[int]int{401: 2, 200: 1}, map[Reason]int{ReasonBadStatus: 7, ReasonNoMatch: 1, ReasonEmpty: 1}}, "caddy", nil},
	// docker compose output ("caddy  | {...}"): 4 access lines among 35 of
	// other loggers (start-up, TLS, shutdown).
	{"caddy_json/lnav-caddy_log.0.log", tally{map[int]int{304: 3, 200: 1}, map[Reason]int{ReasonNoMatch: 35}}, "caddy", nil},
	{"caddy_json/lnav-caddy_log.1.log", tally{map[int]int{200: 4}, nil}, "caddy", nil},

	// envoy (cri+envoy): containerd lines around Envoy Gateway JSON
	// (response_code) and the default text format.
	{"envoy/crowdsec-envoy-http-crawl-non_statics.log", tally{map[int]int{404: 41}, nil}, "cri+envoy", nil},
	// 6 JSON, 4 text lines, the last without '\n'.
	{"envoy/crowdsec-envoy-logs.log", tally{map[int]int{200: 4, 201: 2, 301: 2, 404: 1, 204: 1}, nil}, "cri+envoy", nil},

	// haproxy: the status follows the five timers.
	// A "Connect from" line: no HTTP status; auto stays undecided.
	{"haproxy/beats-haproxy-default-connect.log", tally{nil, map[Reason]int{ReasonNoMatch: 1}}, "auto", nil},
	// Three <NOSRV> 503s, with 0, 1 and 2 header captures; an empty last line.
	{"haproxy/beats-haproxy-httplog-no-headers.log", tally{map[int]int{503: 3}, map[Reason]int{ReasonEmpty: 1}}, "haproxy", nil},
	// One line has an extra field (the host) before the timers.
	{"haproxy/beats-haproxy.log", tally{map[int]int{200: 5, 302: 1, 304: 1, 403: 1, 404: 2}, nil}, "haproxy", nil},
	// No syslog prefix; 3 SSL handshake and heartbeat lines.
	{"haproxy/crowdsec-haproxy-logs.log", tally{map[int]int{200: 2}, map[Reason]int{ReasonNoMatch: 3}}, "haproxy", nil},
	{"haproxy/crowdsec-haproxy-nextcloud-whitelist.log", tally{map[int]int{404: 1}, nil}, "haproxy", nil},
	// 3 "Proxy ... started." lines, 13 requests, 1 SSL handshake failure.
	{"haproxy/lnav-haproxy.0.log", tally{map[int]int{200: 13}, map[Reason]int{ReasonNoMatch: 4}}, "haproxy", nil},

	// iis_w3c (iis): "#" lines are headers.
	{"iis_w3c/beats-iis-ipv6zone.log", tally{map[int]int{200: 1}, map[Reason]int{ReasonHeader: 4}}, "iis", nil},
	// Three header blocks of 15, 19 and 22 fields; the last two lines have 15
	// fields after the 22-field header: read with the first header's columns.
	{"iis_w3c/beats-iis-test.log", tally{map[int]int{200: 3, 401: 1, 404: 1}, map[Reason]int{ReasonHeader: 12}}, "iis", nil},
	{"iis_w3c/lnav-w3c.0.log", tally{map[int]int{200: 1}, map[Reason]int{ReasonHeader: 4}}, "iis", nil},
	// Oracle Web Cache: runs of spaces, quoted fields, #Date after #Fields.
	{"iis_w3c/lnav-w3c.1.log", tally{map[int]int{200: 1}, map[Reason]int{ReasonHeader: 6}}, "iis", nil},
	// Blank lines between the headers, quoted fields, a "" escape after the status.
	{"iis_w3c/lnav-w3c.3.log", tally{map[int]int{200: 1, 301: 1, 404: 1}, map[Reason]int{ReasonHeader: 4, ReasonEmpty: 3}}, "iis", nil},
	// Incapsula: every field quoted; the second line's sc-status is "".
	{"iis_w3c/lnav-w3c.4.log", tally{map[int]int{200: 1}, map[Reason]int{ReasonHeader: 4, ReasonBadStatus: 1}}, "iis", nil},
	// The header names 6 fields (no sc-status), the line has 17: no_match.
	{"iis_w3c/lnav-w3c.5.log", tally{nil, map[Reason]int{ReasonHeader: 1, ReasonNoMatch: 1}}, "iis", nil},
	// Bytes that are not UTF-8 in the agent.
	{"iis_w3c/lnav-w3c.6.log", tally{map[int]int{404: 1}, map[Reason]int{ReasonHeader: 4}}, "iis", nil},
	// 11 header blocks of 4 lines (33 directives, 11 #Fields), 210 requests.
	{"iis_w3c/lnav-w3c_big.0.log", tally{map[int]int{200: 8, 404: 202}, map[Reason]int{ReasonHeader: 44}}, "iis", nil},

	// ingress_nginx: $status after the request; upstream lists "200, 203",
	// "502, 502", "200, -" and "-".
	{"ingress_nginx/beats-ingress-controller-test.log", tally{map[int]int{200: 25, 400: 2, 502: 2}, nil}, "ingress_nginx", nil},

	// lighttpd: a number follows the size, so auto reads it as common.
	{"lighttpd/mtail-lighttpd_access.log", tally{map[int]int{200: 16, 304: 3}, nil}, "common", nil},

	// nginx_combined (combined)
	{"nginx_combined/beats-nginx-access.log", tally{map[int]int{200: 2, 206: 1, 304: 2, 404: 8}, nil}, "combined", nil},
	// Prefixes: vhost, vhost:port, forwarded-for lists (one quoted), "unix:".
	{"nginx_combined/beats-nginx-test-with-host.log", tally{map[int]int{200: 6, 404: 2, 400: 2}, nil}, "combined", nil},
	// Forwarded-for lists, one quoted; an empty request answered 400.
	{"nginx_combined/beats-nginx-test.log", tally{map[int]int{200: 4, 404: 2, 400: 1}, nil}, "combined", nil},
	// 356 lines, the last without '\n'.
	{"nginx_combined/crowdsec-http-dos-bypass-cache.log", tally{map[int]int{200: 356}, nil}, "combined", nil},
	{"nginx_combined/crowdsec-http-dos-invalid-http-versions.log", tally{map[int]int{400: 6}, nil}, "combined", nil},
	// Two lines, the second without '\n'.
	{"nginx_combined/crowdsec-ipv6-postoverflow.log", tally{map[int]int{200: 2}, nil}, "combined", nil},
	// Empty referer and agent ("" "").
	{"nginx_combined/crowdsec-jellyseerr-whitelist.log", tally{map[int]int{200: 2, 304: 3}, nil}, "combined", nil},
	// Binary and pipe-delimited probes, all 400; 12 lines, the last without '\n'.
	{"nginx_combined/crowdsec-nginx-http-malformed.log", tally{map[int]int{400: 12}, nil}, "combined", nil},
	{"nginx_combined/crowdsec-nginx-http-sqli-probing.log", tally{map[int]int{404: 16}, nil}, "combined", nil},
	// Missing user on line 8, an nginx error-log line last.
	{"nginx_combined/crowdsec-nginx_http-logs.log", tally{map[int]int{404: 1, 500: 4, 301: 1, 200: 2}, map[Reason]int{ReasonNoMatch: 1}}, "combined", nil},
	{"nginx_combined/lnav-shop_access_log.0.log", tally{map[int]int{200: 938, 301: 11, 302: 20, 304: 7, 404: 24}, nil}, "combined", nil},

	// nginx_proxy_manager (nginx: with NPM's "proxy" format): 6 proxy lines
	// (404, 304, 200, 404, 500, 302), 5 of NPM's "standard" format, a
	// combined line and 2 nginx error-log lines. auto decides for combined
	// on line 2 (line 1 reads as nothing) and then reads only that line.
	{"nginx_proxy_manager/crowdsec-nginx-proxy-manager-logs.log", tally{map[int]int{404: 2, 304: 1, 200: 1, 500: 1, 302: 1}, map[Reason]int{ReasonNoMatch: 8}},
		"combined", &tally{map[int]int{404: 1}, map[Reason]int{ReasonNoMatch: 13}}},

	// traefik_clf (traefik): one line with a stray quote in the router name.
	{"traefik_clf/beats-traefik-test.log", tally{map[int]int{304: 2}, nil}, "traefik", nil},
	// Status "-" (no response), two empty last lines.
	{"traefik_clf/crowdsec-traefik_clf.log", tally{map[int]int{200: 6}, map[Reason]int{ReasonBadStatus: 1, ReasonEmpty: 2}}, "traefik", nil},

	// traefik_json: DownstreamStatus.
	{"traefik_json/crowdsec-traefik_base-http-scenario.log", tally{map[int]int{404: 79, 400: 1}, nil}, "traefik_json", nil},
	// A plugin's DEBUG line among them.
	{"traefik_json/crowdsec-traefik_json.log", tally{map[int]int{200: 4, 204: 1, 404: 1}, map[Reason]int{ReasonNoMatch: 1}}, "traefik_json", nil},
}

// tallyLines counts the results of p over lines.
func tallyLines(p Parser, lines [][]byte) tally {
	got := tally{map[int]int{}, map[Reason]int{}}
	var rec Record
	for _, l := range lines {
		switch r := p.Parse(l, &rec); r {
		case ReasonNone:
			got.responses[rec.Status]++
		case ReasonContinued:
		default:
			got.unparsed[r]++
		}
	}
	return got
}

func (tc tally) normal() tally {
	if tc.responses == nil {
		tc.responses = map[int]int{}
	}
	if tc.unparsed == nil {
		tc.unparsed = map[Reason]int{}
	}
	return tc
}

func checkTally(t *testing.T, what string, want, got tally) {
	t.Helper()
	want = want.normal()
	if diff := cmp.Diff(want.responses, got.responses); diff != "" {
		t.Errorf("%s: responses (-want +got):\n%s", what, diff)
	}
	if diff := cmp.Diff(want.unparsed, got.unparsed); diff != "" {
		t.Errorf("%s: unparsed (-want +got):\n%s", what, diff)
	}
}

func TestCorpusHandCounted(t *testing.T) {
	dir := corpusDir(t)
	listed := map[string]bool{}
	for _, tc := range handCounted {
		listed[tc.file] = true
		t.Run(tc.file, func(t *testing.T) {
			lines := readLines(t, filepath.Join(dir, tc.file))
			format := formatOf(tc.file)
			checkTally(t, format, tc.named, tallyLines(mustNew(t, format), lines))
			auto := mustNew(t, "auto")
			want := tc.named
			if tc.autoCount != nil {
				want = *tc.autoCount
			}
			checkTally(t, "auto", want, tallyLines(auto, lines))
			if got := auto.Name(); got != tc.auto {
				t.Errorf("auto detected %q, want %q", got, tc.auto)
			}
		})
	}
	for _, file := range allCorpusFiles(t, dir) {
		if !listed[file] {
			t.Errorf("%s has no hand count in handCounted", file)
		}
	}
}

// TestCorpusNPMStandard reads the Nginx Proxy Manager file with its other
// format: the 5 lines of "standard" parse (444, 200, 404, 301, 403).
func TestCorpusNPMStandard(t *testing.T) {
	dir := corpusDir(t)
	lines := readLines(t, filepath.Join(dir, "nginx_proxy_manager/crowdsec-nginx-proxy-manager-logs.log"))
	want := tally{map[int]int{444: 1, 200: 1, 404: 1, 301: 1, 403: 1}, map[Reason]int{ReasonNoMatch: 9}}
	checkTally(t, "standard", want, tallyLines(mustNew(t, "nginx:"+npmStandardFormat), lines))
}

// clfRE is the textbook CLF expression: no prefix before the client, no
// escaped quotes. It is an independent reading of the same lines.
var clfRE = regexp.MustCompile(`^\S+ \S+ \S+ \[[^\]]+\] "([^"]*)" (\d{3}) (?:\d+|-)(?: |$)`)

var methodRE = regexp.MustCompile(`^([A-Z]+) `)

// TestCorpusRegexp checks the parser against clfRE on every CLF corpus line
// the expression matches: same status, same method; and the regex: and
// nginx: formats written for the same lines must agree with it too. For the
// two large files it also requires the expression to match every line, so
// that their counts are confirmed line by line, not only in total.
func TestCorpusRegexp(t *testing.T) {
	dir := corpusDir(t)
	mustMatchAll := map[string]bool{
		"apache_combined/elastic-examples-apache_logs.log": true,
		"nginx_combined/lnav-shop_access_log.0.log":        true,
	}
	others := []string{
		`regex:^\S+ \S+ \S+ \[(?P<time>[^\]]+)\] "(?:(?P<method>[A-Z]+) )?[^"]*" (?P<status>\d{3}) (?:\d+|-)(?: |$)`,
		`nginx:'$remote_addr $ident $remote_user [$time_local] "$request" $status $body_bytes_sent'`,
	}
	seen := 0
	for _, file := range corpusFiles(t, dir, clfFolders...) {
		t.Run(file, func(t *testing.T) {
			lines := readLines(t, filepath.Join(dir, file))
			p := mustNew(t, "combined")
			var ps []Parser
			for _, o := range others {
				ps = append(ps, mustNew(t, o))
			}
			var rec Record
			matched := 0
			reCounts, parserCounts := map[int]int{}, map[int]int{}
			for i, l := range lines {
				r := p.Parse(l, &rec)
				if r == ReasonNone {
					parserCounts[rec.Status]++
				}
				m := clfRE.FindSubmatch(l)
				if m == nil {
					continue
				}
				matched++
				status, _ := strconv.Atoi(string(m[2]))
				reCounts[status]++
				var method string
				if mm := methodRE.FindSubmatch(m[1]); mm != nil {
					method = string(mm[1])
				}
				want := ok(status, method)
				if status < 100 || status > 599 {
					want = failed(ReasonBadStatus)
				}
				got := result{Reason: r, Status: rec.Status, Method: string(rec.Method)}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("line %d: parser disagrees with the regexp (-regexp +parser):\n%s", i+1, diff)
				}
				wantTime := rec.Time
				for k, o := range ps {
					r := o.Parse(l, &rec)
					got := result{Reason: r, Status: rec.Status, Method: string(rec.Method)}
					if diff := cmp.Diff(want, got); diff != "" {
						t.Errorf("line %d: %s disagrees with the regexp (-regexp +parser):\n%s", i+1, others[k], diff)
					}
					if !rec.Time.Equal(wantTime) {
						t.Errorf("line %d: %s reads time %v, combined %v", i+1, others[k], rec.Time, wantTime)
					}
				}
			}
			if mustMatchAll[file] {
				seen++
				if matched != len(lines) {
					t.Errorf("regexp matched %d of %d lines, want all", matched, len(lines))
				}
				if diff := cmp.Diff(reCounts, parserCounts); diff != "" {
					t.Errorf("per-status counts (-regexp +parser):\n%s", diff)
				}
			}
		})
	}
	if seen != len(mustMatchAll) {
		t.Errorf("cross-checked %d of the %d large files: are they still in the corpus?", seen, len(mustMatchAll))
	}
}

// criLines writes lines as containerd does, splitting every third line of
// more than 20 bytes into partial pieces of at most 17 bytes, alternating
// stdout and stderr between lines (interleaving them inside a split line
// would change nothing: each stream has its own pieces).
func criLines(lines [][]byte) [][]byte {
	var out [][]byte
	for i, l := range lines {
		stream := "stdout"
		if i%2 == 1 {
			stream = "stderr"
		}
		prefix := "2026-01-24T01:34:36.743000000+00:00 " + stream + " "
		if i%3 == 0 && len(l) > 20 {
			for len(l) > 17 {
				out = append(out, append([]byte(prefix+"P "), l[:17]...))
				l = l[17:]
			}
		}
		out = append(out, append([]byte(prefix+"F "), l...))
	}
	return out
}

// dockerLines writes lines as Docker's json-file driver does, escaping them
// with encoding/json and splitting every third line of more than 20 bytes
// into pieces of at most 17 bytes without their newline.
func dockerLines(tb testing.TB, lines [][]byte) [][]byte {
	var out [][]byte
	add := func(piece string, stream string) {
		b, err := json.Marshal(struct {
			Log    string `json:"log"`
			Stream string `json:"stream"`
			Time   string `json:"time"`
		}{piece, stream, "2019-01-01T11:11:11.111111111Z"})
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, b)
	}
	for i, l := range lines {
		stream := "stdout"
		if i%2 == 1 {
			stream = "stderr"
		}
		s := string(l)
		if i%3 == 0 && len(s) > 20 {
			for len(s) > 17 {
				add(s[:17], stream)
				s = s[17:]
			}
		}
		add(s+"\n", stream)
	}
	return out
}

// TestCorpusWrapped wraps every corpus file as containerd and Docker would
// and checks that cri+<format>, docker+<format> and auto count it as the
// folder's format counts the file itself; continued pieces are read, not
// counted.
func TestCorpusWrapped(t *testing.T) {
	dir := corpusDir(t)
	for _, tc := range handCounted {
		format := formatOf(tc.file)
		if strings.HasPrefix(format, prefixCRI) || strings.HasPrefix(tc.file, "apache_ssl") {
			continue
		}
		t.Run(tc.file, func(t *testing.T) {
			lines := readLines(t, filepath.Join(dir, tc.file))
			for _, w := range []struct {
				prefix string
				lines  [][]byte
			}{{prefixCRI, criLines(lines)}, {prefixDocker, dockerLines(t, lines)}} {
				checkTally(t, w.prefix+format, tc.named, tallyLines(mustNew(t, w.prefix+format), w.lines))
				auto := mustNew(t, "auto")
				want := tc.named
				if tc.autoCount != nil {
					want = *tc.autoCount
				}
				checkTally(t, "auto "+w.prefix, want, tallyLines(auto, w.lines))
				wantName := tc.auto
				if wantName != "auto" {
					wantName = w.prefix + wantName
				}
				if got := auto.Name(); got != wantName {
					t.Errorf("auto detected %q, want %q", got, wantName)
				}
			}
		})
	}
}

// corpusAllocFormats are the formats TestCorpusAllocs runs, parameterised
// ones included.
var corpusAllocFormats = []string{
	"json:DownstreamStatus", "json:response.status", "logfmt:code",
	"nginx:" + npmProxyFormat,
	`nginx:$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_length $request_time [$proxy_upstream_name] [$proxy_alternative_upstream_name] $upstream_addr $upstream_response_length $upstream_response_time $upstream_status $req_id`,
	"cri+ingress_nginx", "docker+combined", "cri+auto", "docker+auto",
}

// TestCorpusAllocs runs every corpus line, and its CRI- and Docker-wrapped
// form, through each format under testing.AllocsPerRun: none may allocate.
// regex: allocates one slice per matching line (see New), asserted exactly.
func TestCorpusAllocs(t *testing.T) {
	dir := corpusDir(t)
	var lines [][]byte
	for _, file := range allCorpusFiles(t, dir) {
		lines = append(lines, readLines(t, filepath.Join(dir, file))...)
	}
	lines = append(lines, criLines(lines)...)
	lines = append(lines, dockerLines(t, lines[:len(lines)/2])...)
	for _, format := range append(Names(), corpusAllocFormats...) {
		t.Run(format, func(t *testing.T) {
			p := mustNew(t, format)
			var rec Record
			allocs := testing.AllocsPerRun(3, func() {
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
	t.Run("regex", func(t *testing.T) {
		if raceEnabled {
			t.Skip("under the race detector regexp's pooled matchers are dropped and allocated again")
		}
		p := mustNew(t, `regex:" (?P<status>\d{3}) `)
		var rec Record
		matching := 0
		for _, l := range lines {
			if p.(*regexParser).re.Match(trimCR(l)) {
				matching++
			}
		}
		allocs := testing.AllocsPerRun(3, func() {
			for _, l := range lines {
				p.Parse(l, &rec)
			}
		})
		if int(allocs) != matching {
			t.Errorf("%v allocations per run over %d lines, want %d: one per matching line", allocs, len(lines), matching)
		}
		t.Logf("regex: %v allocations over %d lines, %d of them matching", allocs, len(lines), matching)
	})
}

// TestCorpusFields checks that a parser made with NewFields gives, line for
// line, the reason and status New's gives, whichever fields it reads.
func TestCorpusFields(t *testing.T) {
	dir := corpusDir(t)
	for _, file := range allCorpusFiles(t, dir) {
		lines := readLines(t, filepath.Join(dir, file))
		lines = append(lines, criLines(lines)...)
		for _, format := range []string{formatOf(file), "auto", "cri+" + formatOf(file), "docker+auto"} {
			if strings.HasPrefix(format, "cri+cri+") {
				continue
			}
			for _, want := range []Fields{0, FieldMethod, FieldUpstream | FieldDuration, FieldTime | FieldHost} {
				p, err := NewFields(format, want)
				if err != nil {
					t.Fatal(err)
				}
				a := mustNew(t, format)
				var ra, rp Record
				for i, l := range lines {
					r1, r2 := a.Parse(l, &ra), p.Parse(l, &rp)
					if r1 != r2 || ra.Status != rp.Status {
						t.Fatalf("%s line %d, %s with fields %b: %v %d, want %v %d", file, i+1, format, want, r2, rp.Status, r1, ra.Status)
					}
					if want&FieldMethod != 0 && !bytes.Equal(ra.Method, rp.Method) {
						t.Fatalf("%s line %d, %s: method %q, want %q", file, i+1, format, rp.Method, ra.Method)
					}
					if want&FieldUpstream != 0 && (ra.UpstreamStatus != rp.UpstreamStatus || !bytes.Equal(ra.Upstream, rp.Upstream)) {
						t.Fatalf("%s line %d, %s: upstream %q, want %q", file, i+1, format, rp.Upstream, ra.Upstream)
					}
					if want&FieldDuration != 0 && (ra.Duration != rp.Duration || ra.HasDuration != rp.HasDuration) {
						t.Fatalf("%s line %d, %s: duration %v, want %v", file, i+1, format, rp.Duration, ra.Duration)
					}
					if want&FieldTime != 0 && !ra.Time.Equal(rp.Time) {
						t.Fatalf("%s line %d, %s: time %v, want %v", file, i+1, format, rp.Time, ra.Time)
					}
					if want&FieldHost != 0 && !bytes.Equal(ra.Host, rp.Host) {
						t.Fatalf("%s line %d, %s: host %q, want %q", file, i+1, format, rp.Host, ra.Host)
					}
				}
				if a.Name() != p.Name() {
					t.Errorf("%s: %s detected %q with fields %b, %q with all", file, format, p.Name(), want, a.Name())
				}
			}
		}
	}
}
