package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// seedTable is the documented part of the seed's status table, written out
// here rather than taken from the classify package so that a drift of the
// embedded table shows as a failure.
var seedTable = []struct {
	code, category, en, zh string
}{
	{"200", "success", "Task submitted", "任务提交成功"},
	{"201", "success", "Created", "创建成功"},
	{"400", "client", "Bad request parameters", "请求参数错误。"},
	{"401", "auth", "Authentication failed", "鉴权失败。"},
	{"403", "permission", "No permission to access the resource", "没有权限对资源访问。"},
	{"404", "not-found", "Requested resource does not exist", "请求的资源不存在。"},
	{"500", "server", "Request not completed: service error", "请求未完成。服务异常。"},
	{"501", "server", "Request not completed: the server does not support the requested function", "请求未完成。服务器不支持所请求的功能。"},
	{"502", "gateway", "Request not completed: invalid response from the upstream server", "请求未完成。服务器从上游服务器收到一个无效的响应。"},
	{"503", "server", "Request not completed: system temporarily unavailable", "请求未完成。系统暂时异常。"},
	{"504", "gateway", "Gateway timeout", "网关超时。"},
}

// syncBuffer is a bytes.Buffer safe for one writer and many readers: the
// stderr of an exporter running in a goroutine or a subprocess.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// listeningRE finds the bound address in the exporter-toolkit's log line.
var listeningRE = regexp.MustCompile(`msg="Listening on" address=(\S+)`)

// waitFor polls cond until it reports true or timeout passes; then the test
// fails with what cond said last.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		ok, last := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not reached within %s; last: %s", what, timeout, last)
		}
		<-tick.C
	}
}

// newClient returns an HTTP client that keeps no idle connections, so a test
// that checks for leaked goroutines is not misled by the client's own.
func newClient(tr *http.Transport) *http.Client {
	if tr == nil {
		tr = &http.Transport{}
	}
	tr.DisableKeepAlives = true
	return &http.Client{Transport: tr, Timeout: 5 * time.Second}
}

// get fetches url and returns the status and body.
func get(c *http.Client, url string, modify func(*http.Request)) (int, string, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return 0, "", err
	}
	if modify != nil {
		modify(req)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), err
}

// families is a parsed scrape.
type families map[string]*dto.MetricFamily

// parseMetrics parses the text exposition format.
func parseMetrics(body string) (families, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	return p.TextToMetricFamilies(strings.NewReader(body))
}

// scrape fetches and parses url.
func scrape(c *http.Client, url string) (families, error) {
	code, body, err := get(c, url, nil)
	if err != nil {
		return nil, err
	}
	if code != http.StatusOK {
		return nil, fmt.Errorf("GET %s: status %d: %s", url, code, body)
	}
	return parseMetrics(body)
}

