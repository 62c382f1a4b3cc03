package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/crypto/bcrypt"
)

// TestE2EBinary builds the exporter once and runs it as users do: a real
// process, real files, real HTTP scrapes, SIGTERM.
func TestE2EBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildExporter(t, t.TempDir())

	t.Run("metrics/en", func(t *testing.T) { t.Parallel(); testMetrics(t, bin, "en") })
	t.Run("metrics/zh", func(t *testing.T) { t.Parallel(); testMetrics(t, bin, "zh") })
	t.Run("restart", func(t *testing.T) { t.Parallel(); testRestart(t, bin) })
	t.Run("tls-basic-auth", func(t *testing.T) { t.Parallel(); testTLS(t, bin) })
	t.Run("commands", func(t *testing.T) { t.Parallel(); testCommands(t, bin) })
}

// mixLine is a group of lines of one kind in the e2e mix.
type mixLine struct {
	status string // the status field as written
	n      int
}

var (
	// documentedMix holds every code of the seed table, each a different
	// number of times so that a count landing on the wrong code shows.
	documentedMix = []mixLine{
		{"200", 5}, {"201", 1}, {"400", 2}, {"401", 1}, {"403", 1}, {"404", 3},
		{"500", 2}, {"501", 1}, {"502", 1}, {"503", 4}, {"504", 1},
	}
	undocumentedMix = []mixLine{{"302", 2}, {"418", 1}, {"599", 1}}
)

const apacheErrorLine = "[Thu Oct 13 12:24:49.880562 2022] [auth_basic:error] [pid 10:tid 140120579262208] [client 192.0.2.7:40934] AH01618: user admin not found: /admin\n"

// e2eLog returns the chunks appended in the metrics test and what they hold.
func e2eLog() (chunks []string, lines int) {
	var b strings.Builder
	i := 0
	for _, m := range append(append([]mixLine{}, documentedMix...), undocumentedMix...) {
		for range m.n {
			b.WriteString(accessLine(m.status, i))
			i++
		}
	}
	chunks = append(chunks, b.String())
	bad := "\n" + // empty
		accessLine("-", i) + // bad_status
		accessLine("2000", i+1) + // bad_status: digits, not a status
		apacheErrorLine // no_match
	chunks = append(chunks, bad)
	// A valid line with status 200, longer than --tail.max-line-bytes=1024:
	// it must be counted as too_long, not as a 200.
	long := accessLine("200", i+2)
	long = strings.Replace(long, "e2e/1.0", "e2e/1.0 "+strings.Repeat("x", 1500), 1)
	chunks = append(chunks, long)
	return chunks, i + 4 + 1
}

