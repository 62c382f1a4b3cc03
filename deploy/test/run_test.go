package deploytest

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// proc is a running exporter.
type proc struct {
	t    *testing.T
	cmd  *exec.Cmd
	base string // http://127.0.0.1:PORT
	out  *syncBuffer
	done chan error
}

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

// startExporter runs the built exporter with args and env, listening on a
// free port of 127.0.0.1 instead of what --web.listen-address says.
func startExporter(t *testing.T, args []string, env []string) *proc {
	t.Helper()
	port := freePort(t)
	var kept []string
	for _, a := range args {
		if !strings.HasPrefix(a, "--web.listen-address=") {
			kept = append(kept, a)
		}
	}
	kept = append(kept, "--web.listen-address=127.0.0.1:"+strconv.Itoa(port))
	p := &proc{t: t, base: "http://127.0.0.1:" + strconv.Itoa(port), out: &syncBuffer{}, done: make(chan error, 1)}
	p.cmd = exec.Command(exporterBin, append([]string{"run"}, kept...)...)
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			_ = p.cmd.Process.Kill()
			t.Logf("exporter killed at the end of the test: %v", <-p.done)
		}
		if t.Failed() {
			t.Logf("exporter output:\n%s", p.out.String())
		}
	})
	return p
}

func (p *proc) get(path string) (int, string) {
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(p.base + path)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// waitOK waits until path answers 200.
func (p *proc) waitOK(path string) {
	p.t.Helper()
	waitFor(p.t, 30*time.Second, "200 from "+path, func() (bool, string) {
		select {
		case err := <-p.done:
			p.t.Fatalf("exporter exited: %v\n%s", err, p.out.String())
		default:
		}
		code, body := p.get(path)
		return code == http.StatusOK, fmt.Sprintf("%d %.200s", code, body)
	})
}

// stop sends SIGTERM and waits for the exit, at most within grace.
func (p *proc) stop(grace time.Duration) time.Duration {
	p.t.Helper()
	start := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		p.t.Fatal(err)
	}
	select {
	case err := <-p.done:
		if err != nil {
			p.t.Fatalf("exporter exited with %v after SIGTERM\n%s", err, p.out.String())
		}
	case <-time.After(grace):
		p.t.Fatalf("exporter still running %s after SIGTERM (the grace period)", grace)
	}
	return time.Since(start)
}

// series is one sample of the text exposition format.
type series struct {
	name   string
	labels map[string]string
	value  float64
}

func parseMetrics(text string) ([]series, error) {
	var out []series
	for _, line := range strings.Split(text, "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		sp := strings.LastIndexByte(line, ' ')
		if sp < 0 {
			return nil, fmt.Errorf("metrics line %q", line)
		}
		v, err := strconv.ParseFloat(line[sp+1:], 64)
		if err != nil {
			return nil, fmt.Errorf("metrics line %q: %w", line, err)
		}
		s := series{labels: map[string]string{}, value: v}
		head := line[:sp]
		name, rest, hasLabels := strings.Cut(head, "{")
		s.name = name
		if hasLabels {
			rest = strings.TrimSuffix(rest, "}")
			for rest != "" {
				k, r, ok := strings.Cut(rest, `="`)
				if !ok {
					return nil, fmt.Errorf("metrics line %q: labels", line)
				}
				var val strings.Builder
				i := 0
				for ; i < len(r) && r[i] != '"'; i++ {
					if r[i] == '\\' && i+1 < len(r) {
						i++
						switch r[i] {
						case 'n':
							val.WriteByte('\n')
						default:
							val.WriteByte(r[i])
						}
						continue
					}
					val.WriteByte(r[i])
				}
				if i == len(r) {
					return nil, fmt.Errorf("metrics line %q: unterminated label value", line)
				}
				s.labels[k] = val.String()
				rest = strings.TrimPrefix(r[i+1:], ",")
			}
		}
		out = append(out, s)
	}
	return out, nil
}

// value is the one series of name carrying all of want's labels; ok false
// when there is none or more than one.
func value(all []series, name string, want map[string]string) (float64, bool) {
	n, v := 0, 0.0
next:
	for _, s := range all {
		if s.name != name {
			continue
		}
		for k, w := range want {
			if s.labels[k] != w {
				continue next
			}
		}
		n, v = n+1, s.value
	}
	return v, n == 1
}

