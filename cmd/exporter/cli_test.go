package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/httpstatus-exporter/httpstatus-exporter/logformat"
)

// runCLI runs the command line in-process with a deadline, so that a command
// that starts serving by mistake fails the test instead of hanging it.
func runCLI(t *testing.T, args ...string) (stdout string, err error) {
	t.Helper()
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "HTTPSTATUS_") {
			name, _, _ := strings.Cut(kv, "=")
			t.Setenv(name, "") // kong reads flags from these
			os.Unsetenv(name)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var out, errb bytes.Buffer
	err = run(ctx, args, &out, &errb)
	if ctx.Err() != nil {
		t.Fatalf("run %v did not return before its deadline", args)
	}
	if t.Failed() {
		t.Logf("stderr of %v:\n%s", args, errb.String())
	}
	return out.String(), err
}

func TestHelpAndVersion(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want []string // in stdout, in this order
	}{
		{"help", []string{"--help"}, []string{"Usage: exporter <command> [flags]", "--version",
			"run", "(the default command)", "replay", "classify", "check-config"}},
		{"run help", []string{"run", "--help"}, []string{"Usage: exporter run [flags]",
			"--log.path=GLOB", "($HTTPSTATUS_LOG_PATH)", "--log.format=\"auto\"", "--log.source=\"default\"",
			"--tail.from=\"end\"", "--tail.poll", "--classify.lang=\"en\"",
			"--checkpoint.file=\"/var/lib/httpstatus-exporter/positions.json\"",
			"--web.listen-address=:10066,...", "--web.telemetry-path=\"/metrics\"", "--web.config.file=STRING", "--demo"}},
		{"replay help", []string{"replay", "--help"}, []string{"Usage: exporter replay <files> ... [flags]",
			"--classify.lang=\"en\"", "--log.format=\"auto\"", "--tail.max-line-bytes=262144", "--output=\"table\""}},
		{"classify help", []string{"classify", "--help"}, []string{"Usage: exporter classify [<code> ...] [flags]", "--list"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := runCLI(t, tc.args...)
			if err != nil {
				t.Fatalf("run %v = %v, want nil", tc.args, err)
			}
			rest := out
			for _, w := range tc.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("help has no %q after what came before:\n%s", w, out)
				}
				rest = rest[i+len(w):]
			}
		})
	}

	t.Run("version", func(t *testing.T) {
		out, err := runCLI(t, "--version")
		if err != nil {
			t.Fatal(err)
		}
		re := regexp.MustCompile(`^exporter \(httpstatus-exporter\) version (\S+), revision (\S+), (go\S+)\n$`)
		m := re.FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("--version printed %q, want a match of %s", out, re)
		}
		if m[3] != runtime.Version() {
			t.Errorf("--version go version = %q, want %q", m[3], runtime.Version())
		}
	})
}

