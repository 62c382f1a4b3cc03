package classify_test

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/httpstatus-exporter/httpstatus-exporter/classify"
)

// entry200 is a valid code entry to build failing tables around.
const entry200 = "  - code: 200\n    category: success\n    meaning: {en: OK}\n"

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name     string
		yaml     string
		wantErr  error
		wantLine int
		wantText string // also in the message
	}{
		{"empty file", "", classify.ErrEmpty, 0, "empty file"},
		{"comments only", "# nothing\n", classify.ErrEmpty, 0, "empty file"},
		{"not a mapping", "- 200\n", classify.ErrInvalidValue, 1, "table must be a mapping"},
		{"syntax", "codes:\n  - code: 200\n    category: a: b\n", classify.ErrSyntax, 3, "invalid YAML: mapping values are not allowed"},
		{"two documents", "codes:\n" + entry200 + "---\ncodes: []\n", classify.ErrSyntax, 5, "second YAML document"},
		{"unknown top key", "version: 1\ncodez:\n" + entry200, classify.ErrUnknownKey, 2, `"codez" in table`},
		{"unknown entry key", "codes:\n" + entry200 + "    colour: red\n", classify.ErrUnknownKey, 5, `"colour" in code entry`},
		{"unknown meaning lang", "codes:\n  - code: 200\n    category: success\n    meaning:\n      en: OK\n      fr: Bien\n", classify.ErrUnknownKey, 6, `"fr" in meaning`},
		{"duplicate key", "codes:\n  - code: 200\n    code: 201\n    category: success\n    meaning: {en: OK}\n", classify.ErrDuplicateKey, 3, `"code" in code entry (first at line 2)`},
		{"missing codes", "version: 1\n", classify.ErrMissingKey, 1, `"codes" in table`},
		{"empty codes", "codes: []\n", classify.ErrEmpty, 1, "no codes"},
		{"codes not a list", "codes: {code: 200}\n", classify.ErrInvalidValue, 1, "codes must be a list"},
		{"missing code", "codes:\n  - category: success\n    meaning: {en: OK}\n", classify.ErrMissingKey, 2, `"code" in code entry`},
		{"null code", "codes:\n  - code:\n    category: success\n    meaning: {en: OK}\n", classify.ErrMissingKey, 2, `"code" in code entry`},
		{"missing category", "codes:\n  - code: 200\n    meaning: {en: OK}\n", classify.ErrMissingKey, 2, `"category" in code entry`},
		{"missing meaning", "codes:\n  - code: 200\n    category: success\n", classify.ErrMissingKey, 2, `"meaning" in code entry 200`},
		{"blank meanings", "codes:\n  - code: 200\n    category: success\n    meaning: {en: ' ', zh: ''}\n", classify.ErrMissingKey, 2, `"meaning" in code entry 200`},
		{"code below range", "codes:\n  - code: 99\n    category: success\n    meaning: {en: OK}\n", classify.ErrCodeRange, 2, "100-599: 99"},
		{"code above range", "codes:\n" + entry200 + "  - code: 600\n    category: server\n    meaning: {en: Odd}\n", classify.ErrCodeRange, 5, "100-599: 600"},
		{"code not decimal", "codes:\n  - code: 0x1F4\n    category: server\n    meaning: {en: OK}\n", classify.ErrInvalidValue, 2, `decimal integer, got "0x1F4"`},
		{"code a list", "codes:\n  - code: [200]\n    category: server\n    meaning: {en: OK}\n", classify.ErrInvalidValue, 2, "code must be an integer"},
		{"code huge", "codes:\n  - code: 99999999999999999999\n    category: server\n    meaning: {en: OK}\n", classify.ErrInvalidValue, 2, "decimal integer"},
		{"duplicate code", "codes:\n" + entry200 + "  - code: 201\n    category: success\n    meaning: {en: Created}\n  - code: 200\n    category: success\n    meaning: {en: Again}\n", classify.ErrDuplicateCode, 8, "200 (first at line 2)"},
		{"unknown category", "codes:\n  - code: 200\n    category: fine\n    meaning: {en: OK}\n", classify.ErrUnknownCategory, 3, `"fine" (want one of informational, success`},
		{"category case", "codes:\n  - code: 404\n    category: NotFound\n    meaning: {en: Gone}\n", classify.ErrUnknownCategory, 3, `"NotFound"`},
		{"bad version", "version: 2\ncodes:\n" + entry200, classify.ErrVersion, 1, "version 2 (want 1)"},
		{"meaning a string", "codes:\n  - code: 200\n    category: success\n    meaning: OK\n", classify.ErrInvalidValue, 4, "meaning must be a mapping"},
		{"meaning en a list", "codes:\n  - code: 200\n    category: success\n    meaning: {en: [OK]}\n", classify.ErrInvalidValue, 4, "meaning en must be a string"},
		{"entry not a mapping", "codes:\n  - 200\n", classify.ErrInvalidValue, 2, "code entry must be a mapping"},
		{"key not a string", "codes:\n" + entry200 + "    [a]: b\n", classify.ErrInvalidValue, 5, "key in code entry must be a string"},
		{"codes and ranges empty", "codes: []\nranges: []\n", classify.ErrEmpty, 1, "no codes"},
		{"ranges not a list", "ranges: {from: 520}\n", classify.ErrInvalidValue, 1, "ranges must be a list"},
		{"range below", "ranges:\n  - from: 99\n    to: 100\n    category: server\n    meaning: {en: x}\n", classify.ErrCodeRange, 2, "100-599: from 99"},
		{"range above", "ranges:\n  - from: 520\n    to: 600\n    category: server\n    meaning: {en: x}\n", classify.ErrCodeRange, 3, "100-599: to 600"},
		{"range backwards", "ranges:\n  - from: 527\n    to: 520\n    category: gateway\n    meaning: {en: x}\n", classify.ErrInvalidValue, 3, "range 527-520 ends before it starts"},
		{"range missing to", "ranges:\n  - from: 520\n    category: gateway\n    meaning: {en: x}\n", classify.ErrMissingKey, 2, `"to" in range`},
		{"range missing from", "ranges:\n  - to: 520\n    category: gateway\n    meaning: {en: x}\n", classify.ErrMissingKey, 2, `"from" in range`},
		{"range missing category", "ranges:\n  - from: 520\n    to: 527\n    meaning: {en: x}\n", classify.ErrMissingKey, 2, `"category" in range`},
		{"range missing meaning", "ranges:\n  - from: 520\n    to: 527\n    category: gateway\n", classify.ErrMissingKey, 2, `"meaning" in range 520-527`},
		{"range with code", "ranges:\n  - code: 520\n    category: gateway\n    meaning: {en: x}\n", classify.ErrUnknownKey, 2, `"code" in range (want from, to,`},
		{"code with from", "codes:\n" + entry200 + "    from: 200\n", classify.ErrUnknownKey, 5, `"from" in code entry`},
		{"range unknown category", "ranges:\n  - from: 520\n    to: 527\n    category: cdn\n    meaning: {en: x}\n", classify.ErrUnknownCategory, 4, `"cdn"`},
		{"ranges overlap", "codes:\n" + entry200 + "ranges:\n" +
			"  - from: 520\n    to: 527\n    category: gateway\n    meaning: {en: Cloudflare}\n" +
			"  - from: 530\n    to: 530\n    category: gateway\n    meaning: {en: Origin DNS}\n" +
			"  - from: 500\n    to: 520\n    category: server\n    meaning: {en: Server}\n",
			classify.ErrOverlap, 14, "overlapping range 500-520: it overlaps 520-527 at line 6"},
		{"range inside range", "ranges:\n" +
			"  - from: 500\n    to: 599\n    category: server\n    meaning: {en: Server}\n" +
			"  - from: 522\n    to: 522\n    category: gateway\n    meaning: {en: Timeout}\n",
			classify.ErrOverlap, 6, "522-522: it overlaps 500-599 at line 2"},
		{"merge key", "x: &e {category: success}\ncodes:\n  - <<: *e\n    code: 200\n", classify.ErrUnknownKey, 1, `"x" in table`},
	}
	const file = "t.yaml"
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tbl, err := classify.Parse(file, []byte(tt.yaml))
			if err == nil {
				t.Fatalf("Parse = %v, nil; want an error", tbl)
			}
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("Parse error %q does not wrap %q", err, tt.wantErr)
			}
			var pe *classify.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse error %q is not a *ParseError", err)
			}
			if pe.File != file || pe.Line != tt.wantLine {
				t.Errorf("ParseError at %s:%d, want %s:%d (%v)", pe.File, pe.Line, file, tt.wantLine, err)
			}
			prefix := file + ": "
			if tt.wantLine > 0 {
				prefix = fmt.Sprintf("%s:%d: ", file, tt.wantLine)
			}
			if msg := err.Error(); !strings.HasPrefix(msg, prefix) || !strings.Contains(msg, tt.wantText) {
				t.Errorf("error = %q, want it to start %q and contain %q", msg, prefix, tt.wantText)
			}
		})
	}
}