func (p *proc) metrics(path string) []series {
	p.t.Helper()
	code, body := p.get(path)
	if code != http.StatusOK {
		p.t.Fatalf("GET %s: %d %.300s", path, code, body)
	}
	all, err := parseMetrics(body)
	if err != nil {
		p.t.Fatal(err)
	}
	return all
}

// waitLines waits until source has read n lines.
func (p *proc) waitLines(path, source string, n float64) []series {
	p.t.Helper()
	var all []series
	waitFor(p.t, 30*time.Second, fmt.Sprintf("%v lines read from source %s", n, source), func() (bool, string) {
		all = p.metrics(path)
		got, ok := value(all, "httpstatus_lines_read_total", map[string]string{"source": source})
		return ok && got == n, fmt.Sprint(got, ok)
	})
	return all
}

func expectValue(t *testing.T, all []series, name string, lbls map[string]string, want float64) {
	t.Helper()
	got, ok := value(all, name, lbls)
	var ls []string
	for k, v := range lbls {
		ls = append(ls, k+"="+strconv.Quote(v))
	}
	sort.Strings(ls)
	switch {
	case !ok:
		t.Errorf("%s{%s}: no such series (or several), want %v", name, strings.Join(ls, ","), want)
	case got != want:
		t.Errorf("%s{%s} = %v, want %v", name, strings.Join(ls, ","), got, want)
	}
}

// envFor resolves the container's environment as the kubelet would, for the
// variables the exporter's process reads (the Go runtime's GOMEMLIMIT).
func envFor(t *testing.T, c *corev1.Container) []string {
	t.Helper()
	var env []string
	for _, e := range c.Env {
		switch {
		case e.ValueFrom == nil:
			env = append(env, e.Name+"="+e.Value)
		case e.ValueFrom.ResourceFieldRef != nil:
			ref := e.ValueFrom.ResourceFieldRef
			q, ok := c.Resources.Limits[corev1.ResourceName(strings.TrimPrefix(ref.Resource, "limits."))]
			if !strings.HasPrefix(ref.Resource, "limits.") || !ok {
				t.Fatalf("env %s: resource %s not resolved here", e.Name, ref.Resource)
			}
			div := ref.Divisor.Value()
			if div == 0 {
				div = 1
			}
			env = append(env, e.Name+"="+strconv.FormatInt(q.Value()/div, 10))
		default:
			t.Fatalf("env %s: valueFrom %+v not resolved here", e.Name, e.ValueFrom)
		}
	}
	return env
}

func combined(i int, code string) string {
	return fmt.Sprintf("10.1.0.%d - - [26/Nov/2026:10:00:%02d +0000] \"GET /api/v1/tasks/%d HTTP/1.1\" %s 512 \"-\" \"curl/8.5.0\"\n", i, i, i, code)
}

