package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// cloudflareTable is a user table with a range, a code inside it listed on
// its own, and a code with a meaning in one language only.
const cloudflareTable = `reference: edge API status page
codes:
  - code: 201
    category: success
    meaning: {en: Object stored, zh: 对象已保存}
  - code: 522
    category: gateway
    meaning: {en: Connection timed out}
    description: the origin did not answer in time
ranges:
  - from: 520
    to: 527
    category: gateway
    meaning: {en: Origin error, zh: 源站错误}
`

// writeTable writes a table file in a fresh directory and returns its path.
func writeTable(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// classifyJSONOut decodes classify --output=json.
func classifyJSONOut(t *testing.T, out string) []classifyJSON {
	t.Helper()
	var got []classifyJSON
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("classify --output=json printed %q: %v", out, err)
	}
	return got
}

func TestClassifyBothLanguages(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"en first", []string{"classify", "503", "418"}, "" +
			"CODE  CATEGORY  DOCUMENTED  MEANING (EN)                                           MEANING (ZH)                DESCRIPTION\n" +
			"503   server    yes         Request not completed: system temporarily unavailable  请求未完成。系统暂时异常。  Service Unavailable\n" +
			"418   client    no          Undocumented 4xx: client error                         未记录的 4xx：客户端错误    -\n"},
		{"zh first, padded by display width", []string{"classify", "--classify.lang=zh", "503", "418"}, "" +
			"CODE  CATEGORY  DOCUMENTED  MEANING (ZH)                MEANING (EN)                                           DESCRIPTION\n" +
			"503   server    yes         请求未完成。系统暂时异常。  Request not completed: system temporarily unavailable  Service Unavailable\n" +
			"418   client    no          未记录的 4xx：客户端错误    Undocumented 4xx: client error                         -\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := runCLI(t, tc.args...)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, out); diff != "" {
				t.Errorf("stdout (-want +got):\n%s", diff)
			}
		})
	}
}

func TestClassifyJSON(t *testing.T) {
	t.Run("list is the seed table", func(t *testing.T) {
		out, err := runCLI(t, "classify", "--list", "--output=json")
		if err != nil {
			t.Fatal(err)
		}
		var want []classifyJSON
		for _, e := range seedTable {
			code, _ := parseCode(e.code)
			desc := map[string]string{"200": "", "201": "", "400": "Bad Request", "401": "Unauthorized",
				"403": "Forbidden", "404": "Not Found", "500": "Internal Server Error", "501": "Not Implemented",
				"502": "Bad Gateway", "503": "Service Unavailable", "504": "Gateway Timeout"}[e.code]
			want = append(want, classifyJSON{Code: code, Category: e.category, MeaningEN: e.en, MeaningZH: e.zh,
				Description: desc, Documented: true})
		}
		if diff := cmp.Diff(want, classifyJSONOut(t, out)); diff != "" {
			t.Errorf("classify --list --output=json (-want +got):\n%s", diff)
		}
	})
	t.Run("keys and a fallback", func(t *testing.T) {
		out, err := runCLI(t, "classify", "-o", "json", "302", "--classify.lang=zh")
		if err != nil {
			t.Fatal(err)
		}
		want := `[
  {
    "code": 302,
    "category": "redirect",
    "meaning_en": "Undocumented 3xx: redirection",
    "meaning_zh": "未记录的 3xx：重定向",
    "description": "",
    "documented": false
  }
]
`
		if diff := cmp.Diff(want, out); diff != "" {
			t.Errorf("stdout (-want +got):\n%s", diff)
		}
	})
}

// TestClassifyTableFlag looks codes up in a user table given by flag and by
// environment: exact codes win over ranges, ranges over the class.
func TestClassifyTableFlag(t *testing.T) {
	path := writeTable(t, "edge.yaml", cloudflareTable)
	want := []classifyJSON{
		{Code: 520, Category: "gateway", MeaningEN: "Origin error", MeaningZH: "源站错误", Documented: true},
		{Code: 522, Category: "gateway", MeaningEN: "Connection timed out", Description: "the origin did not answer in time", Documented: true},
		{Code: 528, Category: "server", MeaningEN: "Undocumented 5xx: server error", MeaningZH: "未记录的 5xx：服务器错误"},
		// The seed's codes are not in this table: they fall back.
		{Code: 404, Category: "client", MeaningEN: "Undocumented 4xx: client error", MeaningZH: "未记录的 4xx：客户端错误"},
	}
	args := []string{"classify", "--output=json", "520", "522", "528", "404"}

	out, err := runCLI(t, append(args, "--classify.table="+path)...)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, classifyJSONOut(t, out)); diff != "" {
		t.Errorf("with --classify.table (-want +got):\n%s", diff)
	}

	t.Run("environment", func(t *testing.T) {
		t.Setenv("HTTPSTATUS_CLASSIFY_TABLE", path)
		var stdout, stderr bytes.Buffer
		if err := run(t.Context(), args, &stdout, &stderr); err != nil {
			t.Fatalf("run: %v\n%s", err, stderr.String())
		}
		if diff := cmp.Diff(want, classifyJSONOut(t, stdout.String())); diff != "" {
			t.Errorf("with HTTPSTATUS_CLASSIFY_TABLE (-want +got):\n%s", diff)
		}
	})

	t.Run("list", func(t *testing.T) {
		out, err := runCLI(t, "classify", "--list", "--classify.table="+path)
		if err != nil {
			t.Fatal(err)
		}
		var codes []string
		for _, l := range strings.Split(strings.TrimSpace(out), "\n")[1:] {
			codes = append(codes, strings.Fields(l)[0])
		}
		want := []string{"201", "520", "521", "522", "523", "524", "525", "526", "527"}
		if diff := cmp.Diff(want, codes); diff != "" {
			t.Errorf("classify --list codes (-want +got):\n%s", diff)
		}
	})
}

