package rules

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
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// e2eScale shrinks every window and for duration of the rules 60 times:
// 5m becomes 5s, so with a scrape and an evaluation every second the test
// sees in seconds what takes minutes in production.
const e2eScale = "0.016666666666666666"

// e2eFiringBound is how long after the first 5xx line HTTPStatus5xxRatioHigh
// must be firing: the 5s window has to see the errors (a scrape or two),
// then its 5s for, with evaluations every second. Measured: 6s to 7.5s.
const e2eFiringBound = 30 * time.Second

// TestE2EPrometheusAlerts runs the real exporter binary on a real log,
// scraped by a real Prometheus (Debian's package) that loads the rules
// rendered by `exporter rules` with short windows. Steady 2xx traffic leaves
// HTTPStatus5xxRatioHigh quiet; a 5xx burst makes it fire within
// e2eFiringBound, seen through /api/v1/alerts.
func TestE2EPrometheusAlerts(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the exporter and runs it with a real Prometheus")
	}
	promBin := tool(t, "prometheus")
	dir := t.TempDir()

	// The exporter, built from this module.
	bin := filepath.Join(dir, "exporter")
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("go command: %v", err)
	}
	build := exec.Command(goBin, "build", "-o", bin, "./cmd/exporter")
	build.Dir = ".." // the module root
	start := time.Now()
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	t.Logf("built the exporter in %s", time.Since(start).Round(time.Millisecond))

	// The rules, with short windows, by the command users run.
	rulesDir := filepath.Join(dir, "rules")
	if out, err := exec.Command(bin, "rules", "--time-scale="+e2eScale, "--output-dir="+rulesDir).CombinedOutput(); err != nil {
		t.Fatalf("exporter rules: %v\n%s", err, out)
	}

	logPath := filepath.Join(dir, "access.log")
	if err := os.WriteFile(logPath, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	exp := startProcess(t, "exporter", bin, "--log.path="+logPath, "--log.format=combined", "--log.source=web",
		"--web.listen-address=127.0.0.1:0", "--checkpoint.file=", "--tail.poll-interval=50ms")
	exporterAddr := waitMatch(t, exp, regexp.MustCompile(`msg="Listening on" address=(\S+)`), 20*time.Second)
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	waitUntil(t, 15*time.Second, "exporter ready", func() (bool, string) {
		code, body, err := httpGet(c, "http://"+exporterAddr+"/-/ready")
		return code == http.StatusOK, fmt.Sprint(code, body, err)
	})

	// Prometheus on a free loopback port, scraping and evaluating every second.
	promAddr := freeAddr(t)
	config := fmt.Sprintf(`global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files:
  - %s
  - %s
scrape_configs:
  - job_name: httpstatus-exporter
    static_configs:
      - targets: ['%s']
`, filepath.Join(rulesDir, RulesFile), filepath.Join(rulesDir, AlertsFile), exporterAddr)
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

	// Steady traffic: 100 requests/s, all 200s, from a writer that the
	// test switches to 50% 500s for the burst.
	w := startWriter(t, logPath)

	// The rules see the traffic above the volume guard, with a 5xx ratio
	// of 0 (present, not absent: a missing series would also not fire).
	waitUntil(t, 20*time.Second, "the rules see steady traffic", func() (bool, string) {
		rate, err1 := queryValue(c, api, `source:httpstatus_responses:rate5s{source="web"}`)
		ratio, err2 := queryValue(c, api, `source:httpstatus_responses_5xx:ratio_rate5s{source="web"}`)
		return err1 == nil && err2 == nil && rate >= 10 && ratio == 0, fmt.Sprint(rate, ratio, err1, err2)
	})
	// Quiet for longer than the alert's window and for together.
	quietUntil := time.Now().Add(12 * time.Second)
	for time.Now().Before(quietUntil) {
		if a, err := ratioAlert(c, api); err != nil {
			t.Fatal(err)
		} else if a != nil {
			t.Fatalf("HTTPStatus5xxRatioHigh is %s on steady 2xx traffic: %+v", a.State, a)
		}
		time.Sleep(250 * time.Millisecond)
	}

	// The burst.
	burst := time.Now()
	w.setErrorShare(0.5)
	var pendingAfter time.Duration
	var firing *promAlert
	waitUntil(t, e2eFiringBound, "HTTPStatus5xxRatioHigh firing", func() (bool, string) {
		a, err := ratioAlert(c, api)
		if err != nil || a == nil {
			return false, fmt.Sprint(err)
		}
		if pendingAfter == 0 {
			pendingAfter = time.Since(burst)
		}
		firing = a
		return a.State == "firing", a.State
	})
	t.Logf("HTTPStatus5xxRatioHigh pending %s and firing %s after the first 5xx line (bound %s; windows and for scaled by %s: 5m is 5s)",
		pendingAfter.Round(100*time.Millisecond), time.Since(burst).Round(100*time.Millisecond), e2eFiringBound, e2eScale)
	if firing.Labels["source"] != "web" || firing.Labels["severity"] != "critical" ||
		!strings.Contains(firing.Annotations["description"], "source web over the last 5s were 5xx") {
		t.Errorf("firing alert: %+v", firing)
	}

	// Every rule evaluated without error, and every series the rules read
	// comes from the exporter.
	var rulesResp struct {
		Data struct {
			Groups []struct {
				Rules []struct {
					Name      string `json:"name"`
					Health    string `json:"health"`
					LastError string `json:"lastError"`
				} `json:"rules"`
			} `json:"groups"`
		} `json:"data"`
	}
	if err := getJSON(c, api+"/api/v1/rules", &rulesResp); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, g := range rulesResp.Data.Groups {
		for _, r := range g.Rules {
			n++
			if r.Health != "ok" {
				t.Errorf("rule %s: health %q: %s", r.Name, r.Health, r.LastError)
			}
		}
	}
	if n != 28 {
		t.Errorf("Prometheus loaded %d rules, want 28 (20 records, 8 alerts)", n)
	}
	for _, sel := range []string{`httpstatus_responses_total{job="httpstatus-exporter",code=~"5.."}`,
		`httpstatus_responses_total{job="httpstatus-exporter",category="gateway"}`,
		`httpstatus_lines_read_total{job="httpstatus-exporter"}`, `httpstatus_lines_unparsed_total{job="httpstatus-exporter"}`,
		`up{job="httpstatus-exporter"}`} {
		if v, err := queryValue(c, api, "count("+sel+")"); err != nil || v == 0 {
			t.Errorf("no series %s in Prometheus: %v", sel, err)
		}
	}

	// Every query of the runbooks parses in this Prometheus.
	doc, err := os.ReadFile(filepath.Join("..", "docs", "runbooks.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range regexp.MustCompile("(?s)```promql\n(.*?)```").FindAllStringSubmatch(string(doc), -1) {
		var resp struct {
			Status string `json:"status"`
			Error  string `json:"error"`
		}
		if err := getJSON(c, api+"/api/v1/query?query="+url.QueryEscape(q[1]), &resp); err != nil || resp.Status != "success" {
			t.Errorf("runbook query %s: %v %s", q[1], err, resp.Error)
		}
	}
}

// promAlert is an alert as /api/v1/alerts lists it.
type promAlert struct {
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	State       string            `json:"state"`
	Value       string            `json:"value"`
}

// ratioAlert returns HTTPStatus5xxRatioHigh if it is pending or firing.
func ratioAlert(c *http.Client, api string) (*promAlert, error) {
	var resp struct {
		Data struct {
			Alerts []promAlert `json:"alerts"`
		} `json:"data"`
	}
	if err := getJSON(c, api+"/api/v1/alerts", &resp); err != nil {
		return nil, err
	}
	for _, a := range resp.Data.Alerts {
		if a.Labels["alertname"] == alertRatioHigh {
			return &a, nil
		}
	}
	return nil, nil
}

// queryValue runs an instant query that returns one sample.
func queryValue(c *http.Client, api, q string) (float64, error) {
	var resp struct {
		Data struct {
			Result []struct {
				Value [2]any `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := getJSON(c, api+"/api/v1/query?query="+url.QueryEscape(q), &resp); err != nil {
		return 0, err
	}
	if len(resp.Data.Result) != 1 {
		return 0, fmt.Errorf("%s: %d samples, want 1", q, len(resp.Data.Result))
	}
	s, _ := resp.Data.Result[0].Value[1].(string)
	var v float64
	_, err := fmt.Sscan(s, &v)
	return v, err
}

func getJSON(c *http.Client, u string, v any) error {
	code, body, err := httpGet(c, u)
	if err != nil {
		return err
	}
	if code != http.StatusOK {
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

// process is a program started by the test, with its output kept.
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

// startProcess starts bin; when the test ends it is sent SIGTERM, then
// killed if it has not exited within 10s, and always waited for.
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

// lockedBuffer is a bytes.Buffer for one writing process and test readers.
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

// writer appends access log lines, 10 every 100ms, a share of them 500s.
type writer struct {
	mu    sync.Mutex
	share float64
}

func (w *writer) setErrorShare(s float64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.share = s
}

// startWriter starts writing to path until the test ends.
func startWriter(t *testing.T, path string) *writer {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	w := &writer{}
	stop, done := make(chan struct{}), make(chan error, 1)
	go func() {
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		bw := bufio.NewWriter(f)
		i := 0
		for {
			select {
			case <-stop:
				done <- f.Close()
				return
			case <-tick.C:
			}
			w.mu.Lock()
			bad := int(w.share*10 + 0.5)
			w.mu.Unlock()
			for j := range 10 {
				status := 200
				if j < bad {
					status = 500
				}
				fmt.Fprintf(bw, "192.0.2.%d - - [12/Mar/2025:10:00:00 +0000] \"GET /items/%d HTTP/1.1\" %d 512 \"-\" \"e2e\"\n",
					i%250+1, i, status)
				i++
			}
			if err := bw.Flush(); err != nil {
				f.Close()
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
