package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/httpstatus-exporter/httpstatus-exporter/rules"
)

// e2eRateInterval is what $__rate_interval becomes in the end-to-end test:
// Grafana makes it at least four scrape intervals; with Prometheus scraping
// every second, a minute holds every sample since the traffic started.
const e2eRateInterval = "1m"

// e2eNode is the node label the test's scrape config gives the exporter, as
// the PodMonitor does from the pod's node.
const e2eNode = "e2e-node"

// TestE2EDashboardQueries runs the real exporter binary, built from this
// repository, on a real log with traffic of many codes, unparsed lines and
// a rotation, scraped every second by a real Prometheus (Debian's package)
// that loads the shipped rule files. Every query of the dashboard (panels,
// variables, annotation), with Grafana's variables substituted as Grafana
// would (all values, then one source, node and instance), parses in that
// Prometheus and returns data: no panel is empty on a healthy system. Panels
// whose subject the traffic has (5xx, gateway, auth, rotations, unparsed
// lines) show it. And every metric the dashboard reads is on the running
// exporter's /metrics or recorded by the shipped rules.
func TestE2EDashboardQueries(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the exporter and runs it with a real Prometheus")
	}
	start := time.Now()
	promBin := needTool(t, "prometheus")
	dir := t.TempDir()
	bin := buildExporter(t, dir)

	logPath := filepath.Join(dir, "access.log")
	if err := os.WriteFile(logPath, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	exp := startProcess(t, "exporter", bin, "--log.path="+logPath, "--log.format=combined", "--log.source=web",
		"--web.listen-address=127.0.0.1:0", "--checkpoint.file=", "--tail.poll-interval=50ms", "--tail.rotate-wait=1s")
	exporterAddr := waitMatch(t, exp, regexp.MustCompile(`msg="Listening on" address=(\S+)`), 20*time.Second)
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	waitUntil(t, 15*time.Second, "exporter ready", func() (bool, string) {
		code, body, err := httpGet(c, "http://"+exporterAddr+"/-/ready")
		return code == http.StatusOK, fmt.Sprint(code, body, err)
	})

	// Prometheus with the shipped rules, scraping and evaluating every second.
	rulesDir, err := filepath.Abs(filepath.Join("..", "rules"))
	if err != nil {
		t.Fatal(err)
	}
	promAddr := freeAddr(t)
	config := fmt.Sprintf(`global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files:
  - %s
  - %s
scrape_configs:
  - job_name: %s
    static_configs:
      - targets: ['%s']
        labels:
          node: %s
`, filepath.Join(rulesDir, rules.RulesFile), filepath.Join(rulesDir, rules.AlertsFile), DefaultJob, exporterAddr, e2eNode)
	configPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(configPath, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	prom := startProcess(t, "prometheus", promBin, "--config.file="+configPath,
		"--storage.tsdb.path="+filepath.Join(dir, "tsdb"), "--web.listen-address="+promAddr)
	api := "http://" + promAddr
	waitUntil(t, 30*time.Second, "prometheus ready", func() (bool, string) {
		if prom.exited() {
			t.Fatalf("prometheus exited:\n%s", prom.out.String())
		}
		code, body, err := httpGet(c, api+"/-/ready")
		return code == http.StatusOK, fmt.Sprint(code, body, err)
	})
	t.Logf("exporter and Prometheus up after %s", time.Since(start).Round(100*time.Millisecond))

	// Traffic, then a rotation once Prometheus has seen lines.
	w := startTraffic(t, logPath)
	waitUntil(t, 20*time.Second, "Prometheus sees responses", func() (bool, string) {
		v, err := sumOf(c, api, `sum(httpstatus_responses_total{source="web"})`)
		return err == nil && v > 0, fmt.Sprint(v, err)
	})
	if err := w.rotate(); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 20*time.Second, "Prometheus sees the rotation", func() (bool, string) {
		v, err := sumOf(c, api, `sum(httpstatus_rotations_total{source="web", kind="rename"})`)
		return err == nil && v >= 1, fmt.Sprint(v, err)
	})

	// The metric names: on the running exporter, or recorded.
	live := scrapeNames(t, c, "http://"+exporterAddr+"/metrics")
	for r := range recordNames(t) {
		live[r] = true
	}

	escapedAddr := strings.ReplaceAll(regexp.QuoteMeta(exporterAddr), `\`, `\\`)
	for _, r := range []struct {
		name string
		o    rules.Options
	}{{"shipped", rules.DefaultOptions()}, {"group-by cluster and namespace", groupByOptions()}} {
		var js []byte
		if r.name == "shipped" {
			if js, err = os.ReadFile(DashboardFile); err != nil {
				t.Fatal(err)
			}
		} else if js, err = Render(r.o); err != nil {
			t.Fatal(err)
		}
		qs := queriesOf(t, js)
		problems, _ := metricProblems(qs, r.o.GroupBy, live)
		for _, p := range problems {
			t.Errorf("%s: %s", r.name, p)
		}

		all := map[string]string{"__rate_interval": e2eRateInterval, "__interval": "15s", "__range": "5m",
			"job": DefaultJob, "source": ".*", "node": ".*", "instance": ".*"}
		for _, l := range r.o.GroupBy {
			all[l] = ".*"
		}
		one := map[string]string{}
		for k, v := range all {
			one[k] = v
		}
		one["source"], one["node"], one["instance"] = "web", e2eNode, escapedAddr

		for _, vs := range []struct {
			name string
			vars map[string]string
		}{{"all selected", all}, {"source web, node and instance selected", one}} {
			t.Run(r.name+"/"+vs.name, func(t *testing.T) {
				checkQueries(t, c, api, qs, vs.vars, r.o.GroupBy)
			})
		}
	}

	// What the traffic holds shows where it should (all values selected).
	qs := queriesOf(t, mustRead(t, DashboardFile))
	all := map[string]string{"__rate_interval": e2eRateInterval, "__interval": "15s", "__range": "5m",
		"job": DefaultJob, "source": ".*", "node": ".*", "instance": ".*"}
	checkValues(t, c, api, qs, all)

	// The annotation selects the shipped alerts: HTTPStatus5xxRatioHigh is
	// pending (it fires only after its 5m for), so the annotation's query for
	// pending instead of firing alerts finds it.
	var ann dashQuery
	for _, q := range qs {
		if strings.HasPrefix(q.where, "annotation") {
			ann = q
		}
	}
	pending := strings.Replace(ann.expr, `alertstate="firing"`, `alertstate="pending"`, 1)
	if pending == ann.expr {
		t.Fatalf("annotation %q does not select alertstate=\"firing\"", ann.expr)
	}
	waitUntil(t, 20*time.Second, "the annotation's query finds the pending HTTPStatus5xxRatioHigh", func() (bool, string) {
		expr, err := expand(pending, all)
		if err != nil {
			t.Fatal(err)
		}
		res, err := instantQuery(c, api, expr)
		for _, s := range res {
			if s.Metric["alertname"] == "HTTPStatus5xxRatioHigh" && s.Metric["source"] == "web" {
				return true, ""
			}
		}
		return false, fmt.Sprint(res, err)
	})
	t.Logf("done in %s", time.Since(start).Round(100*time.Millisecond))
}

// checkQueries runs every query with vars: each parses and succeeds, and
// each of a panel or of a variable of the exporter's labels has data.
func checkQueries(t *testing.T, c *http.Client, api string, qs []dashQuery, vars map[string]string, groupBy []string) {
	t.Helper()
	// Until every panel has data: the records of the longer windows and the
	// 15m unparsed ratio need a few evaluations after the traffic starts.
	var last []string
	deadline := time.Now().Add(30 * time.Second)
	for {
		last = last[:0]
		for _, q := range qs {
			expr, err := expand(q.expr, vars)
			if err != nil {
				t.Fatalf("%s: %v", q.where, err)
			}
			switch {
			case q.labelValues != "":
				// What Grafana asks for label_values(selector, label).
				vals, err := labelValues(c, api, q.labelValues, expr)
				if err != nil {
					last = append(last, fmt.Sprintf("%s: %s: %v", q.where, expr, err))
				} else if len(vals) == 0 && !slices.Contains(groupBy, q.labelValues) {
					last = append(last, fmt.Sprintf("%s: %s: no values", q.where, expr))
				}
			default:
				res, err := instantQuery(c, api, expr)
				if err != nil {
					last = append(last, fmt.Sprintf("%s: %s: %v", q.where, expr, err))
				} else if len(res) == 0 && q.panel != "" {
					// No alert fires in this test: the annotation may be empty.
					last = append(last, fmt.Sprintf("%s: %s: no data", q.where, expr))
				}
			}
		}
		if len(last) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	for _, l := range last {
		t.Error(l)
	}
}

// checkValues checks that the panels about what the traffic holds show it.
func checkValues(t *testing.T, c *http.Client, api string, qs []dashQuery, vars map[string]string) {
	t.Helper()
	type want struct {
		ref  string
		test func(res []promSample) bool
		what string
	}
	positive := func(res []promSample) bool { return sum(res) > 0 }
	wants := map[string]want{
		"Requests per second":                     {"A", positive, "> 0"},
		"5xx ratio (5m)":                          {"A", positive, "> 0"},
		"Success ratio (not 5xx, 5m)":             {"A", func(r []promSample) bool { return sum(r) > 0 && sum(r) < 1 }, "in (0, 1)"},
		"Gateway share (5m)":                      {"A", positive, "> 0"},
		"Request rate by source":                  {"A", positive, "> 0"},
		"Gateway errors (502, 504)":               {"A", func(r []promSample) bool { return codes(r, "code") == "502,504" && sum(r) > 0 }, "502 and 504, > 0"},
		"Auth and permission failures (401, 403)": {"A", func(r []promSample) bool { return codes(r, "code") == "401,403" && sum(r) > 0 }, "401 and 403, > 0"},
		"Not found (404)":                         {"A", positive, "> 0"},
		"Error budget remaining (3d)":             {"A", func(r []promSample) bool { return len(r) == 1 && sum(r) < 0 }, "< 0 (22% 5xx spends it fast)"},
		"Burn rate by window":                     {"E", positive, "> 0 over 3d"},
		"Lines read per second":                   {"A", positive, "> 0"},
		"Unparsed lines by reason":                {"A", func(r []promSample) bool { return nonZero(r, "reason") == "bad_status,no_match" }, "bad_status and no_match > 0"},
		"Unparsed share (15m)":                    {"A", positive, "> 0"},
		"Rotations":                               {"A", func(r []promSample) bool { return nonZero(r, "kind") == "rename" }, "rename > 0"},
		"Files followed":                          {"A", func(r []promSample) bool { return sum(r) >= 1 }, ">= 1"},
		"Exporters up and down":                   {"A", func(r []promSample) bool { return sum(r) == 1 }, "1 up"},
		"Responses per second by category": {"A", func(r []promSample) bool {
			return codes(r, "category") == "auth,client,gateway,not-found,permission,redirect,server,success"
		}, "every category of the traffic"},
		"Status codes: meaning, category, rate and share": {"A", func(r []promSample) bool {
			for _, s := range r {
				if s.Metric["code"] == "404" {
					return s.Metric["category"] == "not-found" && s.Metric["meaning"] == "Requested resource does not exist" && s.value() > 0
				}
			}
			return false
		}, "404 with its category and meaning, > 0"},
	}
	seen := map[string]bool{}
	var last []string
	deadline := time.Now().Add(20 * time.Second)
	for {
		last = last[:0]
		for _, q := range qs {
			w, ok := wants[q.panel]
			if !ok || w.ref != q.ref {
				continue
			}
			seen[q.panel] = true
			expr, err := expand(q.expr, vars)
			if err != nil {
				t.Fatal(err)
			}
			res, err := instantQuery(c, api, expr)
			if err != nil || !w.test(res) {
				last = append(last, fmt.Sprintf("%s: want %s; %s gave %v %v", q.where, w.what, expr, res, err))
			}
		}
		if len(last) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	for _, l := range last {
		t.Error(l)
	}
	for title := range wants {
		if !seen[title] {
			t.Errorf("no panel %q in the dashboard", title)
		}
	}
}

func sum(res []promSample) float64 {
	var s float64
	for _, r := range res {
		s += r.value()
	}
	return s
}

// codes lists the values of label in res, sorted, comma-separated.
func codes(res []promSample, label string) string {
	var vs []string
	for _, r := range res {
		if v := r.Metric[label]; v != "" && !slices.Contains(vs, v) {
			vs = append(vs, v)
		}
	}
	slices.Sort(vs)
	return strings.Join(vs, ",")
}

// nonZero lists the values of label whose samples are above 0.
func nonZero(res []promSample, label string) string {
	var pos []promSample
	for _, r := range res {
		if r.value() > 0 {
			pos = append(pos, r)
		}
	}
	return codes(pos, label)
}

// --- Prometheus's HTTP API ----------------------------------------------

type promSample struct {
	Metric map[string]string `json:"metric"`
	Value  [2]any            `json:"value"`
}

func (s promSample) value() float64 {
	str, _ := s.Value[1].(string)
	v, _ := strconv.ParseFloat(str, 64)
	return v
}

// instantQuery runs q through /api/v1/query, as Grafana runs a panel's
// query for one point in time.
func instantQuery(c *http.Client, api, q string) ([]promSample, error) {
	var resp struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			ResultType string          `json:"resultType"`
			Result     json.RawMessage `json:"result"`
		} `json:"data"`
	}
	if err := getJSON(c, api+"/api/v1/query?query="+url.QueryEscape(q), &resp); err != nil {
		return nil, err
	}
	if resp.Status != "success" {
		return nil, fmt.Errorf("%s: %s", resp.Status, resp.Error)
	}
	switch resp.Data.ResultType {
	case "vector":
		var res []promSample
		err := json.Unmarshal(resp.Data.Result, &res)
		return res, err
	case "scalar":
		var v [2]any
		err := json.Unmarshal(resp.Data.Result, &v)
		return []promSample{{Metric: map[string]string{}, Value: v}}, err
	}
	return nil, fmt.Errorf("result type %q", resp.Data.ResultType)
}

// sumOf is the sum of the values of q's result.
func sumOf(c *http.Client, api, q string) (float64, error) {
	res, err := instantQuery(c, api, q)
	return sum(res), err
}

// labelValues asks /api/v1/label/<label>/values for the series matching
// selector, as Grafana does for label_values(selector, label).
func labelValues(c *http.Client, api, label, selector string) ([]string, error) {
	var resp struct {
		Status string   `json:"status"`
		Error  string   `json:"error"`
		Data   []string `json:"data"`
	}
	u := fmt.Sprintf("%s/api/v1/label/%s/values?match[]=%s&start=%d", api, label, url.QueryEscape(selector), time.Now().Add(-time.Hour).Unix())
	if err := getJSON(c, u, &resp); err != nil {
		return nil, err
	}
	if resp.Status != "success" {
		return nil, fmt.Errorf("%s: %s", resp.Status, resp.Error)
	}
	return resp.Data, nil
}

// scrapeNames returns the metric names on the exporter's /metrics.
func scrapeNames(t *testing.T, c *http.Client, u string) map[string]bool {
	t.Helper()
	code, body, err := httpGet(c, u)
	if err != nil || code != http.StatusOK {
		t.Fatalf("GET %s: %d %v", u, code, err)
	}
	names := map[string]bool{}
	for _, line := range strings.Split(body, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if i := strings.IndexAny(line, "{ "); i > 0 {
			names[line[:i]] = true
		}
	}
	if !names["httpstatus_responses_total"] {
		t.Fatalf("%s has no httpstatus_responses_total:\n%s", u, body)
	}
	return names
}

func getJSON(c *http.Client, u string, v any) error {
	code, body, err := httpGet(c, u)
	if err != nil {
		return err
	}
	if code != http.StatusOK && code != http.StatusBadRequest && code != http.StatusUnprocessableEntity {
		return fmt.Errorf("GET %s: %d %s", u, code, body)
	}
	return json.Unmarshal([]byte(body), v)
}

func httpGet(c *http.Client, u string) (int, string, error) {
	resp, err := c.Get(u)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), err
}

// --- Processes and files ------------------------------------------------

// needTool finds a program of the machine's packages (scripts/test.sh
// installs them); without it the test skips, or fails under CI.
func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s not found (scripts/install-prometheus.sh installs it): %v", name, err)
		}
		t.Skipf("%s not found (scripts/install-prometheus.sh installs it)", name)
	}
	return p
}

// buildExporter builds ./cmd/exporter of the repository into dir.
func buildExporter(t *testing.T, dir string) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("go command: %v", err)
	}
	bin := filepath.Join(dir, "exporter")
	start := time.Now()
	build := exec.Command(goBin, "build", "-o", bin, "./cmd/exporter")
	build.Dir = ".." // the exporter's module
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	t.Logf("built the exporter in %s", time.Since(start).Round(time.Millisecond))
	return bin
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// waitUntil polls cond every 100ms until it holds, or fails the test after
// timeout with what cond said last.
func waitUntil(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, last := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s; last: %s", what, timeout, last)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// freeAddr returns a loopback address with a port that was free a moment
// ago (Prometheus cannot be told to pick one and say which).
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

// process is a program the test started, with its output kept.
type process struct {
	cmd  *exec.Cmd
	out  *lockedBuffer
	done chan struct{}
}

func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// startProcess starts bin; when the test ends it is sent SIGTERM, killed if
// it has not exited within 10s, and always waited for.
func startProcess(t *testing.T, name, bin string, args ...string) *process {
	t.Helper()
	p := &process{cmd: exec.Command(bin, args...), out: &lockedBuffer{}, done: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		_ = p.cmd.Wait() // the exit status of a process told to stop says nothing
		close(p.done)
	}()
	t.Cleanup(func() {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("%s output:\n%s", name, p.out.String())
		}
	})
	return p
}

// waitMatch waits for re in a process's output and returns its first group.
func waitMatch(t *testing.T, p *process, re *regexp.Regexp, timeout time.Duration) string {
	t.Helper()
	var m []string
	waitUntil(t, timeout, "output matching "+re.String(), func() (bool, string) {
		if p.exited() {
			t.Fatalf("exited early:\n%s", p.out.String())
		}
		m = re.FindStringSubmatch(p.out.String())
		return m != nil, p.out.String()
	})
	return m[1]
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// trafficCodes are the statuses of one batch: mostly 200, every category of
// the seed table, and an undocumented 301 (redirect by class). 4 of 18 are
// 5xx: enough for HTTPStatus5xxRatioHigh to be pending.
var trafficCodes = []int{200, 200, 200, 200, 200, 200, 200, 200, 201, 301, 400, 401, 403, 404, 500, 502, 503, 504}

// traffic appends a batch of access log lines every 100ms, with a line that
// is not an access line and one with "-" for a status.
type traffic struct {
	mu   sync.Mutex
	path string
	f    *os.File
}

// startTraffic writes to path until the test ends.
func startTraffic(t *testing.T, path string) *traffic {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	w := &traffic{path: path, f: f}
	stop, done := make(chan struct{}), make(chan error, 1)
	go func() {
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		i := 0
		for {
			select {
			case <-stop:
				w.mu.Lock()
				done <- w.f.Close()
				w.mu.Unlock()
				return
			case <-tick.C:
			}
			var b bytes.Buffer
			bw := bufio.NewWriter(&b)
			for _, code := range trafficCodes {
				fmt.Fprintf(bw, "192.0.2.%d - - [12/Mar/2025:10:00:00 +0000] \"GET /items/%d HTTP/1.1\" %d 512 \"-\" \"e2e\"\n", i%250+1, i, code)
				i++
			}
			fmt.Fprintf(bw, "not an access log line %d\n", i)
			fmt.Fprintf(bw, "192.0.2.1 - - [12/Mar/2025:10:00:00 +0000] \"GET /items/%d HTTP/1.1\" - 0 \"-\" \"e2e\"\n", i)
			_ = bw.Flush()
			w.mu.Lock()
			_, err := w.f.Write(b.Bytes())
			w.mu.Unlock()
			if err != nil {
				done <- err
				return
			}
		}
	}()
	t.Cleanup(func() {
		close(stop)
		if err := <-done; err != nil {
			t.Errorf("log writer: %v", err)
		}
	})
	return w
}

// rotate does what logrotate's create does: rename the log, make a new one
// and write there from now on.
func (w *traffic) rotate() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := os.Rename(w.path, w.path+".1"); err != nil {
		return err
	}
	f, err := os.OpenFile(w.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	old := w.f
	w.f = f
	return old.Close()
}
