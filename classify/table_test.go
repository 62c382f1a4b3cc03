package classify_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/httpstatus-exporter/httpstatus-exporter/classify"
)

func mustDefault(t testing.TB) *classify.Table {
	t.Helper()
	tbl, err := classify.Default()
	if err != nil {
		t.Fatalf("Default: %v", err)
	}
	return tbl
}

func TestDefaultLookup(t *testing.T) {
	tbl := mustDefault(t)
	if got := tbl.Name(); got != classify.DefaultName {
		t.Errorf("Name() = %q, want %q", got, classify.DefaultName)
	}
	doc := func(code int, c classify.Category, en, zh, desc string) classify.Entry {
		return classify.Entry{Code: code, Category: c, MeaningEN: en, MeaningZH: zh, Description: desc, Documented: true}
	}
	tests := []struct {
		name string
		code int
		want classify.Entry
	}{
		// Documented: the seed's codes with the contract's categories.
		{"200", 200, doc(200, classify.Success, "Task submitted", "任务提交成功", "")},
		{"201", 201, doc(201, classify.Success, "Created", "创建成功", "")},
		{"400", 400, doc(400, classify.Client, "Bad request parameters", "请求参数错误。", "Bad Request")},
		{"401", 401, doc(401, classify.Auth, "Authentication failed", "鉴权失败。", "Unauthorized")},
		{"403", 403, doc(403, classify.Permission, "No permission to access the resource", "没有权限对资源访问。", "Forbidden")},
		{"404", 404, doc(404, classify.NotFound, "Requested resource does not exist", "请求的资源不存在。", "Not Found")},
		{"500", 500, doc(500, classify.Server, "Request not completed: service error", "请求未完成。服务异常。", "Internal Server Error")},
		{"501", 501, doc(501, classify.Server, "Request not completed: the server does not support the requested function", "请求未完成。服务器不支持所请求的功能。", "Not Implemented")},
		{"502", 502, doc(502, classify.Gateway, "Request not completed: invalid response from the upstream server", "请求未完成。服务器从上游服务器收到一个无效的响应。", "Bad Gateway")},
		{"503", 503, doc(503, classify.Server, "Request not completed: system temporarily unavailable", "请求未完成。系统暂时异常。", "Service Unavailable")},
		{"504", 504, doc(504, classify.Gateway, "Gateway timeout", "网关超时。", "Gateway Timeout")},

		// Class fallbacks.
		{"100", 100, classify.Entry{Code: 100, Category: classify.Informational, MeaningEN: "Undocumented 1xx: informational", MeaningZH: "未记录的 1xx：信息响应"}},
		{"199", 199, classify.Entry{Code: 199, Category: classify.Informational, MeaningEN: "Undocumented 1xx: informational", MeaningZH: "未记录的 1xx：信息响应"}},
		{"204", 204, classify.Entry{Code: 204, Category: classify.Success, MeaningEN: "Undocumented 2xx: success", MeaningZH: "未记录的 2xx：成功"}},
		{"302", 302, classify.Entry{Code: 302, Category: classify.Redirect, MeaningEN: "Undocumented 3xx: redirection", MeaningZH: "未记录的 3xx：重定向"}},
		{"418", 418, classify.Entry{Code: 418, Category: classify.Client, MeaningEN: "Undocumented 4xx: client error", MeaningZH: "未记录的 4xx：客户端错误"}},
		{"599", 599, classify.Entry{Code: 599, Category: classify.Server, MeaningEN: "Undocumented 5xx: server error", MeaningZH: "未记录的 5xx：服务器错误"}},

		// Not statuses at all: only the code comes back.
		{"-1", -1, classify.Entry{Code: -1}},
		{"0", 0, classify.Entry{Code: 0}},
		{"99", 99, classify.Entry{Code: 99}},
		{"600", 600, classify.Entry{Code: 600}},
		{"1000", 1000, classify.Entry{Code: 1000}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tbl.Lookup(tt.code)); diff != "" {
				t.Errorf("Lookup(%d) (-want +got):\n%s", tt.code, diff)
			}
		})
	}
}

func TestDocumentedSortedAndConsistent(t *testing.T) {
	tbl := mustDefault(t)
	docs := tbl.Documented()
	var codes []int
	for _, e := range docs {
		codes = append(codes, e.Code)
		if diff := cmp.Diff(tbl.Lookup(e.Code), e); diff != "" {
			t.Errorf("Documented entry %d differs from Lookup (-lookup +documented):\n%s", e.Code, diff)
		}
	}
	want := []int{200, 201, 400, 401, 403, 404, 500, 501, 502, 503, 504}
	if diff := cmp.Diff(want, codes); diff != "" {
		t.Errorf("Documented codes (-want +got):\n%s", diff)
	}
	n := 0
	for code := classify.MinCode; code <= classify.MaxCode; code++ {
		if tbl.Lookup(code).Documented {
			n++
		}
	}
	if n != len(docs) {
		t.Errorf("Lookup reports %d documented codes, Documented returns %d", n, len(docs))
	}

	// The returned slice is the caller's.
	docs[0].MeaningEN = "changed"
	if got := tbl.Documented()[0].MeaningEN; got == "changed" {
		t.Error("changing Documented's result changed the table")
	}
}