// rangeTable is the Cloudflare case: a span of codes with one meaning, one
// code of it documented on its own, and a class-wide range for 1xx.
const rangeTable = `
codes:
  - code: 522
    category: gateway
    meaning: {en: Connection timed out}
    description: Cloudflare could not reach the origin in time
ranges:
  - from: 520
    to: 527
    category: gateway
    meaning: {en: Cloudflare origin error, zh: Cloudflare 源站错误}
  - from: 100
    to: 199
    category: informational
    meaning: {en: Interim response}
  - from: 599
    to: 599
    category: server
    meaning: {zh: 网络超时}
`

func TestRanges(t *testing.T) {
	tbl, err := classify.Parse("cf.yaml", []byte(rangeTable))
	if err != nil {
		t.Fatal(err)
	}
	cf := func(code int) classify.Entry {
		return classify.Entry{Code: code, Category: classify.Gateway, MeaningEN: "Cloudflare origin error",
			MeaningZH: "Cloudflare 源站错误", Documented: true}
	}
	tests := []struct {
		code int
		want classify.Entry
	}{
		{519, classify.Entry{Code: 519, Category: classify.Server, MeaningEN: "Undocumented 5xx: server error",
			MeaningZH: "未记录的 5xx：服务器错误"}},
		{520, cf(520)},
		{521, cf(521)},
		// The code listed on its own wins over the range.
		{522, classify.Entry{Code: 522, Category: classify.Gateway, MeaningEN: "Connection timed out",
			Description: "Cloudflare could not reach the origin in time", Documented: true}},
		{527, cf(527)},
		{528, classify.Entry{Code: 528, Category: classify.Server, MeaningEN: "Undocumented 5xx: server error",
			MeaningZH: "未记录的 5xx：服务器错误"}},
		{100, classify.Entry{Code: 100, Category: classify.Informational, MeaningEN: "Interim response", Documented: true}},
		{199, classify.Entry{Code: 199, Category: classify.Informational, MeaningEN: "Interim response", Documented: true}},
		{599, classify.Entry{Code: 599, Category: classify.Server, MeaningZH: "网络超时", Documented: true}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, tbl.Lookup(tt.code)); diff != "" {
			t.Errorf("Lookup(%d) (-want +got):\n%s", tt.code, diff)
		}
	}
	// Documented holds every code of the ranges, once, in order.
	var codes []int
	for _, e := range tbl.Documented() {
		codes = append(codes, e.Code)
	}
	var want []int
	for c := 100; c <= 199; c++ {
		want = append(want, c)
	}
	want = append(want, 520, 521, 522, 523, 524, 525, 526, 527, 599)
	if diff := cmp.Diff(want, codes); diff != "" {
		t.Errorf("Documented codes (-want +got):\n%s", diff)
	}
	allocs := testing.AllocsPerRun(10, func() {
		for code := 0; code <= 600; code++ {
			_ = tbl.Lookup(code)
		}
	})
	if allocs != 0 {
		t.Errorf("Lookup on a table with ranges allocates %v times per 601 lookups", allocs)
	}
}