func labelValue(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

func metricValue(m *dto.Metric) float64 {
	switch {
	case m.Counter != nil:
		return m.GetCounter().GetValue()
	case m.Gauge != nil:
		return m.GetGauge().GetValue()
	default:
		return m.GetUntyped().GetValue()
	}
}

// series returns the values of family name, keyed by the values of labels
// joined with a space ("200 success"); "" keys a family without those labels.
func (f families) series(name string, labels ...string) map[string]float64 {
	out := map[string]float64{}
	for _, m := range f[name].GetMetric() {
		vals := make([]string, len(labels))
		for i, l := range labels {
			vals[i] = labelValue(m, l)
		}
		out[strings.Join(vals, " ")] += metricValue(m)
	}
	return out
}

// value returns the value of a family with at most one series.
func (f families) value(name string) float64 {
	var v float64
	for _, x := range f.series(name) {
		v += x
	}
	return v
}

// sum adds every series of a family.
func (f families) sum(name string) float64 { return f.value(name) }

// nonSource lists the httpstatus_ families whose series lack source="want".
func (f families) nonSource(want string) []string {
	var bad []string
	for name, fam := range f {
		if !strings.HasPrefix(name, "httpstatus_") || name == "httpstatus_exporter_build_info" {
			continue
		}
		for _, m := range fam.GetMetric() {
			if got := labelValue(m, "source"); got != want {
				bad = append(bad, fmt.Sprintf("%s{source=%q}", name, got))
			}
		}
	}
	slices.Sort(bad)
	return bad
}

// accessLine is one nginx combined line with the given status field; i
// varies the client, time and path so no two lines are equal.
func accessLine(status string, i int) string {
	return fmt.Sprintf("203.0.113.%d - alice [12/Mar/2025:10:%02d:%02d +0000] \"GET /api/v1/items/%d?q=a%%20b HTTP/1.1\" %s %d \"https://example.test/list\" \"Mozilla/5.0 (X11; Linux x86_64) e2e/1.0\"\n",
		i%250+1, i/60%60, i%60, i, status, 100+i)
}

// appendFile appends data to path and fails the test on error.
func appendFile(t *testing.T, path, data string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(data); err != nil {
		f.Close()
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// checkpointOffsets reads a checkpoint file and returns the offset of every
// position by path.
func checkpointOffsets(t *testing.T, path string) map[string]int64 {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("checkpoint: %v", err)
	}
	var cp struct {
		Version   int `json:"version"`
		Positions []struct {
			Source string `json:"source"`
			Path   string `json:"path"`
			Offset int64  `json:"offset"`
		} `json:"positions"`
	}
	if err := json.Unmarshal(data, &cp); err != nil {
		t.Fatalf("checkpoint %s: %v\n%s", path, err, data)
	}
	out := map[string]int64{}
	for _, p := range cp.Positions {
		out[p.Source+" "+p.Path] = p.Offset
	}
	return out
}

// corpusDir is the shared corpus: $HTTPSTATUS_CORPUS, else ../../../shared/corpus
// from this package. Missing, the test is skipped, except under CI=true
// where it fails: CI must not pass by skipping.
func corpusDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("HTTPSTATUS_CORPUS")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "corpus")
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		if os.Getenv("CI") == "true" {
			t.Fatalf("corpus %s missing (set HTTPSTATUS_CORPUS): %v", dir, err)
		}
		t.Skipf("corpus %s missing (set HTTPSTATUS_CORPUS): %v", dir, err)
	}
	return dir
}

// goTool is the go command that runs this test.
func goTool(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	// go test runs with the go command's directory on PATH; this is a last try.
	p := "/usr/local/go/bin/go"
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("no go command on PATH or at %s: %v", p, err)
	}
	return p
}

// buildExporter builds ./cmd/exporter (this package) into dir.
func buildExporter(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "exporter")
	start := time.Now()
	cmd := exec.Command(goTool(t), "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	t.Logf("built %s in %s", bin, time.Since(start).Round(time.Millisecond))
	return bin
}

// cleanEnv is the environment without HTTPSTATUS_ variables, so flags come
// only from the arguments the test gives.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HTTPSTATUS_") {
			env = append(env, kv)
		}
	}
	return env
}

// proc is a running exporter binary.
type proc struct {
	cmd    *exec.Cmd
	stderr *syncBuffer
	stdout *syncBuffer
	addr   string // from the "Listening on" log line
	done   chan struct{}
	err    error // of Wait, once done is closed
}

// startExporter starts bin with args and waits for its listening address.
// The process is killed when the test ends if it is still running.
func startExporter(t *testing.T, bin string, args ...string) *proc {
	t.Helper()
	return startExporterWith(t, bin, launch{}, args...)
}

// launch says how to start an exporter beyond its arguments.
type launch struct {
	// uid, if not 0, runs the exporter as that user (and group): root
	// ignores file permissions, and some scenarios are about them.
	uid int
	// prelude is a shell script run before the exporter in the same process,
	// which then execs it ("$@" is the exporter and its arguments).
	prelude string
	// cloneflags puts the shell and the exporter in new namespaces
	// (CLONE_NEWNS for a private tmpfs, CLONE_NEWUSER for inotify limits of
	// their own).
	cloneflags uintptr
}

