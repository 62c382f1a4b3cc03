package exporter

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/httpstatus-exporter/httpstatus-exporter/classify"
)

func TestBackfillOpenMetrics(t *testing.T) {
	table, err := classify.Default()
	if err != nil {
		t.Fatal(err)
	}
	at := func(ts, code string) string {
		return `192.0.2.1 - - [26/Nov/2026:10:` + ts + ` +0000] "GET /x HTTP/1.1" ` + code + ` 1 "-" "-"` + "\n"
	}
	// Two files counted apart (as replay's workers do), then merged.
	a := NewBackfill("web", table, "en", time.Minute)
	fa, err := a.Open("combined")
	if err != nil {
		t.Fatal(err)
	}
	fa.Lines([]byte(at("00:10", "200") + at("00:50", "503") + "garbage\n" + at("01:05", "200")))
	fa.TooLong()
	b := NewBackfill("web", table, "en", time.Minute)
	fb, err := b.Open("combined")
	if err != nil {
		t.Fatal(err)
	}
	fb.MaxLineBytes = 200
	fb.Lines([]byte(at("02:30", "503") + strings.Repeat("x", 300) + "\n" + at("00:20", `200`)))
	a.Merge(b)
	if diff := cmp.Diff(map[int]uint64{200: 3, 503: 2}, a.Totals()); diff != "" {
		t.Errorf("totals (-want +got):\n%s", diff)
	}
	var out bytes.Buffer
	if err := a.WriteOpenMetrics(&out); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	// 10:00 is 1795687200 on 2026-11-26; samples at the end of each minute.
	for _, want := range []string{
		"# TYPE httpstatus_responses counter\n",
		`httpstatus_responses_total{source="web",code="200",category="success"} 2 1795687260` + "\n",
		`httpstatus_responses_total{source="web",code="200",category="success"} 3 1795687320` + "\n",
		`httpstatus_responses_total{source="web",code="200",category="success"} 3 1795687380` + "\n",
		`httpstatus_responses_total{source="web",code="503",category="server"} 1 1795687260` + "\n",
		`httpstatus_responses_total{source="web",code="503",category="server"} 2 1795687380` + "\n",
		`httpstatus_code_info{source="web",code="503",category="server",meaning="Request not completed: system temporarily unavailable"} 1 1795687260` + "\n",
		`httpstatus_lines_read_total{source="web"} 8 1795687380` + "\n",
		`httpstatus_lines_unparsed_total{source="web",reason="no_match"} 1 1795687380` + "\n",
		`httpstatus_lines_unparsed_total{source="web",reason="too_long"} 2 1795687380` + "\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("OpenMetrics lacks %q", want)
		}
	}
	if !strings.HasSuffix(got, "# EOF\n") {
		t.Error("OpenMetrics does not end in # EOF")
	}
	var empty bytes.Buffer
	if err := NewBackfill("web", table, "en", time.Minute).WriteOpenMetrics(&empty); err != nil || empty.String() != "# EOF\n" {
		t.Errorf("empty backfill = %q, %v", empty.String(), err)
	}
	if _, err := a.Open("nonsense"); err == nil {
		t.Error("Open accepted an unknown format")
	}
}

func TestBackfillLinesDoNotAllocate(t *testing.T) {
	table, _ := classify.Default()
	b := NewBackfill("web", table, "en", time.Minute)
	f, err := b.Open("combined")
	if err != nil {
		t.Fatal(err)
	}
	block := []byte(strings.Repeat(`192.0.2.1 - - [26/Nov/2026:10:00:10 +0000] "GET /x HTTP/1.1" 200 1 "-" "-"`+"\n"+
		`192.0.2.1 - - [26/Nov/2026:10:00:20 +0000] "GET /x HTTP/1.1" 503 1 "-" "-"`+"\n", 32))
	f.Lines(block)
	if n := testing.AllocsPerRun(100, func() { f.Lines(block) }); n != 0 {
		t.Errorf("backfill Lines allocates %v times per block, want 0", n)
	}
	if got := b.Totals(); got[200] != 102*32 || got[503] != 102*32 { // AllocsPerRun calls once more to warm up
		t.Errorf("totals = %v, want %d of each", got, 102*32)
	}
}

func TestEscapeLabel(t *testing.T) {
	if got := escapeLabel("a\"b\\c\nd"); got != `a\"b\\c\nd` {
		t.Errorf("escapeLabel = %q", got)
	}
}
