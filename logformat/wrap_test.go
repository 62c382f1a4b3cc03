package logformat

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const criTime = "2016-10-06T00:17:09.669794202Z"

func TestCRI(t *testing.T) {
	lines := []string{
		criTime + ` stdout F 1.2.3.4 - - [10/Oct/2023:10:22:41 +0200] "GET / HTTP/1.1" 200 5 "-" "-"`,
		// A line split in three, its pieces interleaved with a stderr line.
		criTime + ` stdout P 1.2.3.4 - - [10/Oct/2023:10:22:42 +0200] "POST /a`,
		criTime + ` stderr F 2023/10/10 10:22:42 [error] 7#7: *1 connect() failed`,
		criTime + ` stdout P  b c HTTP/1.1" `,
		criTime + ` stdout F 502 0 "-" "-"`,
		// Each stream has its pieces.
		criTime + ` stderr P 1.2.3.4 - - [10/Oct/2023:10:22:43 +0200] "GET /x HTTP/1.1" `,
		criTime + ` stdout F 1.2.3.4 - - [10/Oct/2023:10:22:44 +0200] "GET /y HTTP/1.1" 201 0`,
		criTime + ` stderr F 404 0`,
		criTime + ` stdout F `,
		criTime + ` stdout F`,
		``,
		`1.2.3.4 - - [10/Oct/2023:10:22:41 +0200] "GET / HTTP/1.1" 200 5 "-" "-"`,
		criTime + ` stdin F x`,
		criTime + ` stdout X x`,
		`yesterday stdout F x`,
		criTime + ` stdout F:more 1.2.3.4 - - [10/Oct/2023:10:22:45 +0200] "GET / HTTP/1.1" 204 5`,
	}
	want := []full{
		{Status: 200, Method: "GET", Time: "2023-10-10T08:22:41Z"},
		bad(ReasonContinued),
		bad(ReasonNoMatch),
		bad(ReasonContinued),
		{Status: 502, Method: "POST", Time: "2023-10-10T08:22:42Z"},
		bad(ReasonContinued),
		{Status: 201, Method: "GET", Time: "2023-10-10T08:22:44Z"},
		{Status: 404, Method: "GET", Time: "2023-10-10T08:22:43Z"},
		bad(ReasonEmpty),
		bad(ReasonEmpty),
		bad(ReasonEmpty),
		bad(ReasonNoMatch),
		bad(ReasonNoMatch),
		bad(ReasonNoMatch),
		bad(ReasonNoMatch),
		{Status: 204, Method: "GET", Time: "2023-10-10T08:22:45Z"},
	}
	if diff := cmp.Diff(want, parseAll(mustNew(t, "cri+combined"), lines...)); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
	// Without a time of its own, a line has the runtime's.
	got := parseAll(mustNew(t, "cri+json"), criTime+` stdout F {"status":200}`)
	if diff := cmp.Diff([]full{{Status: 200, Time: "2016-10-06T00:17:09.669794202Z"}}, got); diff != "" {
		t.Errorf("json in CRI (-want +got):\n%s", diff)
	}
}

// TestJoinBound drops a line joined from pieces longer than maxJoinBytes:
// its last piece is too_long, and the next line is read as usual.
func TestJoinBound(t *testing.T) {
	piece := criTime + " stdout P " + strings.Repeat("x", 16<<10)
	for _, format := range []string{"cri+combined", "auto"} {
		t.Run(format, func(t *testing.T) {
			p := mustNew(t, format)
			var rec Record
			if format == "auto" {
				p.Parse([]byte(criTime+` stdout F 1.2.3.4 - - [10/Oct/2023:10:22:41 +0200] "GET / HTTP/1.1" 200 5`), &rec)
			}
			n := maxJoinBytes/(16<<10) + 2
			for i := range n {
				if r := p.Parse([]byte(piece), &rec); r != ReasonContinued {
					t.Fatalf("piece %d: %v, want continued", i, r)
				}
			}
			if r := p.Parse([]byte(criTime+" stdout F end"), &rec); r != ReasonTooLong {
				t.Errorf("last piece: %v, want too_long", r)
			}
			if r := p.Parse([]byte(criTime+` stdout F 1.2.3.4 - - [10/Oct/2023:10:22:41 +0200] "GET / HTTP/1.1" 200 5`), &rec); r != ReasonNone || rec.Status != 200 {
				t.Errorf("next line: %v %d, want a 200", r, rec.Status)
			}
			// Just under the bound is joined.
			p.Parse([]byte(criTime+" stdout P "+strings.Repeat("x", maxJoinBytes-100)), &rec)
			if r := p.Parse([]byte(criTime+` stdout F "GET / HTTP/1.1" 200 5`), &rec); r != ReasonNone || rec.Status != 200 {
				t.Errorf("line of %d bytes: %v %d, want a 200", maxJoinBytes-70, r, rec.Status)
			}
		})
	}
}