func TestParseAccepts(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want classify.Entry
	}{
		{"quoted code", "codes:\n  - code: \"418\"\n    category: client\n    meaning: {en: Teapot}\n",
			classify.Entry{Code: 418, Category: classify.Client, MeaningEN: "Teapot", Documented: true}},
		{"trimmed text", "codes:\n  - code: 418\n    category: client\n    meaning:\n      zh: |\n        茶壶。\n    description: \"  short and stout \"\n",
			classify.Entry{Code: 418, Category: classify.Client, MeaningZH: "茶壶。", Description: "short and stout", Documented: true}},
		{"anchors", "codes:\n  - code: 418\n    category: &c client\n    meaning: &m {en: Teapot}\n  - code: 419\n    category: *c\n    meaning: *m\n",
			classify.Entry{Code: 418, Category: classify.Client, MeaningEN: "Teapot", Documented: true}},
		{"flow style", `{version: 1, codes: [{code: 418, category: client, meaning: {en: Teapot}}]}`,
			classify.Entry{Code: 418, Category: classify.Client, MeaningEN: "Teapot", Documented: true}},
		{"null description", "codes:\n  - code: 418\n    category: client\n    meaning: {en: Teapot, zh: ~}\n    description:\n",
			classify.Entry{Code: 418, Category: classify.Client, MeaningEN: "Teapot", Documented: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tbl, err := classify.Parse("t.yaml", []byte(tt.yaml))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got := tbl.Lookup(tt.want.Code); got != tt.want {
				t.Errorf("Lookup(%d) = %+v, want %+v", tt.want.Code, got, tt.want)
			}
		})
	}
}