func TestLookupDoesNotAllocate(t *testing.T) {
	tbl := mustDefault(t)
	var sink classify.Entry
	allocs := testing.AllocsPerRun(100, func() {
		for code := 0; code <= 600; code++ {
			sink = tbl.Lookup(code)
		}
	})
	if allocs != 0 {
		t.Errorf("Lookup allocates: %v allocations per 601 lookups, want 0", allocs)
	}
	_ = sink
}

func BenchmarkLookup(b *testing.B) {
	tbl := mustDefault(b)
	codes := []int{200, 201, 204, 302, 404, 418, 500, 502, 504, 599}
	var sink classify.Entry
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		sink = tbl.Lookup(codes[i%len(codes)])
	}
	_ = sink
}

func TestMeaning(t *testing.T) {
	both := classify.Entry{MeaningEN: "Gateway timeout", MeaningZH: "网关超时。"}
	enOnly := classify.Entry{MeaningEN: "Gateway timeout"}
	zhOnly := classify.Entry{MeaningZH: "网关超时。"}
	tests := []struct {
		name  string
		entry classify.Entry
		lang  string
		want  string
	}{
		{"both en", both, "en", "Gateway timeout"},
		{"both zh", both, "zh", "网关超时。"},
		{"en only asked zh", enOnly, "zh", "Gateway timeout"},
		{"en only asked en", enOnly, "en", "Gateway timeout"},
		{"zh only asked en", zhOnly, "en", "网关超时。"},
		{"zh only asked zh", zhOnly, "zh", "网关超时。"},
		{"unknown lang is en", both, "fr", "Gateway timeout"},
		{"empty lang is en", both, "", "Gateway timeout"},
		{"neither", classify.Entry{}, "zh", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.entry.Meaning(tt.lang); got != tt.want {
				t.Errorf("Meaning(%q) = %q, want %q", tt.lang, got, tt.want)
			}
		})
	}
}

func TestValidLang(t *testing.T) {
	for _, lang := range classify.Langs() {
		if !classify.ValidLang(lang) {
			t.Errorf("ValidLang(%q) = false for a member of Langs", lang)
		}
	}
	if got := classify.Langs(); got[0] != classify.LangEN {
		t.Errorf("Langs()[0] = %q, want the default %q", got[0], classify.LangEN)
	}
	for _, lang := range []string{"", "EN", "ZH", "zh-CN", "fr", " en"} {
		if classify.ValidLang(lang) {
			t.Errorf("ValidLang(%q) = true, want false", lang)
		}
	}
}

func TestCategories(t *testing.T) {
	want := []classify.Category{
		classify.Informational, classify.Success, classify.Redirect,
		classify.Client, classify.Auth, classify.Permission, classify.NotFound,
		classify.Server, classify.Gateway,
	}
	got := classify.Categories()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Categories (-want +got):\n%s", diff)
	}
	for _, c := range got {
		if !c.Valid() {
			t.Errorf("%q.Valid() = false", c)
		}
	}
	got[0] = "changed"
	if classify.Categories()[0] != classify.Informational {
		t.Error("changing Categories' result changed the set")
	}
	for _, c := range []classify.Category{"", "Success", "notfound", "not_found", "error"} {
		if c.Valid() {
			t.Errorf("%q.Valid() = true, want false", c)
		}
	}
	// Every fallback and every documented category is in the set.
	tbl := mustDefault(t)
	for code := classify.MinCode; code <= classify.MaxCode; code++ {
		if c := tbl.Lookup(code).Category; !slices.Contains(want, c) {
			t.Errorf("Lookup(%d).Category = %q, not in Categories", code, c)
		}
	}
}

func TestLoadFile(t *testing.T) {
	dir := t.TempDir()

	good := filepath.Join(dir, "good.yaml")
	writeFile(t, good, `
reference: ops wiki
codes:
  - code: 301
    category: redirect
    meaning: {zh: 已永久移动}
    description: moved
  - code: 200
    category: success
    meaning: {en: OK}
`)
	tbl, err := classify.LoadFile(good)
	if err != nil {
		t.Fatalf("LoadFile: %v", err)
	}
	if tbl.Name() != good || tbl.Reference() != "ops wiki" {
		t.Errorf("Name, Reference = %q, %q; want %q, %q", tbl.Name(), tbl.Reference(), good, "ops wiki")
	}
	want := []classify.Entry{
		{Code: 200, Category: classify.Success, MeaningEN: "OK", Documented: true},
		{Code: 301, Category: classify.Redirect, MeaningZH: "已永久移动", Description: "moved", Documented: true},
	}
	if diff := cmp.Diff(want, tbl.Documented()); diff != "" {
		t.Errorf("Documented (-want +got):\n%s", diff)
	}
	// A user table replaces the default: the seed's codes fall back.
	if e := tbl.Lookup(404); e.Documented || e.Category != classify.Client {
		t.Errorf("Lookup(404) = %+v, want the 4xx fallback", e)
	}

	_, err = classify.LoadFile(filepath.Join(dir, "missing.yaml"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("LoadFile(missing) = %v, want an error wrapping fs.ErrNotExist", err)
	}

	bad := filepath.Join(dir, "bad.yaml")
	writeFile(t, bad, "codes:\n  - code: 200\n    category: success\n    meaning: {en: OK}\n    colour: red\n")
	_, err = classify.LoadFile(bad)
	var pe *classify.ParseError
	if !errors.As(err, &pe) || pe.File != bad || pe.Line != 5 || !errors.Is(err, classify.ErrUnknownKey) {
		t.Errorf("LoadFile(bad) = %v, want a ParseError for %s line 5 wrapping ErrUnknownKey", err, bad)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