func dockerLine(t *testing.T, log, stream string) string {
	t.Helper()
	b, err := json.Marshal(map[string]string{"log": log, "stream": stream, "time": "2019-01-01T11:11:11.111111111Z"})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestDocker(t *testing.T) {
	access := `1.2.3.4 - - [10/Oct/2023:10:22:41 +0200] "GET /é\u00a0\"q\" HTTP/1.1" 200 5 "-" "ua \\ 😀"`
	lines := []string{
		dockerLine(t, access+"\n", "stderr"),
		// Split at 16 KiB (here at 30 bytes): no newline but in the last piece.
		dockerLine(t, access[:30], "stdout"),
		dockerLine(t, access[30:60], "stdout"),
		dockerLine(t, access[60:]+"\r\n", "stdout"),
		// The escapes Docker writes, by hand.
		`{"log":"1.2.3.4 - - [10/Oct/2023:10:22:41 +0200] \"GET \u002Fa\ud83d\ude00 HTTP/1.1\" 404 5\n","stream":"stderr","time":"2019-01-01T11:11:11Z"}`,
		`{"log":"{\"status\":201}\n","stream":"stdout","attrs":{"tag":"x"},"time":"2019-01-01T11:11:11Z"}`,
		`{"log":"\n","stream":"stdout","time":"2019-01-01T11:11:11Z"}`,
		`{"log":"x\n","stream":"stdin","time":"2019-01-01T11:11:11Z"}`,
		`{"log":"x\n","time":"2019-01-01T11:11:11Z"}`,
		`{"log":5,"stream":"stdout"}`,
		`{"log":"x\n","stream":"stdout"`,
		`{"log":"x\n","stream":"stdout"} trailing`,
		`x {"log":"x\n","stream":"stdout"}`,
	}
	want := []full{
		{Status: 200, Method: "GET", Time: "2023-10-10T08:22:41Z"},
		bad(ReasonContinued), bad(ReasonContinued),
		{Status: 200, Method: "GET", Time: "2023-10-10T08:22:41Z"},
		{Status: 404, Method: "GET", Time: "2023-10-10T08:22:41Z"},
		bad(ReasonNoMatch), // {"status":201} is no combined line
		bad(ReasonEmpty),
		bad(ReasonNoMatch), bad(ReasonNoMatch), bad(ReasonNoMatch), bad(ReasonNoMatch), bad(ReasonNoMatch), bad(ReasonNoMatch),
	}
	if diff := cmp.Diff(want, parseAll(mustNew(t, "docker+combined"), lines...)); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
	got := parseAll(mustNew(t, "docker+json"), lines[5])
	if diff := cmp.Diff([]full{{Status: 201, Time: "2019-01-01T11:11:11Z"}}, got); diff != "" {
		t.Errorf("json in docker (-want +got):\n%s", diff)
	}
}

func TestAppendUnescaped(t *testing.T) {
	for _, s := range []string{"plain", `q"uote`, "back\\slash", "nl\n tab\t cr\r", "é😀\u2028", "\x01\x1f", "\ufffd"} {
		raw, _ := json.Marshal(s)
		if got := string(appendUnescaped(nil, raw[1:len(raw)-1])); got != s {
			t.Errorf("appendUnescaped(%s) = %q, want %q", raw, got, s)
		}
	}
	for raw, want := range map[string]string{`\/`: "/", `\b\f`: "\b\f", `\ud83d`: "\ufffd", `\ude00`: "\ufffd", `\uzzzz`: "\ufffdzzzz", `\q`: "\ufffd", `a\`: "a\ufffd"} {
		if got := string(appendUnescaped(nil, []byte(raw))); got != want {
			t.Errorf("appendUnescaped(%q) = %q, want %q", raw, got, want)
		}
	}
}

// TestWrapperName: a wrapper is named after its inner format, detected or not.
func TestWrapperName(t *testing.T) {
	p := mustNew(t, "cri+auto")
	if got := p.Name(); got != "cri+auto" {
		t.Errorf("Name() = %q before detection", got)
	}
	var rec Record
	p.Parse([]byte(criTime+` stdout F {"DownstreamStatus":200}`), &rec)
	if got := p.Name(); got != "cri+traefik_json" {
		t.Errorf("Name() = %q after detection, want cri+traefik_json", got)
	}
}

// TestWrapAllocs runs pieces, joins and the bound through the wrappers.
func TestWrapAllocs(t *testing.T) {
	var lines [][]byte
	for _, l := range []string{
		criTime + ` stdout P 1.2.3.4 - - [10/Oct/2023:10:22:42 +0200] "POST /a`,
		criTime + ` stdout F  b c HTTP/1.1" 502 0 "-" "-"`,
		criTime + " stdout P " + strings.Repeat("x", maxJoinBytes),
		criTime + " stdout F x",
		`{"log":"1.2.3.4 - - [10/Oct/2023:10:22:41 +0200] \"GET \u002Fa\ud83d\ude00 HTTP/1.1\" 404 5","stream":"stderr","time":"2019-01-01T11:11:11Z"}`,
		`{"log":"\n","stream":"stderr","time":"2019-01-01T11:11:11Z"}`,
	} {
		lines = append(lines, []byte(l))
	}
	for _, format := range []string{"cri+combined", "docker+combined", "auto"} {
		p := mustNew(t, format)
		var rec Record
		allocs := testing.AllocsPerRun(10, func() {
			for _, l := range lines {
				p.Parse(l, &rec)
			}
		})
		if allocs != 0 {
			t.Errorf("%s: %v allocations per run, want 0", format, allocs)
		}
	}
}