// FuzzParse checks that Parse never panics, that every error is a
// *ParseError, and that a table it accepts only documents codes 100-599
// with valid categories and a meaning, and answers every valid code.
func FuzzParse(f *testing.F) {
	seed, err := os.ReadFile("default_table.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte("codes:\n" + entry200))
	f.Add([]byte("codes:\n  - code: 600\n    category: server\n    meaning: {en: x}\n"))
	f.Add([]byte("codes: [{code: 200, category: success, meaning: {zh: 好}}, {code: 200}]"))
	f.Add([]byte("a: &a [*a]\n"))
	f.Add([]byte(rangeTable))
	f.Add([]byte("codes: []\nranges: [{from: 500, to: 599, category: server, meaning: {en: x}}, {from: 599, to: 599}]"))
	f.Add([]byte("codes:\n  - &e {code: 301, category: redirect, meaning: {en: Moved}}\n  - *e\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tbl, err := classify.Parse("fuzz.yaml", data)
		if err != nil {
			var pe *classify.ParseError
			if !errors.As(err, &pe) || pe.File != "fuzz.yaml" || pe.Line < 0 {
				t.Fatalf("Parse error %q is not a *ParseError naming the file", err)
			}
			return
		}
		docs := tbl.Documented()
		if len(docs) == 0 {
			t.Fatal("Parse accepted a table with no codes")
		}
		for i, e := range docs {
			if e.Code < classify.MinCode || e.Code > classify.MaxCode {
				t.Fatalf("Parse accepted code %d", e.Code)
			}
			if i > 0 && docs[i-1].Code >= e.Code {
				t.Fatalf("Documented not strictly sorted: %d then %d", docs[i-1].Code, e.Code)
			}
			if !e.Category.Valid() || !e.Documented || e.Meaning(classify.LangEN) == "" {
				t.Fatalf("Parse accepted entry %+v", e)
			}
		}
		for code := classify.MinCode; code <= classify.MaxCode; code++ {
			if e := tbl.Lookup(code); e.Code != code || !e.Category.Valid() || e.Meaning(classify.LangZH) == "" {
				t.Fatalf("Lookup(%d) = %+v", code, e)
			}
		}
	})
}