// startExporterWith starts bin as described by l and waits for its listening
// address; it is killed when the test ends if it is still running.
func startExporterWith(t *testing.T, bin string, l launch, args ...string) *proc {
	t.Helper()
	p := &proc{stderr: &syncBuffer{}, stdout: &syncBuffer{}, done: make(chan struct{})}
	if l.prelude != "" {
		p.cmd = exec.Command("/bin/sh", append([]string{"-c", l.prelude + "\nexec \"$@\"", "sh", bin}, args...)...)
	} else {
		p.cmd = exec.Command(bin, args...)
	}
	p.cmd.Env = cleanEnv()
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	attr := &syscall.SysProcAttr{Cloneflags: l.cloneflags}
	if l.uid != 0 {
		attr.Credential = &syscall.Credential{Uid: uint32(l.uid), Gid: uint32(l.uid)} //nolint:gosec // a test's own small uid
	}
	if l.cloneflags&syscall.CLONE_NEWUSER != 0 {
		// Root inside is root outside: files are reached as before; the
		// namespace is only there for limits of its own.
		attr.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: 0, Size: 1}}
		attr.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: 0, Size: 1}}
	}
	p.cmd.SysProcAttr = attr
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %v: %v", args, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Kill() // it may have exited meanwhile: Wait says
			<-p.done
		}
		if t.Failed() {
			t.Logf("exporter %v stderr:\n%s", args, tailString(p.stderr.String(), 16<<10))
		}
	})
	waitFor(t, 20*time.Second, "exporter listening", func() (bool, string) {
		select {
		case <-p.done:
			t.Fatalf("exporter exited early: %v\nstderr:\n%s", p.err, tailString(p.stderr.String(), 16<<10))
		default:
		}
		m := listeningRE.FindStringSubmatch(p.stderr.String())
		if m == nil {
			return false, tailString(p.stderr.String(), 4<<10)
		}
		p.addr = m[1]
		return true, ""
	})
	return p
}

// stop sends SIGTERM and returns the exit code and how long the exit took.
func (p *proc) stop(t *testing.T, timeout time.Duration) (int, time.Duration) {
	t.Helper()
	start := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
	select {
	case <-p.done:
	case <-time.After(timeout):
		t.Fatalf("exporter did not exit within %s of SIGTERM\nstderr:\n%s", timeout, p.stderr.String())
	}
	took := time.Since(start)
	var ee *exec.ExitError
	switch {
	case p.err == nil:
		return 0, took
	case errors.As(p.err, &ee):
		return ee.ExitCode(), took
	default:
		t.Fatalf("wait: %v", p.err)
		return -1, took
	}
}

// runInProcess runs run(ctx, args) in a goroutine and returns its stderr and
// a channel with its result.
func runInProcess(ctx context.Context, args ...string) (*syncBuffer, <-chan error) {
	stderr := &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, args, io.Discard, stderr) }()
	return stderr, done
}

// waitListening waits for the address run logs, failing if run returns first.
func waitListening(t *testing.T, stderr *syncBuffer, done <-chan error) string {
	t.Helper()
	var addr string
	waitFor(t, 10*time.Second, "run listening", func() (bool, string) {
		select {
		case err := <-done:
			t.Fatalf("run returned early: %v\nstderr:\n%s", err, stderr.String())
		default:
		}
		m := listeningRE.FindStringSubmatch(stderr.String())
		if m == nil {
			return false, stderr.String()
		}
		addr = m[1]
		return true, ""
	})
	return addr
}

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}

// check is one comparison of a scrape with what is wanted.
type check struct {
	name      string
	want, got any
}

// diffs returns the failed checks, each as "name (-want +got): diff".
func diffs(checks []check) string {
	var b strings.Builder
	for _, c := range checks {
		if d := cmp.Diff(c.want, c.got); d != "" {
			fmt.Fprintf(&b, "%s (-want +got):\n%s", c.name, d)
		}
	}
	return b.String()
}

// waitReady waits for /-/ready: the first scan is done, so a file that
// existed at start-up is now followed from its end, and lines appended from
// here on are counted. Appending before that races the scan (--tail.from=end
// would start after them).
func waitReady(t *testing.T, c *http.Client, base string) {
	t.Helper()
	waitFor(t, 10*time.Second, base+"/-/ready", func() (bool, string) {
		code, body, err := get(c, base+"/-/ready", nil)
		return code == http.StatusOK, fmt.Sprint(code, " ", body, err)
	})
}
