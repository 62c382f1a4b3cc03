package main

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/httpstatus-exporter/httpstatus-exporter/classify"
)

// seedName is the seed page's file name; seedFile finds it.
const seedName = "000_33670f6b8678b84b.txt"

// seedFile returns the path of the seed page: $HTTPSTATUS_SEED, else
// ../shared/seed beside the work tree. A missing seed skips the test on a
// developer's machine and fails it under CI=true or when HTTPSTATUS_SEED
// names it.
func seedFile(t *testing.T) string {
	t.Helper()
	path, explicit := os.LookupEnv("HTTPSTATUS_SEED")
	if !explicit || path == "" {
		path, explicit = filepath.Join("..", "..", "..", "shared", "seed", seedName), false
	}
	_, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) && !explicit && os.Getenv("CI") != "true" {
		t.Skipf("seed page not found (%v); set HTTPSTATUS_SEED to its path", err)
	}
	if err != nil {
		t.Fatalf("seed page: %v (set HTTPSTATUS_SEED to its path)", err)
	}
	return path
}

// runImport runs `exporter import-table args...` in-process and returns its
// stdout and stderr.
func runImport(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errb bytes.Buffer
	err = run(t.Context(), append([]string{"import-table"}, args...), &out, &errb)
	return out.String(), errb.String(), err
}

// loadImported checks that what import-table printed loads as a table.
func loadImported(t *testing.T, name, yaml string) *classify.Table {
	t.Helper()
	tbl, err := classify.Parse(name, []byte(yaml))
	if err != nil {
		t.Fatalf("import-table printed a table that does not load: %v\n%s", err, yaml)
	}
	return tbl
}

// TestImportTableFixtures imports the layouts under testdata/tables and
// compares with their goldens (go test -run TestImportTableFixtures -update
// rewrites them; review the diff like code).
func TestImportTableFixtures(t *testing.T) {
	tests := []struct {
		page     string
		codes    int
		warnings []string // the lines import-table writes on stderr
	}{
		// Status Code / Type / Description, with a parameter table before it.
		{page: "three_columns.html", codes: 15},
		// Returned Value / Description with "400 Bad Request" cells, in two tables.
		{page: "reason_phrase.html", codes: 10, warnings: []string{
			`import-table: warning: testdata/tables/reason_phrase.html:22: row skipped: "5xx" is not a status code (100-599)`}},
		// Markdown: a category column, a span, a Chinese table repeating a code.
		{page: "markdown.md", codes: 10, warnings: []string{
			`import-table: warning: testdata/tables/markdown.md:17: row skipped: "520-527" is not a status code (100-599)`}},
	}
	for _, tc := range tests {
		t.Run(tc.page, func(t *testing.T) {
			out, stderr, err := runImport(t, filepath.Join("testdata", "tables", tc.page))
			if err != nil {
				t.Fatalf("import-table: %v", err)
			}
			golden(t, filepath.Join("tables", strings.TrimSuffix(tc.page, filepath.Ext(tc.page))+".golden.yaml"), out)
			var warnings []string
			if stderr != "" {
				warnings = strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
			}
			if diff := cmp.Diff(tc.warnings, warnings); diff != "" {
				t.Errorf("stderr (-want +got):\n%s", diff)
			}
			if n := len(loadImported(t, tc.page, out).Documented()); n != tc.codes {
				t.Errorf("the imported table documents %d codes, want %d", n, tc.codes)
			}
		})
	}
}

