package classify_test

import (
	"errors"
	"html"
	"io/fs"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/httpstatus-exporter/httpstatus-exporter/classify"
)

// seedPath is the seed page relative to this package; HTTPSTATUS_SEED
// overrides it.
const seedPath = "../../shared/seed/000_33670f6b8678b84b.txt"

// readSeed returns the seed page. A missing seed skips the test on a
// developer's machine but fails it under CI=true or when HTTPSTATUS_SEED
// names a file explicitly.
func readSeed(t *testing.T) []byte {
	t.Helper()
	path, explicit := os.LookupEnv("HTTPSTATUS_SEED")
	if !explicit || path == "" {
		path, explicit = seedPath, false
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) && !explicit && os.Getenv("CI") != "true" {
		t.Skipf("seed page not found (%v); set HTTPSTATUS_SEED to its path", err)
	}
	if err != nil {
		t.Fatalf("read seed page: %v", err)
	}
	return data
}

var (
	seedRow  = regexp.MustCompile(`(?is)<tr\b[^>]*>(.*?)</tr>`)
	seedCell = regexp.MustCompile(`(?is)<td\b[^>]*>(.*?)</td>`)
	seedTag  = regexp.MustCompile(`(?s)<[^>]*>`)
	seedCode = regexp.MustCompile(`^(\d{3})\b`)
)

// seedMeanings extracts code -> 说明 from the seed's HTML tables. It is
// deliberately independent of the package (and of any importer): rows with
// <td> cells, first cell starting with the code, second cell the meaning.
func seedMeanings(t *testing.T, page []byte) map[int]string {
	t.Helper()
	text := func(cell string) string {
		return strings.TrimSpace(html.UnescapeString(seedTag.ReplaceAllString(cell, "")))
	}
	got := map[int]string{}
	for _, row := range seedRow.FindAllStringSubmatch(string(page), -1) {
		cells := seedCell.FindAllStringSubmatch(row[1], -1)
		if len(cells) == 0 {
			continue // a header row of <th>
		}
		if len(cells) != 2 {
			t.Fatalf("seed row has %d cells, want 2: %q", len(cells), row[0])
		}
		m := seedCode.FindStringSubmatch(text(cells[0][1]))
		if m == nil {
			t.Fatalf("seed row's first cell does not start with a code: %q", text(cells[0][1]))
		}
		code, _ := strconv.Atoi(m[1])
		if _, dup := got[code]; dup {
			t.Fatalf("seed lists code %d twice", code)
		}
		got[code] = text(cells[1][1])
	}
	if len(got) == 0 {
		t.Fatal("no status rows found in the seed page")
	}
	return got
}

// TestDefaultMatchesSeed checks that the embedded table documents exactly
// the seed page's codes, with its Chinese meanings as written.
func TestDefaultMatchesSeed(t *testing.T) {
	want := seedMeanings(t, readSeed(t))

	tbl, err := classify.Default()
	if err != nil {
		t.Fatal(err)
	}
	got := map[int]string{}
	for _, e := range tbl.Documented() {
		got[e.Code] = e.MeaningZH
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("embedded table differs from the seed page (-want +got):\n%s", diff)
	}
}

// TestSeedExtractor keeps the extractor honest on a page that differs from
// the seed, so that TestDefaultMatchesSeed cannot pass by extracting the
// same wrong thing twice.
func TestSeedExtractor(t *testing.T) {
	page := `<table><thead><tr><th>返回值</th><th>说明</th></tr></thead><tbody>
<tr><td class="x"><p><a name="a"></a>200</p>
</td><td><p>成功 &amp; 完成。</p></td></tr>
<tr><td><p>404 Not Found</p></td>
<td><p id="p"> 不存在。 </p></td></tr></tbody></table>`
	want := map[int]string{200: "成功 & 完成。", 404: "不存在。"}
	if diff := cmp.Diff(want, seedMeanings(t, []byte(page))); diff != "" {
		t.Errorf("seedMeanings (-want +got):\n%s", diff)
	}
}
