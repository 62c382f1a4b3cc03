package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// replayWant is what replay must report for one corpus file. Counts were
// checked by hand: awk on the status field after the request, and reading
// the lines awk could not split (quoted X-Forwarded-For prefixes).
type replayWant struct {
	unparsed  uint64
	responses map[string]uint64
}

var corpusWant = map[string]replayWant{
	// apache_combined
	"apache_combined/beats-apache-test.log": {0, map[string]uint64{"404": 3, "408": 2, "200": 2}},
	// lines 8 and 9 are Apache error-log lines
	"apache_combined/crowdsec-apache2-logs.log":        {2, map[string]uint64{"500": 5, "200": 1, "403": 1}},
	"apache_combined/crowdsec-apache2-malformed.log":   {0, map[string]uint64{"400": 11}},
	"apache_combined/elastic-examples-apache_logs.log": {0, map[string]uint64{"200": 9126, "206": 45, "301": 164, "304": 445, "403": 2, "404": 213, "416": 2, "500": 3}},
	"apache_combined/lnav-access_log.0.log":            {0, map[string]uint64{"200": 2, "404": 1}},
	"apache_combined/lnav-access_log.1.log":            {0, map[string]uint64{"400": 1}},
	"apache_combined/lnav-bad_access_log.0.log":        {0, map[string]uint64{"200": 2, "404": 1}},
	"apache_combined/mtail-apache-combined.log":        {0, map[string]uint64{"200": 4, "304": 1}},
	// nginx_combined
	"nginx_combined/beats-nginx-access.log": {0, map[string]uint64{"404": 8, "200": 2, "304": 2, "206": 1}},
	// line 5 has a vhost and a quoted X-Forwarded-For list before the time
	"nginx_combined/beats-nginx-test-with-host.log": {0, map[string]uint64{"200": 6, "404": 2, "400": 2}},
	"nginx_combined/beats-nginx-test.log":           {0, map[string]uint64{"200": 4, "404": 2, "400": 1}},
	// the last line has no newline: still counted
	"nginx_combined/crowdsec-http-dos-bypass-cache.log":          {0, map[string]uint64{"200": 356}},
	"nginx_combined/crowdsec-http-dos-invalid-http-versions.log": {0, map[string]uint64{"400": 6}},
	"nginx_combined/crowdsec-ipv6-postoverflow.log":              {0, map[string]uint64{"200": 2}},
	"nginx_combined/crowdsec-jellyseerr-whitelist.log":           {0, map[string]uint64{"304": 3, "200": 2}},
	"nginx_combined/crowdsec-nginx-http-malformed.log":           {0, map[string]uint64{"400": 12}},
	"nginx_combined/crowdsec-nginx-http-sqli-probing.log":        {0, map[string]uint64{"404": 16}},
	// the last line is an nginx error-log line
	"nginx_combined/crowdsec-nginx_http-logs.log": {1, map[string]uint64{"500": 4, "200": 2, "404": 1, "301": 1}},
	"nginx_combined/lnav-shop_access_log.0.log":   {0, map[string]uint64{"200": 938, "301": 11, "302": 20, "304": 7, "404": 24}},
}

// replayJSON is the contract's part of replay's JSON report, plus bytes.
type replayJSON struct {
	Lines     uint64            `json:"lines"`
	Unparsed  uint64            `json:"unparsed"`
	Responses map[string]uint64 `json:"responses"`
	Bytes     uint64            `json:"bytes"`
}

// runReplay runs `exporter replay args...` in-process.
func runReplay(t *testing.T, args ...string) (stdout string) {
	t.Helper()
	var out, errb bytes.Buffer
	if err := run(context.Background(), append([]string{"replay"}, args...), &out, &errb); err != nil {
		t.Fatalf("replay %v: %v\nstderr:\n%s", args, err, errb.String())
	}
	return out.String()
}