func testMetrics(t *testing.T, bin, lang string) {
	dir := t.TempDir()
	logPath := filepath.Join(dir, "access.log")
	cpPath := filepath.Join(dir, "pos.json")
	if err := os.WriteFile(logPath, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"--log.path=" + logPath, "--web.listen-address=127.0.0.1:0",
		"--checkpoint.file=" + cpPath, "--tail.poll-interval=20ms", "--tail.max-line-bytes=1024"}
	if lang != "en" { // en is the default
		args = append(args, "--classify.lang="+lang)
	}
	p := startExporter(t, bin, args...)
	c := newClient(nil)
	base := "http://" + p.addr

	waitReady(t, c, base)

	meaning := func(e int) string {
		if lang == "zh" {
			return seedTable[e].zh
		}
		return seedTable[e].en
	}
	wantResponses := map[string]float64{}
	wantInfo := map[string]float64{}
	for i, e := range seedTable {
		wantResponses[e.code+" "+e.category] = 0
		wantInfo[e.code+" "+e.category+" "+meaning(i)] = 1
	}
	wantUnparsed := map[string]float64{"empty": 0, "bad_status": 0, "no_match": 0, "too_long": 0, "header": 0}

	t.Run("before any line", func(t *testing.T) {
		f, err := scrape(c, base+"/metrics")
		if err != nil {
			t.Fatal(err)
		}
		checks := []check{
			{"responses_total", wantResponses, f.series("httpstatus_responses_total", "code", "category")},
			{"code_info", wantInfo, f.series("httpstatus_code_info", "code", "category", "meaning")},
			{"lines_unparsed_total", wantUnparsed, f.series("httpstatus_lines_unparsed_total", "reason")},
			{"lines_read_total", 0.0, f.value("httpstatus_lines_read_total")},
			{"read_bytes_total", 0.0, f.value("httpstatus_read_bytes_total")},
			{"files_followed", 1.0, f.value("httpstatus_files_followed")},
		}
		if d := diffs(checks); d != "" {
			t.Error(d)
		}
	})

	chunks, lines := e2eLog()
	var size int
	for _, ch := range chunks {
		size += len(ch)
	}
	for _, m := range documentedMix {
		for _, e := range seedTable {
			if e.code == m.status {
				wantResponses[e.code+" "+e.category] = float64(m.n)
			}
		}
	}
	undocumented := map[string][3]string{
		"302": {"redirect", "Undocumented 3xx: redirection", "未记录的 3xx：重定向"},
		"418": {"client", "Undocumented 4xx: client error", "未记录的 4xx：客户端错误"},
		"599": {"server", "Undocumented 5xx: server error", "未记录的 5xx：服务器错误"},
	}
	for _, m := range undocumentedMix {
		u := undocumented[m.status]
		wantResponses[m.status+" "+u[0]] = float64(m.n)
		text := u[1]
		if lang == "zh" {
			text = u[2]
		}
		wantInfo[m.status+" "+u[0]+" "+text] = 1
	}
	wantUnparsed = map[string]float64{"empty": 1, "bad_status": 2, "no_match": 1, "too_long": 1, "header": 0}
	// counted are the checks of what the lines change. A scrape is not an
	// atomic snapshot (the registry collects each vector on its own), so the
	// wait is for all of them at once, not for lines_read alone.
	counted := func(f families) []check {
		return []check{
			{"responses_total", wantResponses, f.series("httpstatus_responses_total", "code", "category")},
			{"code_info", wantInfo, f.series("httpstatus_code_info", "code", "category", "meaning")},
			{"lines_unparsed_total", wantUnparsed, f.series("httpstatus_lines_unparsed_total", "reason")},
			{"lines_read_total", float64(lines), f.value("httpstatus_lines_read_total")},
			{"read_bytes_total", float64(size), f.value("httpstatus_read_bytes_total")},
			{"unread_bytes", 0.0, f.value("httpstatus_unread_bytes")},
		}
	}

	before := time.Now()
	for _, ch := range chunks {
		appendFile(t, logPath, ch)
	}
	waitFor(t, 10*time.Second, "all lines counted", func() (bool, string) {
		f, err := scrape(c, base+"/metrics")
		if err != nil {
			return false, err.Error()
		}
		d := diffs(counted(f))
		return d == "", d
	})

	t.Run("after the lines", func(t *testing.T) {
		// Scraped again: nothing more may have been counted meanwhile.
		f, err := scrape(c, base+"/metrics")
		if err != nil {
			t.Fatal(err)
		}
		checks := append(counted(f), []check{
			{"files_followed", 1.0, f.value("httpstatus_files_followed")},
			{"errors_total", 0.0, f.sum("httpstatus_errors_total")},
			{"rotations_total", 0.0, f.sum("httpstatus_rotations_total")},
			{"build_info", map[string]float64{runtime.Version(): 1}, f.series("httpstatus_exporter_build_info", "goversion")},
			{"series without source=default", []string(nil), f.nonSource("default")},
		}...)
		if d := diffs(checks); d != "" {
			t.Error(d)
		}
		for _, m := range f["httpstatus_exporter_build_info"].GetMetric() {
			if labelValue(m, "version") == "" || labelValue(m, "revision") == "" {
				t.Errorf("httpstatus_exporter_build_info has an empty version or revision: %v", m)
			}
		}
		ts := f.value("httpstatus_last_read_timestamp_seconds")
		if lo, hi := float64(before.Add(-time.Second).Unix()), float64(time.Now().Add(time.Second).Unix()); ts < lo || ts > hi {
			t.Errorf("httpstatus_last_read_timestamp_seconds = %v, want between %v and %v", ts, lo, hi)
		}
	})

	code, took := p.stop(t, 5*time.Second)
	t.Logf("exit %d %s after SIGTERM", code, took.Round(time.Millisecond))
	if code != 0 {
		t.Errorf("exit code after SIGTERM = %d, want 0", code)
	}
	want := map[string]int64{"default " + logPath: int64(size)}
	if diff := cmp.Diff(want, checkpointOffsets(t, cpPath)); diff != "" {
		t.Errorf("checkpoint offsets (-want +got):\n%s", diff)
	}
}

