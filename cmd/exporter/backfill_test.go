package main

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestE2EBackfill replays a generated log spanning several hours (its older
// half rotated and gzipped) into OpenMetrics, turns that into TSDB blocks with
// the real promtool, starts a real Prometheus on them and checks that the
// 5xx responses of every hour, read back through PromQL, equal the counts
// written into the log.
func TestE2EBackfill(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: builds the binary, runs promtool and Prometheus")
	}
	promtool, prom := requireTool(t, "promtool"), requireTool(t, "prometheus")
	dir := t.TempDir()
	bin := buildExporter(t, dir)

	// Four whole hours ending at least an hour ago (Prometheus keeps them).
	end := time.Now().UTC().Truncate(time.Hour).Add(-time.Hour)
	start := end.Add(-4 * time.Hour)
	want5xx := map[time.Time]int{}
	var older, newer strings.Builder
	codes := []string{"200", "200", "201", "404", "500", "502", "503", "504"}
	i := 0
	for ts := start; ts.Before(end); ts = ts.Add(7 * time.Second) {
		hour := ts.Truncate(time.Hour)
		// Each hour has its own share of errors, so a shift between hours shows.
		code := codes[(i+int(hour.Sub(start)/time.Hour))%len(codes)]
		if int(hour.Sub(start)/time.Hour) == 2 && i%3 == 0 {
			code = "200"
		}
		i++
		line := fmt.Sprintf("192.0.2.%d - - [%s] \"GET /api/v1/tasks HTTP/1.1\" %s 120 \"-\" \"backfill\"\n",
			i%250+1, ts.Format("02/Jan/2006:15:04:05 -0700"), code)
		if code[0] == '5' {
			want5xx[hour]++
		}
		if ts.Before(start.Add(2 * time.Hour)) {
			older.WriteString(line)
		} else {
			newer.WriteString(line)
		}
	}
	gz := filepath.Join(dir, "access.log.1.gz")
	f, err := os.Create(gz)
	if err != nil {
		t.Fatal(err)
	}
	zw := gzip.NewWriter(f)
	if _, err := zw.Write([]byte(older.String())); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	plain := filepath.Join(dir, "access.log")
	writeTestFile(t, plain, newer.String())

	// The newer file first on the command line: replay orders them by time.
	om := filepath.Join(dir, "backfill.om")
	out, err := os.Create(om)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "replay", "--output=openmetrics", "--step=1m", "--log.source=web", plain, gz)
	cmd.Env = cleanEnv()
	cmd.Stdout = out
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("replay: %v\n%s", err, stderr.String())
	}
	out.Close()
	if stderr.Len() > 0 {
		t.Errorf("replay wrote to stderr (no terminal: no progress bar):\n%s", stderr.String())
	}

	data := filepath.Join(dir, "data")
	if out, err := exec.Command(promtool, "tsdb", "create-blocks-from", "openmetrics", om, data).CombinedOutput(); err != nil {
		t.Fatalf("promtool tsdb create-blocks-from openmetrics: %v\n%s", err, out)
	}

	base := startPrometheus(t, prom, dir, data)
	value := func(q string, at time.Time) float64 {
		t.Helper()
		u := base + "/api/v1/query?" + url.Values{"query": {q}, "time": {strconv.FormatInt(at.Unix(), 10)}}.Encode()
		resp, err := http.Get(u) //nolint:gosec // G107: a URL this test builds, on loopback
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var r struct {
			Data struct {
				Result []struct {
					Value [2]any `json:"value"`
				} `json:"result"`
			} `json:"data"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
			t.Fatal(err)
		}
		if len(r.Data.Result) == 0 {
			return 0 // no sample yet: nothing counted before
		}
		v, err := strconv.ParseFloat(r.Data.Result[0].Value[1].(string), 64)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	q := `sum(httpstatus_responses_total{source="web",code=~"5.."})`
	for h := start; h.Before(end); h = h.Add(time.Hour) {
		got := value(q, h.Add(time.Hour)) - value(q, h)
		if int(got) != want5xx[h] {
			t.Errorf("5xx in the hour from %s: Prometheus says %v, the log has %d", h.Format(time.RFC3339), got, want5xx[h])
		} else {
			t.Logf("5xx in the hour from %s: %d", h.Format("15:04"), want5xx[h])
		}
	}
	// The meanings came along, so the dashboard's join works on history.
	if v := value(`count(httpstatus_code_info{source="web"})`, end); v < 11 {
		t.Errorf("code_info series at the end: %v, want at least the 11 documented codes", v)
	}
}

// requireTool finds a command a test needs (promtool, prometheus, chromium,
// wrk: scripts/test.sh installs them): missing, the test skips, or fails
// under CI=true (CI must not pass by skipping).
func requireTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s not installed (scripts/test.sh installs it from Debian's packages)", name)
		}
		t.Skipf("%s not installed; run scripts/test.sh", name)
	}
	return p
}

// startPrometheus runs Prometheus on loopback over data, with no scrape
// targets, until the test ends, and returns its base URL once ready.
func startPrometheus(t *testing.T, bin, dir, data string) string {
	t.Helper()
	cfg := filepath.Join(dir, "prometheus.yml")
	writeTestFile(t, cfg, "global:\n  scrape_interval: 1m\n")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cmd := exec.Command(bin, "--config.file="+cfg, "--storage.tsdb.path="+data,
		"--storage.tsdb.retention.time=3650d", "--web.listen-address="+addr)
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("prometheus log:\n%s", logs.String())
		}
	})
	base := "http://" + addr
	waitFor(t, 60*time.Second, "prometheus ready", func() (bool, string) {
		resp, err := http.Get(base + "/-/ready")
		if err != nil {
			return false, err.Error()
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, resp.Status
	})
	return base
}
