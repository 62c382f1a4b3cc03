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
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite testdata/corpus.golden from the parser's output")

const goldenPath = "testdata/corpus.golden"

// clfFolders are the corpus folders whose files are CLF lines.
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

// corpusFiles lists the CLF corpus files as "folder/file.log", sorted.
func corpusFiles(tb testing.TB, dir string) []string {
	tb.Helper()
	var files []string
	for _, folder := range clfFolders {
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

// fileCounts is one file's entry in the golden file.
type fileCounts struct {
	Lines     int            `json:"lines"`
	Responses map[string]int `json:"responses"`          // status -> lines
	Unparsed  map[string]int `json:"unparsed,omitempty"` // reason label -> lines
	Methods   map[string]int `json:"methods,omitempty"`  // method -> lines, of parsed lines with a method
	Auto      string         `json:"auto"`               // auto's Name() after the whole file
}

func countLines(p Parser, lines [][]byte) fileCounts {
	c := fileCounts{Lines: len(lines), Responses: map[string]int{}, Unparsed: map[string]int{}, Methods: map[string]int{}}
	var rec Record
	for _, l := range lines {
		switch r := p.Parse(l, &rec); r {
		case ReasonNone:
			c.Responses[strconv.Itoa(rec.Status)]++
			if rec.Method != nil {
				c.Methods[string(rec.Method)]++
			}
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

// TestCorpusGolden parses every CLF corpus file with each CLF-family format
// and compares the counts with testdata/corpus.golden. The formats must agree
// with each other, and a line must parse the same with a trailing '\r'.
func TestCorpusGolden(t *testing.T) {
	dir := corpusDir(t)
	got := map[string]fileCounts{}
	for _, file := range corpusFiles(t, dir) {
		lines := readLines(t, filepath.Join(dir, file))
		auto, _ := New("auto")
		c := countLines(auto, lines)
		c.Auto = auto.Name()
		for _, format := range []string{"combined", "common"} {
			p, _ := New(format)
			other := countLines(p, lines)
			other.Auto = c.Auto
			if diff := cmp.Diff(c, other); diff != "" {
				t.Errorf("%s: %s counts differ from auto's (-auto +%s):\n%s", file, format, format, diff)
			}
		}
		crlf := make([][]byte, len(lines))
		for i, l := range lines {
			crlf[i] = append(l[:len(l):len(l)], '\r')
		}
		p, _ := New("combined")
		withCR := countLines(p, crlf)
		withCR.Auto = c.Auto
		if diff := cmp.Diff(c, withCR); diff != "" {
			t.Errorf("%s: counts change when lines end in CRLF (-LF +CRLF):\n%s", file, diff)
		}
		got[file] = c
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

// handCounted are files whose counts were tallied by reading them, asserted
// here so that an -update cannot make a wrong golden pass. Responses map a
// status to its lines; unparsed maps a reason to its lines.
var handCounted = []struct {
	file      string
	responses map[int]int
	unparsed  map[Reason]int
	auto      string
}{
	// 7 access lines (one with a vhost, one with a vhost:port prefix), then
	// two Apache error-log lines.
	{"apache_combined/crowdsec-apache2-logs.log", map[int]int{500: 5, 200: 1, 403: 1}, map[Reason]int{ReasonNoMatch: 2}, "combined"},
	// 11 TLS handshakes logged as "\x16\x03\x01..." 400.
	{"apache_combined/crowdsec-apache2-malformed.log", map[int]int{400: 11}, nil, "combined"},
	// First line is common (no referer/agent), so auto says common; "-" requests 408.
	{"apache_combined/beats-apache-test.log", map[int]int{404: 3, 408: 2, 200: 2}, nil, "common"},
	// Line 2 has neither ident nor user.
	{"apache_combined/lnav-bad_access_log.0.log", map[int]int{200: 2, 404: 1}, nil, "combined"},
	// Size "-" on the 304 line, an IPv6 client.
	{"apache_combined/mtail-apache-combined.log", map[int]int{200: 4, 304: 1}, nil, "combined"},
	// Line 45 has \\\" escapes inside the request; two requests without protocol got 400.
	{"apache_common/crowdsec-apache-http-probing.log", map[int]int{404: 75, 400: 2}, nil, "common"},
	// A number follows the size, the quoted fields come after it: common by the rule.
	{"apache_common/mtail-apache-common.log", map[int]int{304: 1, 200: 1, 404: 1}, nil, "common"},
	// Prefixes: vhost, vhost:port, forwarded-for lists (one quoted), "unix:".
	{"nginx_combined/beats-nginx-test-with-host.log", map[int]int{200: 6, 404: 2, 400: 2}, nil, "combined"},
	// Binary and pipe-delimited probes, all 400; 12 lines, the last without '\n'.
	{"nginx_combined/crowdsec-nginx-http-malformed.log", map[int]int{400: 12}, nil, "combined"},
	// Missing user on line 8, an nginx error-log line last.
	{"nginx_combined/crowdsec-nginx_http-logs.log", map[int]int{404: 1, 500: 4, 301: 1, 200: 2}, map[Reason]int{ReasonNoMatch: 1}, "combined"},
	// Two lines, the second without '\n'.
	{"nginx_combined/crowdsec-ipv6-postoverflow.log", map[int]int{200: 2}, nil, "combined"},
	// Large files, tallied with awk over the field after the request and
	// cross-checked by TestCorpusRegexp; one line of the Apache file has an
	// unterminated user agent.
	{"apache_combined/elastic-examples-apache_logs.log", map[int]int{200: 9126, 206: 45, 301: 164, 304: 445, 403: 2, 404: 213, 416: 2, 500: 3}, nil, "combined"},
	{"nginx_combined/lnav-shop_access_log.0.log", map[int]int{200: 938, 301: 11, 302: 20, 304: 7, 404: 24}, nil, "combined"},
}

func TestCorpusHandCounted(t *testing.T) {
	dir := corpusDir(t)
	for _, tc := range handCounted {
		t.Run(tc.file, func(t *testing.T) {
			lines := readLines(t, filepath.Join(dir, tc.file))
			p, _ := New("auto")
			responses := map[int]int{}
			unparsed := map[Reason]int{}
			var rec Record
			for _, l := range lines {
				if r := p.Parse(l, &rec); r != ReasonNone {
					unparsed[r]++
					continue
				}
				responses[rec.Status]++
			}
			if tc.unparsed == nil {
				tc.unparsed = map[Reason]int{}
			}
			if diff := cmp.Diff(tc.responses, responses); diff != "" {
				t.Errorf("responses (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.unparsed, unparsed); diff != "" {
				t.Errorf("unparsed (-want +got):\n%s", diff)
			}
			if got := p.Name(); got != tc.auto {
				t.Errorf("auto detected %q, want %q", got, tc.auto)
			}
		})
	}
}

// clfRE is the textbook CLF expression: no prefix before the client, no
// escaped quotes. It is an independent reading of the same lines.
var clfRE = regexp.MustCompile(`^\S+ \S+ \S+ \[[^\]]+\] "([^"]*)" (\d{3}) (?:\d+|-)(?: |$)`)

var methodRE = regexp.MustCompile(`^([A-Z]+) `)

// TestCorpusRegexp checks the parser against clfRE on every corpus line the
// expression matches: same status, same method. For the two large files it
// also requires the expression to match every line, so that their counts are
// confirmed line by line, not only in total.
func TestCorpusRegexp(t *testing.T) {
	dir := corpusDir(t)
	mustMatchAll := map[string]bool{
		"apache_combined/elastic-examples-apache_logs.log": true,
		"nginx_combined/lnav-shop_access_log.0.log":        true,
	}
	seen := 0
	for _, file := range corpusFiles(t, dir) {
		t.Run(file, func(t *testing.T) {
			lines := readLines(t, filepath.Join(dir, file))
			p, _ := New("combined")
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

// TestCorpusAllocs runs every corpus line through each format under
// testing.AllocsPerRun.
func TestCorpusAllocs(t *testing.T) {
	dir := corpusDir(t)
	var lines [][]byte
	for _, file := range corpusFiles(t, dir) {
		lines = append(lines, readLines(t, filepath.Join(dir, file))...)
	}
	for _, format := range Names() {
		t.Run(format, func(t *testing.T) {
			p, _ := New(format)
			var rec Record
			allocs := testing.AllocsPerRun(3, func() {
				for _, l := range lines {
					p.Parse(l, &rec)
				}
			})
			if allocs != 0 {
				t.Errorf("%v allocations per run over %d corpus lines, want 0", allocs, len(lines))
			}
		})
	}
}
