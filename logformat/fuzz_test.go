package logformat

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// seedLinesPerFile bounds the corpus lines each file gives the fuzz seed
// corpus, so the large files do not make every plain `go test` run slow.
const seedLinesPerFile = 40

// addSeeds seeds f with the unit-table lines and the first lines of every
// CLF corpus file. A missing corpus only loses seeds: TestCorpusGolden is
// the test that insists on the corpus.
func addSeeds(f *testing.F) {
	for _, tc := range clfCases {
		f.Add([]byte(tc.line))
	}
	dir := os.Getenv("HTTPSTATUS_CORPUS")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "corpus")
	}
	for _, folder := range clfFolders {
		files, _ := filepath.Glob(filepath.Join(dir, folder, "*.log"))
		for _, path := range files {
			data, err := os.ReadFile(path)
			if err != nil {
				continue
			}
			for i, l := range bytes.Split(data, []byte("\n")) {
				if i == seedLinesPerFile {
					break
				}
				f.Add(l)
			}
		}
	}
}

// checkRecord asserts the Parser contract for one result.
func checkRecord(t *testing.T, line []byte, r Reason, rec *Record) {
	t.Helper()
	switch {
	case r >= numReasons || r == ReasonTooLong:
		t.Fatalf("Parse(%q) = reason %d, which a parser never returns", line, r)
	case r == ReasonNone && (rec.Status < 100 || rec.Status > 599):
		t.Fatalf("Parse(%q) = ReasonNone with status %d", line, rec.Status)
	case r == ReasonNone && !bytes.Contains(line, []byte(strconv.Itoa(rec.Status))):
		t.Fatalf("Parse(%q) = status %d, which is not in the line", line, rec.Status)
	case r != ReasonNone && rec.Status != 0:
		t.Fatalf("Parse(%q) = reason %v with status %d, want 0", line, r, rec.Status)
	case r != ReasonNone && rec.Method != nil:
		t.Fatalf("Parse(%q) = reason %v with method %q, want nil", line, r, rec.Method)
	case !within(line, rec.Method):
		t.Fatalf("Parse(%q): method %q does not lie within the line", line, rec.Method)
	}
	for _, c := range rec.Method {
		if c < 'A' || c > 'Z' {
			t.Fatalf("Parse(%q): method %q is not upper-case ASCII letters", line, rec.Method)
		}
	}
}

// fuzzFormat checks one format on one line, twice: as given and with a
// trailing '\r', which must not change the result.
func fuzzFormat(t *testing.T, format string, line []byte) {
	p, err := New(format)
	if err != nil {
		t.Fatal(err)
	}
	rec := Record{Status: 777, Method: []byte("STALE")}
	r := p.Parse(line, &rec)
	checkRecord(t, line, r, &rec)
	got := result{r, rec.Status, string(rec.Method)}

	crlf := make([]byte, len(line)+1)
	crlf[copy(crlf, line)] = '\r'
	q, _ := New(format)
	var rec2 Record
	r2 := q.Parse(crlf, &rec2)
	checkRecord(t, crlf, r2, &rec2)
	if got2 := (result{r2, rec2.Status, string(rec2.Method)}); got2 != got {
		t.Fatalf("Parse(%q) = %+v, but with a trailing CR %+v", line, got, got2)
	}
}

func FuzzParseCombined(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, line []byte) { fuzzFormat(t, "combined", line) })
}

func FuzzParseCommon(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, line []byte) { fuzzFormat(t, "common", line) })
}

// FuzzParseAuto feeds the lines of one input, split on '\n', to one auto
// parser: besides the contract per line, auto must agree with combined on
// every line, and report "auto" exactly until a line parsed.
func FuzzParseAuto(f *testing.F) {
	addSeeds(f)
	f.Add([]byte("garbage\n\n1.2.3.4 - - [1/Jan/2000:00:00:00 +0000] \"GET / HTTP/1.1\" 200 1\n::1 - - [x] \"-\" 400 - \"-\" \"-\""))
	f.Fuzz(func(t *testing.T, data []byte) {
		auto, _ := New("auto")
		combined, _ := New("combined")
		parsed := false
		for _, line := range bytes.Split(data, []byte("\n")) {
			fuzzFormat(t, "auto", line)
			var rec, want Record
			r := auto.Parse(line, &rec)
			checkRecord(t, line, r, &rec)
			wr := combined.Parse(line, &want)
			if r != wr || rec.Status != want.Status || !bytes.Equal(rec.Method, want.Method) {
				t.Fatalf("Parse(%q): auto gave %v %d %q, combined %v %d %q", line, r, rec.Status, rec.Method, wr, want.Status, want.Method)
			}
			parsed = parsed || r == ReasonNone
			switch name := auto.Name(); {
			case !parsed && name != "auto":
				t.Fatalf("Name() = %q before any line parsed, want auto", name)
			case parsed && name != "combined" && name != "common":
				t.Fatalf("Name() = %q after a line parsed, want combined or common", name)
			}
		}
	})
}