// testRestart stops the exporter, appends while it is down and starts it
// again: the lines written meanwhile are counted once, by the second run.
func testRestart(t *testing.T, bin string) {
	dir := t.TempDir()
	logPath := filepath.Join(dir, "access.log")
	cpPath := filepath.Join(dir, "state", "pos.json") // a directory the exporter makes
	if err := os.WriteFile(logPath, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"--log.path=" + logPath, "--web.listen-address=127.0.0.1:0",
		"--checkpoint.file=" + cpPath, "--tail.poll-interval=20ms"}
	c := newClient(nil)
	var size int64
	write := func(status string, n, from int) {
		var b strings.Builder
		for i := range n {
			b.WriteString(accessLine(status, from+i))
		}
		appendFile(t, logPath, b.String())
		size += int64(b.Len())
	}
	// waitCounted waits until the run has counted exactly want (by code)
	// and as many lines; more than that never matches and fails the wait.
	waitCounted := func(p *proc, want map[string]float64) {
		t.Helper()
		var lines float64
		for _, n := range want {
			lines += n
		}
		waitFor(t, 10*time.Second, "lines counted", func() (bool, string) {
			f, err := scrape(c, "http://"+p.addr+"/metrics")
			if err != nil {
				return false, err.Error()
			}
			got := map[string]float64{}
			for code, n := range f.series("httpstatus_responses_total", "code") {
				if n != 0 {
					got[code] = n
				}
			}
			d := diffs([]check{
				{"responses_total by code", want, got},
				{"lines_read_total", lines, f.value("httpstatus_lines_read_total")},
			})
			return d == "", d
		})
	}
	stop := func(p *proc) {
		t.Helper()
		if code, _ := p.stop(t, 5*time.Second); code != 0 {
			t.Fatalf("exit code after SIGTERM = %d, want 0", code)
		}
		want := map[string]int64{"default " + logPath: size}
		if diff := cmp.Diff(want, checkpointOffsets(t, cpPath)); diff != "" {
			t.Errorf("checkpoint offsets (-want +got):\n%s", diff)
		}
	}

	p1 := startExporter(t, bin, args...)
	waitReady(t, c, "http://"+p1.addr)
	write("200", 10, 0)
	waitCounted(p1, map[string]float64{"200": 10})
	stop(p1)

	write("404", 7, 10) // while stopped

	// Counters restart at 0; the 7 lines written while down are counted
	// once, and none of the 10 of the first run again.
	p2 := startExporter(t, bin, args...)
	waitCounted(p2, map[string]float64{"404": 7})
	// Lines written just before SIGTERM are drained and checkpointed: the
	// checkpoint then points at the end of the file.
	write("500", 3, 17)
	stop(p2)
}