// TestBadTableRefused gives every command that classifies a broken table:
// each fails, before doing anything, with the file, the line and the
// problem; run does not start.
func TestBadTableRefused(t *testing.T) {
	dir := t.TempDir()
	logPath := filepath.Join(dir, "access.log")
	if err := os.WriteFile(logPath, []byte(accessLine("200", 0)), 0o644); err != nil {
		t.Fatal(err)
	}
	tables := []struct {
		name, content string
		want          string // after "FILE:LINE: "
		line          int
	}{
		{"unknown category", "codes:\n  - code: 200\n    category: fine\n    meaning: {en: OK}\n", `classify: unknown category "fine"`, 3},
		{"duplicate code", "codes:\n  - code: 200\n    category: success\n    meaning: {en: OK}\n  - code: 200\n    category: success\n    meaning: {en: Again}\n", "classify: duplicate code 200 (first at line 2)", 5},
		{"code out of range", "codes:\n  - code: 600\n    category: server\n    meaning: {en: x}\n", "classify: code outside 100-599: 600", 2},
		{"overlapping ranges", "ranges:\n  - {from: 520, to: 527, category: gateway, meaning: {en: a}}\n  - {from: 527, to: 530, category: gateway, meaning: {en: b}}\n", "classify: overlapping range 527-530: it overlaps 520-527 at line 2", 3},
	}
	commands := map[string][]string{
		"run":          {"run", "--log.path=" + logPath, "--web.listen-address=127.0.0.1:0", "--checkpoint.file="},
		"replay":       {"replay", logPath},
		"classify":     {"classify", "200"},
		"check-config": {"check-config", "--log.path=" + logPath},
	}
	for _, tb := range tables {
		path := writeTable(t, strings.ReplaceAll(tb.name, " ", "-")+".yaml", tb.content)
		for cmdName, args := range commands {
			t.Run(tb.name+"/"+cmdName, func(t *testing.T) {
				start := time.Now()
				out, err := runCLI(t, append(args, "--classify.table="+path)...)
				if err == nil {
					t.Fatalf("%s accepted a bad table; stdout:\n%s", cmdName, out)
				}
				want := fmt.Sprintf("--classify.table: %s:%d: %s", path, tb.line, tb.want)
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error = %q\nwant it to contain %q", err, want)
				}
				if out != "" {
					t.Errorf("%s printed before failing:\n%s", cmdName, out)
				}
				if took := time.Since(start); took > 5*time.Second {
					t.Errorf("%s took %s to refuse the table", cmdName, took)
				}
			})
		}
	}

	t.Run("missing file", func(t *testing.T) {
		missing := filepath.Join(dir, "nope.yaml")
		_, err := runCLI(t, "run", "--log.path="+logPath, "--checkpoint.file=", "--classify.table="+missing)
		if err == nil || !strings.Contains(err.Error(), "--classify.table") || !strings.Contains(err.Error(), missing) {
			t.Errorf("run with a missing table = %v, want an error naming --classify.table and %s", err, missing)
		}
	})
}

// TestRunWithTable runs the exporter in-process with --classify.table: the
// scrape carries the table's meanings, and every code it documents (the
// range's included) has a series from the start.
func TestRunWithTable(t *testing.T) {
	dir := t.TempDir()
	logPath := filepath.Join(dir, "access.log")
	if err := os.WriteFile(logPath, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	path := writeTable(t, "edge.yaml", cloudflareTable)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	stderr, done := runInProcess(ctx, "run", "--log.path="+logPath, "--web.listen-address=127.0.0.1:0",
		"--checkpoint.file=", "--tail.from=start", "--tail.poll-interval=20ms",
		"--classify.table="+path, "--classify.lang=zh")
	addr := waitListening(t, stderr, done)
	c := newClient(nil)
	appendFile(t, logPath, accessLine("201", 0)+accessLine("523", 1)+accessLine("404", 2))

	var f families
	waitFor(t, 10*time.Second, "three lines counted", func() (bool, string) {
		var err error
		f, err = scrape(c, "http://"+addr+"/metrics")
		if err != nil {
			return false, err.Error()
		}
		got := f.series("httpstatus_responses_total", "code")
		return got["201"]+got["523"]+got["404"] == 3, fmt.Sprintf("responses_total = %v", got)
	})
	cancel()
	if err := <-done; err != nil {
		t.Errorf("run = %v\nstderr:\n%s", err, stderr.String())
	}

	wantResponses := map[string]float64{"201": 1, "404": 1, "520": 0, "521": 0, "522": 0, "523": 1, "524": 0,
		"525": 0, "526": 0, "527": 0}
	if diff := cmp.Diff(wantResponses, f.series("httpstatus_responses_total", "code")); diff != "" {
		t.Errorf("httpstatus_responses_total by code (-want +got):\n%s", diff)
	}
	meanings := map[string]string{}
	for _, m := range f["httpstatus_code_info"].GetMetric() {
		meanings[labelValue(m, "code")] = labelValue(m, "category") + " " + labelValue(m, "meaning")
	}
	for code, want := range map[string]string{
		"201": "success 对象已保存",
		"522": "gateway Connection timed out", // no zh meaning: the en one
		"523": "gateway 源站错误",
		"404": "client 未记录的 4xx：客户端错误",
	} {
		if meanings[code] != want {
			t.Errorf("code_info{code=%q} = %q, want %q", code, meanings[code], want)
		}
	}
}