// TestImportTableGoldensLoad loads every golden as a table file: what
// import-table prints is what --classify.table reads.
func TestImportTableGoldensLoad(t *testing.T) {
	goldens, err := filepath.Glob(filepath.Join("testdata", "tables", "*.golden.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(goldens) < 4 {
		t.Fatalf("found %d goldens under testdata/tables, want the seed's and three fixtures'", len(goldens))
	}
	for _, g := range goldens {
		t.Run(filepath.Base(g), func(t *testing.T) {
			tbl, err := classify.LoadFile(g)
			if err != nil {
				t.Fatal(err)
			}
			if len(tbl.Documented()) == 0 {
				t.Error("the golden documents no codes")
			}
		})
	}
}

// TestImportTableSeed imports the seed page. The embedded default is the
// seed's table plus English meanings written by the project, so the
// comparison is of the fields the page has: the import gives exactly the
// default's codes, categories, Chinese meanings and descriptions (the
// reason phrases), and no English meaning; classify answers the same with
// either table in Chinese.
func TestImportTableSeed(t *testing.T) {
	// A copy under its own name, so that the reference in the golden does
	// not depend on where HTTPSTATUS_SEED points.
	page, err := os.ReadFile(seedFile(t))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	seed := filepath.Join(dir, seedName)
	if err := os.WriteFile(seed, page, 0o644); err != nil {
		t.Fatal(err)
	}
	out, stderr, err := runImport(t, seed)
	if err != nil {
		t.Fatalf("import-table: %v\n%s", err, stderr)
	}
	if stderr != "" {
		t.Errorf("import-table warned on the seed:\n%s", stderr)
	}
	golden(t, filepath.Join("tables", "seed.golden.yaml"), out)

	imported := loadImported(t, "seed.yaml", out)
	def, err := classify.Default()
	if err != nil {
		t.Fatal(err)
	}
	var want []classify.Entry
	for _, e := range def.Documented() {
		e.MeaningEN = "" // the project's translation, not the page's text
		want = append(want, e)
	}
	if diff := cmp.Diff(want, imported.Documented()); diff != "" {
		t.Errorf("the seed imported differs from the embedded default (-default +imported):\n%s", diff)
	}

	// Used as --classify.table, the import answers as the default does.
	tablePath := filepath.Join(dir, "seed.yaml")
	if err := os.WriteFile(tablePath, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	codes := []string{"200", "201", "204", "400", "401", "403", "404", "418", "500", "501", "502", "503", "504", "599"}
	wantOut, err := runCLI(t, append([]string{"classify", "-o", "json"}, codes...)...)
	if err != nil {
		t.Fatal(err)
	}
	gotOut, err := runCLI(t, append([]string{"classify", "-o", "json", "--classify.table=" + tablePath}, codes...)...)
	if err != nil {
		t.Fatal(err)
	}
	wantJSON, gotJSON := classifyJSONOut(t, wantOut), classifyJSONOut(t, gotOut)
	for i := range wantJSON {
		if wantJSON[i].Documented {
			wantJSON[i].MeaningEN = ""
		}
	}
	if diff := cmp.Diff(wantJSON, gotJSON); diff != "" {
		t.Errorf("classify with the imported seed (-default +imported):\n%s", diff)
	}
}

func TestImportTableStdin(t *testing.T) {
	page := "| 状态码 | 说明 |\n|---|---|\n| 429 Too Many Requests | 请求过多。 |\n| 2xx | 成功 |\n"
	in := filepath.Join(t.TempDir(), "page.md")
	if err := os.WriteFile(in, []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(in)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	stdin := os.Stdin
	os.Stdin = f
	t.Cleanup(func() { os.Stdin = stdin })

	out, stderr, err := runImport(t, "-")
	if err != nil {
		t.Fatal(err)
	}
	want := `# Status table imported by ` + "`exporter import-table`" + ` from standard input.
# Review it before use (--classify.table=FILE): categories marked
# "inferred" were guessed from the code; meanings are the page's text.
version: 1
codes:
  # table 1, line 1
  - code: 429
    category: client # inferred from the code: review
    meaning:
      zh: 请求过多。
    description: Too Many Requests
`
	if diff := cmp.Diff(want, out); diff != "" {
		t.Errorf("stdout (-want +got):\n%s", diff)
	}
	if wantErr := "import-table: warning: stdin:4: row skipped: \"2xx\" is not a status code (100-599)\n"; stderr != wantErr {
		t.Errorf("stderr = %q, want %q", stderr, wantErr)
	}
	loadImported(t, "stdin.yaml", out)
}

func TestImportTableErrors(t *testing.T) {
	dir := t.TempDir()
	prose := filepath.Join(dir, "prose.md")
	if err := os.WriteFile(prose, []byte("# Errors\n\nWe answer 200 or 500.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no table", []string{prose}, "import-table: " + prose + ": classify: no status table found"},
		{"missing file", []string{filepath.Join(dir, "none.html")}, "none.html: no such file"},
		{"no file", nil, "expected \"<file>\""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, _, err := runImport(t, tc.args...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("import-table %q = %v, want an error containing %q", tc.args, err, tc.want)
			}
			if out != "" {
				t.Errorf("import-table printed on failure:\n%s", out)
			}
		})
	}
}