func appendFile(t *testing.T, p, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestDaemonSetRuns runs the exporter as the DaemonSet does: its arguments,
// environment and config (paths moved under a temporary root), then asks the
// probes' and the PodMonitor's endpoints, counts appended lines, stops it with
// SIGTERM within the grace period and finds the checkpoint.
func TestDaemonSetRuns(t *testing.T) {
	b := loadBase(t)
	c := b.exporter(t)
	dir := t.TempDir()
	args := rootedArgs(t, c.Args, dir, []byte(b.configMap.Data[configKey]))
	if flag(c.Args, "checkpoint.file", "") == "" {
		args = append(args, "--checkpoint.file="+filepath.Join(dir, defaultCheckpoint))
	}
	cfg := configFromMap(t, b.configMap)
	logFile := filepath.Join(dir, "var", "log", "nginx", "access.log")
	if m, _ := filepath.Match(filepath.Join(dir, cfg.Sources[0].Paths[0]), logFile); !m || cfg.Sources[0].Name != "nginx" {
		t.Fatalf("the first source is not nginx's /var/log/nginx/access.log: %+v", cfg.Sources[0])
	}
	appendFile(t, logFile, combined(1, "200")) // there before the start: --tail.from=end skips it

	p := startExporter(t, args, envFor(t, c))
	p.waitOK(c.LivenessProbe.HTTPGet.Path)
	p.waitOK(c.ReadinessProbe.HTTPGet.Path)

	appendFile(t, logFile, combined(2, "200")+combined(3, "200")+combined(4, "502")+combined(5, "404"))
	all := p.waitLines(b.monitor.Spec.PodMetricsEndpoints[0].Path, "nginx", 4)
	for code, n := range map[string]float64{"200": 2, "502": 1, "404": 1, "500": 0} {
		expectValue(t, all, "httpstatus_responses_total", map[string]string{"source": "nginx", "code": code}, n)
	}
	expectValue(t, all, "httpstatus_files_followed", map[string]string{"source": "apache"}, 0)

	grace := time.Duration(*b.ds.Spec.Template.Spec.TerminationGracePeriodSeconds) * time.Second
	took := p.stop(grace)
	t.Logf("stopped %s after SIGTERM (grace period %s)", took.Round(time.Millisecond), grace)
	cp := filepath.Join(dir, flag(c.Args, "checkpoint.file", defaultCheckpoint))
	if fi, err := os.Stat(cp); err != nil || fi.Size() == 0 {
		t.Errorf("no checkpoint at %s after the stop: %v", cp, err)
	}
}

// TestIngressNginxCounts runs the exporter with the ingress-nginx example's
// config and the DaemonSet's arguments on a controller's pod log as the
// kubelet lays it out, in the CRI format, and checks the counts and labels.
func TestIngressNginxCounts(t *testing.T) {
	b := loadBase(t)
	c := b.exporter(t)
	cm := overlayConfigMap(t)
	dir := t.TempDir()
	args := rootedArgs(t, c.Args, dir, []byte(cm.Data[configKey]))
	podLog := filepath.Join(dir, "var", "log", "pods", "ingress-nginx_ingress-nginx-controller-7d9f_0f1e2d3c", "controller", "0.log")
	if err := os.MkdirAll(filepath.Dir(podLog), 0o755); err != nil {
		t.Fatal(err)
	}
	p := startExporter(t, args, envFor(t, c))
	p.waitOK(c.ReadinessProbe.HTTPGet.Path)

	// ingress-nginx's default log-format-upstream, wrapped by the runtime:
	// time, stream, tag (F: a full line), then the line.
	line := func(method, code, upstream string) string {
		return "2026-11-26T10:00:00.000000000Z stdout F 192.168.64.1 - - [26/Nov/2026:10:00:00 +0000] \"" + method +
			" /products HTTP/1.1\" " + code + " 59 \"-\" \"curl/8.5.0\" 89 0.001 [shop-web-8080] [] 10.2.0.5:8080 59 0.001 " +
			upstream + " 529a007902362a5f51385a5fa7049884\n"
	}
	appendFile(t, podLog, line("GET", "200", "200")+line("GET", "200", "200")+line("POST", "502", "502")+
		"2026-11-26T10:00:01.000000000Z stderr F I1126 10:00:01 controller.go:190] Configuration changes detected\n")
	all := p.waitLines(defaultTelemetry, "ingress-nginx", 4)
	pod := map[string]string{"source": "ingress-nginx", "namespace": "ingress-nginx", "container": "controller"}
	with := func(kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range pod {
			m[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	t.Run("by pod, method and code", func(t *testing.T) {
		expectValue(t, all, "httpstatus_responses_total", with("code", "200", "method", "GET"), 2)
		expectValue(t, all, "httpstatus_responses_total", with("code", "502", "method", "POST"), 1)
		expectValue(t, all, "httpstatus_lines_unparsed_total", map[string]string{"source": "ingress-nginx", "reason": "no_match"}, 1)
	})
	// The category of the upstream's own status ($upstream_status), which
	// the example's labels.upstream_category asks for.
	t.Run("by upstream category", func(t *testing.T) {
		expectValue(t, all, "httpstatus_responses_total", with("code", "200", "upstream_category", "success"), 2)
		expectValue(t, all, "httpstatus_responses_total", with("code", "502", "upstream_category", "gateway"), 1)
	})
	p.stop(30 * time.Second)
}
