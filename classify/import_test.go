package classify_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/httpstatus-exporter/httpstatus-exporter/classify"
)

// row is what a test expects of one imported entry.
type row struct {
	Code        int
	Category    classify.Category
	Inferred    bool
	EN, ZH      string
	Description string
	Line        int
}

func rows(im *classify.Imported) []row {
	var out []row
	for _, e := range im.Entries {
		out = append(out, row{e.Code, e.Category, e.Inferred, e.MeaningEN, e.MeaningZH, e.Description, e.Line})
	}
	return out
}

func TestImport(t *testing.T) {
	tests := []struct {
		name     string
		page     string
		want     []row
		warnings []string // each in one warning, in order
	}{
		{
			name: "seed layout: 返回值/说明, code with reason phrase",
			page: `# 状态码
**表 2**  异常返回值
<table><thead align="left"><tr><th><p>返回值</p>
</th><th><p>说明</p></th></tr></thead>
<tbody><tr><td><p><a name="x"></a>400 Bad Request</p>
</td><td><p>请求参数错误。</p></td></tr>
<tr><td><p>504 Gateway Timeout</p></td><td><p>网关超时。</p></td></tr>
</tbody></table>`,
			want: []row{
				{400, classify.Client, true, "", "请求参数错误。", "Bad Request", 5},
				{504, classify.Gateway, true, "", "网关超时。", "Gateway Timeout", 7},
			},
		},
		{
			name: "Returned Value/Description, entities and breaks",
			page: `<table>
<tr><th>Returned Value</th><th>Description</th></tr>
<tr><td>200</td><td>Task submitted &amp; queued.<br>Poll it.</td></tr>
<tr><td>401</td><td>  Authentication
   failed.  </td></tr>
</table>`,
			want: []row{
				{200, classify.Success, true, "Task submitted & queued. Poll it.", "", "", 3},
				{401, classify.Auth, true, "Authentication failed.", "", "", 4},
			},
		},
		{
			name: "three columns Status Code/Type/Description",
			page: `<table><thead><tr><th>Status Code</th><th>Type</th><th>Description</th></tr></thead>
<tbody>
<tr><td>100</td><td>Continue</td><td>继续请求。</td></tr>
<tr><td>403</td><td>Forbidden</td><td>Access denied.</td></tr>
<tr><td>502</td><td>Bad Gateway</td><td>Bad upstream response.</td></tr>
</tbody></table>`,
			want: []row{
				{100, classify.Informational, true, "", "继续请求。", "Continue", 3},
				{403, classify.Permission, true, "Access denied.", "", "Forbidden", 4},
				{502, classify.Gateway, true, "Bad upstream response.", "", "Bad Gateway", 5},
			},
		},
		{
			name: "Markdown with markup, escaped pipe, code span",
			page: "## Errors\n\n| Code | Meaning |\n|:---|---|\n| `404` | **Not** found \\| gone |\n" +
				"| 302 | See [the docs](https://example.com) |\n| 4xx | Other client errors |\n\nAfter the table.\n",
			want: []row{
				{404, classify.NotFound, true, "Not found | gone", "", "", 5},
				{302, classify.Redirect, true, "See the docs", "", "", 6},
			},
			warnings: []string{`page:7: row skipped: "4xx" is not a status code`},
		},
		{
			name: "headerless table, code and phrase only",
			page: "<table><tr><td>418 I'm a teapot</td></tr><tr><td>HTTP 429 - Too Many Requests</td></tr><tr><td>451</td></tr></table>",
			want: []row{
				{418, classify.Client, true, "I'm a teapot", "", "", 1},
				{429, classify.Client, true, "Too Many Requests", "", "", 1},
			},
			warnings: []string{"page:1: row skipped: code 451 has no meaning"},
		},
		{
			name: "category column, bilingual meanings, extra column",
			page: "| 状态码 | Category | 说明 | Description | Action |\n|---|---|---|---|---|\n" +
				"| 503 | gateway | 服务不可用 | Service unavailable | Retry later |\n" +
				"| 500 | Server Error | 服务异常 | Server error | |\n",
			want: []row{
				{503, classify.Gateway, false, "Service unavailable", "服务不可用", "Action: Retry later", 3},
				{500, classify.Server, true, "Server error", "服务异常", "", 4},
			},
			warnings: []string{`page:4: category "Server Error" of code 500 is not one of`},
		},
		{
			name: "duplicates keep the first; spans and other text skipped",
			page: "| Status | Description |\n|---|---|\n| 404 (Not Found) | First |\n| 520-527 | Cloudflare |\n| 404 | Second |\n",
			want: []row{
				{404, classify.NotFound, true, "First", "", "Not Found", 3},
			},
			warnings: []string{`page:4: row skipped: "520-527"`, "page:5: code 404 again (first at line 3)"},
		},
		{
			name: "a bilingual page: the same code's other language is merged",
			page: "| Code | Description |\n|---|---|\n| 404 Not Found | Missing |\n| 409 | Conflict |\n\n" +
				"| 状态码 | 说明 |\n|---|---|\n| 404 Not Found | 不存在 |\n| 409 | 冲突 |\n| 409 | 又冲突 |\n",
			want: []row{
				{404, classify.NotFound, true, "Missing", "不存在", "Not Found", 3},
				{409, classify.Client, true, "Conflict", "冲突", "", 4},
			},
			warnings: []string{"page:10: code 409 again (first at line 4): kept the first"},
		},
		{
			name: "codes as row headers",
			page: "<table><tr><th>Code</th><th>Meaning</th></tr>\n<tr><th scope=row>200</th><td>OK</td></tr>\n<tr><th>207</th><td>Multi-status</td></tr></table>",
			want: []row{
				{200, classify.Success, true, "OK", "", "", 2},
				{207, classify.Success, true, "Multi-status", "", "", 3},
			},
		},
		{
			name: "rowspan and colspan keep columns in place",
			page: `<table>
<tr><th>Code</th><th>Case</th><th>Meaning</th></tr>
<tr><td rowspan="2">409</td><td>Conflict A</td><td>Version conflict</td></tr>
<tr><td>Conflict B</td><td>Name taken</td></tr>
<tr><td colspan="2">410</td><td>Gone for good</td></tr>
</table>`,
			want: []row{
				{409, classify.Client, true, "Version conflict", "", "Case: Conflict A", 3},
				{410, classify.Client, true, "Gone for good", "", "", 5},
			},
			warnings: []string{"page:4: code 409 again (first at line 3)"},
		},
		{
			name: "not status tables: parameters, code blocks; nested table found",
			page: "| Parameter | Description |\n|---|---|\n| limit | 100 at most |\n| page | from 1 |\n\n" +
				"```\n| Code | Meaning |\n|---|---|\n| 500 | in a code block |\n```\n" +
				"<table><tr><th>Field</th><th>Value</th></tr><tr><td>codes</td><td>\n" +
				"<table><tr><th>Code</th><th>Meaning</th></tr><tr><td>201</td><td>Created</td></tr></table>\n" +
				"</td></tr></table>\n<script>document.write('<table><tr><td>500</td><td>x</td></tr></table>')</script>",
			want: []row{
				{201, classify.Success, true, "Created", "", "", 12},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			im, err := classify.Import("page", []byte(tt.page))
			if err != nil {
				t.Fatalf("Import: %v", err)
			}
			if diff := cmp.Diff(tt.want, rows(im)); diff != "" {
				t.Errorf("entries (-want +got):\n%s", diff)
			}
			if len(im.Warnings) != len(tt.warnings) {
				t.Errorf("warnings = %q, want %d like %q", im.Warnings, len(tt.warnings), tt.warnings)
			} else {
				for i, w := range tt.warnings {
					if !strings.HasPrefix(im.Warnings[i], w) && !strings.Contains(im.Warnings[i], w) {
						t.Errorf("warning %d = %q, want it to contain %q", i, im.Warnings[i], w)
					}
				}
			}
			mustLoad(t, im)
		})
	}
}