// decodeReplay decodes the JSON report, failing if a contract key is missing.
func decodeReplay(t *testing.T, out string) replayJSON {
	t.Helper()
	var keys map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &keys); err != nil {
		t.Fatalf("replay output is not one JSON object: %v\n%s", err, out)
	}
	for _, k := range []string{"lines", "unparsed", "responses"} {
		if v, ok := keys[k]; !ok || string(v) == "null" {
			t.Errorf("replay JSON has no %q: %s", k, out)
		}
	}
	var r replayJSON
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestReplayCorpus(t *testing.T) {
	dir := corpusDir(t)
	var files []string
	for _, sub := range []string{"nginx_combined", "apache_combined"} {
		entries, err := os.ReadDir(filepath.Join(dir, sub))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if e.Type().IsRegular() {
				files = append(files, sub+"/"+e.Name())
			}
		}
	}
	// Every file has an expectation and every expectation a file: a new
	// corpus file must be checked by hand and added here.
	var wantFiles []string
	for f := range corpusWant {
		wantFiles = append(wantFiles, f)
	}
	slices.Sort(wantFiles)
	slices.Sort(files)
	if diff := cmp.Diff(wantFiles, files); diff != "" {
		t.Errorf("corpus files (-expected +found):\n%s", diff)
	}

	all := replayJSON{Responses: map[string]uint64{}}
	for _, name := range files {
		want, ok := corpusWant[name]
		if !ok {
			continue
		}
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name)
			got := decodeReplay(t, runReplay(t, "--output=json", path))
			var lines uint64
			for _, n := range want.responses {
				lines += n
			}
			lines += want.unparsed
			if diff := cmp.Diff(replayJSON{lines, want.unparsed, want.responses, 0},
				replayJSON{got.Lines, got.Unparsed, got.Responses, 0}); diff != "" {
				t.Errorf("replay --output=json %s (-want +got):\n%s", name, diff)
			}
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			// Files that end in a newline: bytes is the file size. (Those
			// that do not are reported one byte too large; see the report.)
			if bytes.HasSuffix(data, []byte("\n")) && got.Bytes != uint64(len(data)) {
				t.Errorf("bytes = %d, want the file size %d", got.Bytes, len(data))
			}
		})
		for c, n := range want.responses {
			all.Responses[c] += n
			all.Lines += n
		}
		all.Unparsed += want.unparsed
		all.Lines += want.unparsed
	}

	t.Run("all files at once", func(t *testing.T) {
		// Each file is detected on its own; the report is the sum.
		args := []string{"--output=json"}
		for _, name := range files {
			args = append(args, filepath.Join(dir, name))
		}
		got := decodeReplay(t, runReplay(t, args...))
		got.Bytes = 0
		if diff := cmp.Diff(all, got); diff != "" {
			t.Errorf("replay of every file (-want +got):\n%s", diff)
		}
	})
}

// TestReplayTable checks replay's table output against golden files.
func TestReplayTable(t *testing.T) {
	mixed := filepath.Join("testdata", "mixed.log")
	tests := []struct {
		name   string
		golden string
		args   []string
		corpus string // a corpus file to append to args
	}{
		{"mixed en", "replay_mixed_en.golden", []string{"--tail.max-line-bytes=1024", mixed}, ""},
		{"mixed zh", "replay_mixed_zh.golden", []string{"--classify.lang=zh", "--tail.max-line-bytes=1024", mixed}, ""},
		{"corpus apache2", "replay_crowdsec-apache2-logs.golden", nil, "apache_combined/crowdsec-apache2-logs.log"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := tc.args
			if tc.corpus != "" {
				args = append(args, filepath.Join(corpusDir(t), tc.corpus))
			}
			golden(t, tc.golden, runReplay(t, args...))
		})
	}
}

// TestReplayMixedJSON pins the reasons of the hand-made mixed.log, the
// input of the table goldens.
func TestReplayMixedJSON(t *testing.T) {
	out := runReplay(t, "--output=json", "--tail.max-line-bytes=1024", filepath.Join("testdata", "mixed.log"))
	var got struct {
		replayJSON
		Reasons map[string]uint64 `json:"unparsed_by_reason"`
	}
	if err := json.NewDecoder(strings.NewReader(out)).Decode(&got); err != nil {
		t.Fatal(err)
	}
	want := replayJSON{Lines: 25, Unparsed: 5,
		Responses: map[string]uint64{"200": 3, "201": 1, "302": 1, "400": 1, "401": 1, "403": 1, "404": 2,
			"418": 1, "500": 1, "501": 1, "502": 1, "503": 4, "504": 1, "599": 1}}
	got.Bytes = 0
	if diff := cmp.Diff(want, got.replayJSON); diff != "" {
		t.Errorf("replay mixed.log (-want +got):\n%s", diff)
	}
	wantReasons := map[string]uint64{"empty": 1, "bad_status": 2, "no_match": 1, "too_long": 1}
	if diff := cmp.Diff(wantReasons, got.Reasons); diff != "" {
		t.Errorf("unparsed_by_reason (-want +got):\n%s", diff)
	}
}