func TestClassify(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		want   string // exact stdout; empty: compare with golden
		golden string
	}{
		{name: "503 302 zh", args: []string{"classify", "503", "302", "--classify.lang=zh"}, want: "" +
			"CODE  CATEGORY  DOCUMENTED  MEANING (ZH)                MEANING (EN)                                           DESCRIPTION\n" +
			"503   server    yes         请求未完成。系统暂时异常。  Request not completed: system temporarily unavailable  Service Unavailable\n" +
			"302   redirect  no          未记录的 3xx：重定向        Undocumented 3xx: redirection                          -\n"},
		{name: "fallbacks en", args: []string{"classify", "101", "299", "418", "599"}, want: "" +
			"CODE  CATEGORY       DOCUMENTED  MEANING (EN)                     MEANING (ZH)              DESCRIPTION\n" +
			"101   informational  no          Undocumented 1xx: informational  未记录的 1xx：信息响应    -\n" +
			"299   success        no          Undocumented 2xx: success        未记录的 2xx：成功        -\n" +
			"418   client         no          Undocumented 4xx: client error   未记录的 4xx：客户端错误  -\n" +
			"599   server         no          Undocumented 5xx: server error   未记录的 5xx：服务器错误  -\n"},
		{name: "list en", args: []string{"classify", "--list"}, golden: "classify_list_en.golden"},
		{name: "list zh", args: []string{"classify", "--list", "--classify.lang=zh"}, golden: "classify_list_zh.golden"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := runCLI(t, tc.args...)
			if err != nil {
				t.Fatalf("run %v = %v", tc.args, err)
			}
			if tc.golden != "" {
				golden(t, tc.golden, out)
				return
			}
			if diff := cmp.Diff(tc.want, out); diff != "" {
				t.Errorf("stdout (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("list is the seed table", func(t *testing.T) {
		// The golden is reviewed by eye; this pins its rows to the seed.
		out, err := runCLI(t, "classify", "--list", "--classify.lang=zh")
		if err != nil {
			t.Fatal(err)
		}
		var want, got []string
		for _, e := range seedTable {
			want = append(want, e.code+"|"+e.category+"|yes|"+e.zh+"|"+e.en)
		}
		// Columns are two or more spaces apart; the last is the description.
		gap := regexp.MustCompile(` {2,}`)
		for _, line := range strings.Split(strings.TrimSpace(out), "\n")[1:] {
			cols := gap.Split(line, -1)
			got = append(got, strings.Join(cols[:len(cols)-1], "|"))
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("classify --list rows (-want +got):\n%s", diff)
		}
	})
}

func TestCheckConfig(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"a.log": accessLine("200", 1) + "[error] not an access line\n" + accessLine("503", 2),
		"b.log": "",
		"c.txt": "",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	glob := filepath.Join(dir, "*.log")
	out, err := runCLI(t, "check-config", "--log.path="+glob, "--log.source=web", "--classify.lang=zh",
		"--checkpoint.file="+filepath.Join(dir, "pos.json"))
	if err != nil {
		t.Fatalf("check-config = %v, want nil", err)
	}
	want := []string{
		`source "web"`,
		"  format: auto",
		"  table: embedded default_table.yaml (11 documented codes), meanings in zh",
		"  path " + glob + ": 2 files now",
		"    " + filepath.Join(dir, "a.log") + " (combined, 2 of the first 3 lines parse)",
		"    " + filepath.Join(dir, "b.log") + " (empty: format decided on the first lines)",
		"checkpoint: " + filepath.Join(dir, "pos.json"),
		"listen: :10066/metrics",
		"config OK",
	}
	got := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("check-config output (-want +got):\n%s", diff)
	}

	t.Run("bad web config", func(t *testing.T) {
		bad := filepath.Join(dir, "web.yml")
		if err := os.WriteFile(bad, []byte("tls_server_config:\n  cert_file: /nonexistent/cert.pem\n  nonsense_key: 1\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := runCLI(t, "check-config", "--log.path="+glob, "--web.config.file="+bad)
		if err == nil || !strings.Contains(err.Error(), "--web.config.file") {
			t.Errorf("check-config with a bad web config = %v, want an error naming --web.config.file", err)
		}
	})
}

func TestCLIErrors(t *testing.T) {
	dir := t.TempDir()
	logPath := filepath.Join(dir, "access.log")
	if err := os.WriteFile(logPath, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		args   []string
		want   string // in the error
		wantIs error
	}{
		{"nothing to follow", nil, "--demo", nil},
		{"run, nothing to follow", []string{"run"}, "--demo", nil},
		{"check-config, nothing to follow", []string{"check-config"}, "--demo", nil},
		{"bad glob", []string{"--log.path=" + dir + "/[a"}, "syntax error in pattern", nil},
		{"bad glob among good ones", []string{"--log.path=" + logPath, "--log.path=" + dir + "/[a"}, `--log.path "` + dir + `/[a"`, nil},
		{"unknown format", []string{"--log.path=" + logPath, "--log.format=nonsense"}, `"nonsense"`, logformat.ErrUnknownFormat},
		{"replay unknown format", []string{"replay", "--log.format=nonsense", logPath}, `"nonsense"`, logformat.ErrUnknownFormat},
		{"empty source", []string{"--log.path=" + logPath, "--log.source="}, "--log.source", nil},
		{"max line too small", []string{"--log.path=" + logPath, "--tail.max-line-bytes=10"}, "--tail.max-line-bytes", nil},
		{"poll interval too small", []string{"--log.path=" + logPath, "--tail.poll-interval=1ms"}, "--tail.poll-interval", nil},
		{"unknown lang", []string{"--log.path=" + logPath, "--classify.lang=fr"}, "classify.lang", nil},
		{"missing web config", []string{"--log.path=" + logPath, "--web.config.file=" + dir + "/none.yml"}, "none.yml", nil},
		{"classify 2000", []string{"classify", "2000"}, `code "2000"`, nil},
		{"classify 99", []string{"classify", "99"}, `code "99"`, nil},
		{"classify 600", []string{"classify", "600"}, `code "600"`, nil},
		{"classify +200", []string{"classify", "+20"}, `code "+20"`, nil},
		{"classify nothing", []string{"classify"}, "--list", nil},
		{"replay missing file", []string{"replay", dir + "/none.log"}, "none.log", nil},
		{"replay bad output", []string{"replay", "--output=xml", logPath}, "--output", nil},
		{"unknown flag", []string{"--log.path=" + logPath, "--no-such-flag"}, "--no-such-flag", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := runCLI(t, tc.args...)
			if err == nil {
				t.Fatalf("run %q = nil, want an error containing %q", tc.args, tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("run %q = %q, want it to contain %q", tc.args, err, tc.want)
			}
			if tc.wantIs != nil && !errors.Is(err, tc.wantIs) {
				t.Errorf("run %q = %v, want it to wrap %v", tc.args, err, tc.wantIs)
			}
		})
	}
}