// mustLoad checks the importer's promise: its YAML loads, and says what the
// import read.
func mustLoad(t *testing.T, im *classify.Imported) *classify.Table {
	t.Helper()
	out, err := im.YAML()
	if err != nil {
		t.Fatalf("YAML: %v", err)
	}
	tbl, err := classify.Parse("imported.yaml", out)
	if err != nil {
		t.Fatalf("the imported YAML does not load: %v\n%s", err, out)
	}
	var want []classify.Entry
	for _, e := range im.Entries {
		want = append(want, e.Entry)
	}
	got := tbl.Documented()
	// Documented is sorted by code, the import is in page order.
	byCode := map[int]classify.Entry{}
	for _, e := range got {
		byCode[e.Code] = e
	}
	if len(got) != len(want) {
		t.Errorf("the imported YAML documents %d codes, the import read %d", len(got), len(want))
	}
	for _, w := range want {
		if diff := cmp.Diff(w, byCode[w.Code]); diff != "" {
			t.Errorf("code %d in the YAML (-import +loaded):\n%s", w.Code, diff)
		}
	}
	return tbl
}

func TestImportErrors(t *testing.T) {
	for name, page := range map[string]string{
		"empty":           "",
		"prose":           "# Status codes\n\nWe return 200 when it works and 500 when it does not.\n",
		"parameter table": "| Name | Value |\n|---|---|\n| retries | 3 |\n",
		"only spans":      "<table><tr><th>Code</th><th>Meaning</th></tr><tr><td>5xx</td><td>Server</td></tr></table>",
	} {
		t.Run(name, func(t *testing.T) {
			im, err := classify.Import("page.md", []byte(page))
			if !errors.Is(err, classify.ErrNoTable) || !strings.HasPrefix(err.Error(), "page.md: ") {
				t.Errorf("Import = %v, %v; want an error naming page.md and wrapping ErrNoTable", im, err)
			}
		})
	}
}