// testTLS serves over TLS with basic auth from an exporter-toolkit web config.
func testTLS(t *testing.T, bin string) {
	dir := t.TempDir()
	webConfig, certPEM := tlsWebConfig(t, dir, "s3cret")
	logPath := filepath.Join(dir, "access.log")
	if err := os.WriteFile(logPath, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	p := startExporter(t, bin, "--log.path="+logPath, "--web.listen-address=127.0.0.1:0",
		"--checkpoint.file=", "--tail.poll-interval=20ms", "--web.config.file="+webConfig)
	// Logged just after "Listening on".
	waitFor(t, 5*time.Second, `"TLS is enabled." logged`, func() (bool, string) {
		log := p.stderr.String()
		return strings.Contains(log, `msg="TLS is enabled."`), log
	})
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(certPEM) {
		t.Fatal("cert not added to pool")
	}
	trusting := newClient(&http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}})
	untrusting := newClient(&http.Transport{TLSClientConfig: &tls.Config{RootCAs: x509.NewCertPool()}})
	plain := newClient(nil)
	httpsURL, httpURL := "https://"+p.addr+"/metrics", "http://"+p.addr+"/metrics"
	auth := func(user, pass string) func(*http.Request) {
		return func(r *http.Request) { r.SetBasicAuth(user, pass) }
	}

	tests := []struct {
		name     string
		client   *http.Client
		url      string
		modify   func(*http.Request)
		wantCode int  // 0: the request must fail
		metrics  bool // the body is the metrics
	}{
		{"right password", trusting, httpsURL, auth("prometheus", "s3cret"), http.StatusOK, true},
		{"wrong password", trusting, httpsURL, auth("prometheus", "wrong"), http.StatusUnauthorized, false},
		{"unknown user", trusting, httpsURL, auth("admin", "s3cret"), http.StatusUnauthorized, false},
		{"no auth", trusting, httpsURL, nil, http.StatusUnauthorized, false},
		{"untrusted cert", untrusting, httpsURL, auth("prometheus", "s3cret"), 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, body, err := get(tc.client, tc.url, tc.modify)
			if tc.wantCode == 0 {
				if err == nil {
					t.Fatalf("GET %s: status %d, want an error", tc.url, code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if code != tc.wantCode {
				t.Fatalf("status = %d, want %d; body %q", code, tc.wantCode, body)
			}
			if got := strings.Contains(body, "httpstatus_responses_total"); got != tc.metrics {
				t.Errorf("body has metrics = %t, want %t", got, tc.metrics)
			}
			if tc.metrics {
				f, err := parseMetrics(body)
				if err != nil {
					t.Fatal(err)
				}
				if got := len(f.series("httpstatus_responses_total", "code")); got != len(seedTable) {
					t.Errorf("responses_total has %d series, want %d", got, len(seedTable))
				}
			}
		})
	}
	t.Run("plain http", func(t *testing.T) {
		// Go's TLS server answers plain HTTP with a bare 400; either that or
		// an error is a refusal. Metrics must not come back in clear text.
		code, body, err := get(plain, httpURL, auth("prometheus", "s3cret"))
		if err == nil && (code == http.StatusOK || strings.Contains(body, "httpstatus_")) {
			t.Errorf("plain http to the TLS port: status %d, body %.200q; want a refusal", code, body)
		}
	})
}

// tlsWebConfig writes an exporter-toolkit web config into dir: TLS with a
// self-signed certificate for 127.0.0.1, and basic auth for the user
// prometheus with password. It returns the config's path and the certificate.
func tlsWebConfig(t *testing.T, dir, password string) (webConfig string, certPEM []byte) {
	t.Helper()
	certPEM, keyPEM := selfSignedCert(t)
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	webConfig = filepath.Join(dir, "web.yml")
	for path, data := range map[string][]byte{
		certFile: certPEM, keyFile: keyPEM,
		webConfig: fmt.Appendf(nil, "tls_server_config:\n  cert_file: %s\n  key_file: %s\nbasic_auth_users:\n  prometheus: %s\n",
			certFile, keyFile, hash),
	} {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return webConfig, certPEM
}

// selfSignedCert returns a PEM certificate and key for 127.0.0.1.
func selfSignedCert(t *testing.T) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "httpstatus-exporter test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder})
}

// testCommands runs the short-lived commands through the binary: output,
// stream and exit code as a user sees them.
func testCommands(t *testing.T, bin string) {
	dir := t.TempDir()
	logPath := filepath.Join(dir, "access.log")
	if err := os.WriteFile(logPath, []byte(accessLine("503", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout *regexp.Regexp
		wantStderr *regexp.Regexp
	}{
		{"version", []string{"--version"}, 0,
			regexp.MustCompile(`^exporter \(httpstatus-exporter\) version \S+, revision \S+, ` + regexp.QuoteMeta(runtime.Version()) + `\n$`), nil},
		{"no log path", nil, 1, nil, regexp.MustCompile(`(?m)^exporter: .*--log\.path.*--demo`)},
		{"bad glob", []string{"--log.path=" + dir + "/[", "--checkpoint.file="}, 1, nil, regexp.MustCompile(`syntax error in pattern`)},
		{"bad format", []string{"--log.path=" + logPath, "--log.format=nonsense"}, 1, nil, regexp.MustCompile(`"nonsense"`)},
		{"classify out of range", []string{"classify", "2000"}, 1, nil, regexp.MustCompile(`"2000"`)},
		{"check-config", []string{"check-config", "--log.path=" + logPath}, 0,
			regexp.MustCompile(`(?s)path ` + regexp.QuoteMeta(logPath) + `: 1 files now\n\s+` + regexp.QuoteMeta(logPath) + ` \(combined, 1 of the first 1 lines parse\)\n.*config OK\n$`), nil},
		{"replay json", []string{"replay", "--output=json", logPath}, 0,
			regexp.MustCompile(`"responses": \{\s+"503": 1\s+\}`), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(bin, tc.args...)
			cmd.Env = cleanEnv()
			var stdout, stderr strings.Builder
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			code := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tc.wantCode {
				t.Errorf("exit code = %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.wantCode, stdout.String(), stderr.String())
			}
			if tc.wantStdout != nil && !tc.wantStdout.MatchString(stdout.String()) {
				t.Errorf("stdout does not match %s:\n%s", tc.wantStdout, stdout.String())
			}
			if tc.wantStderr != nil && !tc.wantStderr.MatchString(stderr.String()) {
				t.Errorf("stderr does not match %s:\n%s", tc.wantStderr, stderr.String())
			}
		})
	}
}