func TestImportYAMLComments(t *testing.T) {
	page := "Errors of the v2 API\n\n| Code | Category | Meaning |\n|---|---|---|\n| 404 | | Missing |\n| 410 | not-found | Gone |\n| 404 | | Again |\n"
	im, err := classify.Import("/docs/v2/errors.md", []byte(page))
	if err != nil {
		t.Fatal(err)
	}
	out, err := im.YAML()
	if err != nil {
		t.Fatal(err)
	}
	want := `# Status table imported by ` + "`exporter import-table`" + ` from errors.md.
# Review it before use (--classify.table=FILE): categories marked
# "inferred" were guessed from the code; meanings are the page's text.
version: 1
reference: errors.md
codes:
  # table 1, line 3: Errors of the v2 API
  # code 404 is listed again at line 7: the first row is kept
  - code: 404
    category: not-found # inferred from the code: review
    meaning:
      en: Missing
  - code: 410
    category: not-found
    meaning:
      en: Gone
`
	if diff := cmp.Diff(want, string(out)); diff != "" {
		t.Errorf("YAML (-want +got):\n%s", diff)
	}
}

// TestImportYAMLNotesBounded: a page listing a code in many tables gets a
// few comments for it, not one per table.
func TestImportYAMLNotesBounded(t *testing.T) {
	var page strings.Builder
	for i := range 6 {
		fmt.Fprintf(&page, "| Code | Meaning |\n|---|---|\n| 400 | Bad input %d |\n\n", i)
	}
	im, err := classify.Import("api.md", []byte(page.String()))
	if err != nil {
		t.Fatal(err)
	}
	out, err := im.YAML()
	if err != nil {
		t.Fatal(err)
	}
	want := "" +
		"  # table 1, line 1\n" +
		"  # code 400 is listed again at line 7: the first row is kept\n" +
		"  # code 400 is listed again at line 11: the first row is kept\n" +
		"  # code 400 is listed again at line 15: the first row is kept\n" +
		"  # and 2 more rows of code 400\n" +
		"  - code: 400\n"
	if !strings.Contains(string(out), want) {
		t.Errorf("YAML does not contain\n%s\ngot:\n%s", want, out)
	}
	if len(im.Warnings) != 5 {
		t.Errorf("%d warnings, want one for each of the 5 repeated rows: %q", len(im.Warnings), im.Warnings)
	}
}

// TestImportSeedMatchesDefault imports the seed page and checks that it
// gives the embedded default exactly, in every field the page has: codes,
// categories, Chinese meanings and descriptions (the reason phrases). The
// English meanings are the project's translations, not the page's: the
// import has none, and they are left out of the comparison.
func TestImportSeedMatchesDefault(t *testing.T) {
	im, err := classify.Import("seed", readSeed(t))
	if err != nil {
		t.Fatal(err)
	}
	imported := mustLoad(t, im)
	var want, got []classify.Entry
	for _, e := range mustDefault(t).Documented() {
		e.MeaningEN = ""
		want = append(want, e)
	}
	for _, e := range imported.Documented() {
		if e.MeaningEN != "" {
			t.Errorf("imported %d has an English meaning %q; the seed has none", e.Code, e.MeaningEN)
		}
		got = append(got, e)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("the seed imported differs from the embedded default (-default +imported):\n%s", diff)
	}
	if len(im.Warnings) > 0 {
		t.Errorf("importing the seed warned: %q", im.Warnings)
	}
}

// FuzzImport checks that Import never panics, and that whatever it accepts
// is printed as YAML that Parse loads, documenting exactly what it read.
func FuzzImport(f *testing.F) {
	f.Add([]byte("<table><tr><th>返回值</th><th>说明</th></tr><tr><td>400 Bad Request</td><td>请求参数错误。</td></tr></table>"))
	f.Add([]byte("| Status Code | Type | Description |\n|---|---|---|\n| 503 | Service Unavailable | Down |\n"))
	f.Add([]byte("<table><tr><td rowspan=3 colspan=2>409</td><td>x</td></tr><tr><td>y</td></tr></table>"))
	f.Add([]byte("| a | b |\n|---|---|\n| 200 | ~ |\n| 201 | null |\n| 202 | 'q' |\n| 203 | #x |\n| 204 | - |\n"))
	f.Add([]byte("<table><caption>T\u2028x</caption><tr><td>200\x00</td><td>\u0085ok\u00a0</td></tr></table>"))
	f.Add([]byte("<table><tr><td>200</td><td>\xff\xfe</td></tr>"))
	f.Fuzz(func(t *testing.T, page []byte) {
		im, err := classify.Import("fuzz", page)
		if err != nil {
			if !errors.Is(err, classify.ErrNoTable) {
				t.Fatalf("Import error %v is not ErrNoTable", err)
			}
			return
		}
		mustLoad(t, im)
	})
}
