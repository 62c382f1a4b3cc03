package main

import (
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// criIngress wraps an ingress-nginx access line as containerd writes it to a
// pod log: time, stream, F (full) or P (partial), content.
func criIngress(i int, status, upstream string) string {
	line := fmt.Sprintf(`10.244.0.%d - - [26/Nov/2026:10:00:%02d +0000] "GET /api/orders/%d HTTP/1.1" %s 59 "-" "curl/8.5.0" 89 0.012 [shop-orders-8080] [] 10.244.1.7:8080 59 0.011 %s 5ec0ffee%d`,
		i%250+1, i%60, i, status, upstream, i)
	return fmt.Sprintf("2026-11-26T10:00:%02d.%09dZ stdout F %s\n", i%60, i, line)
}

// criSplit is one access line that the runtime split in two (P then F).
func criSplit(i int, status string) string {
	line := strings.TrimSuffix(strings.SplitN(criIngress(i, status, status), " stdout F ", 2)[1], "\n")
	half := len(line) / 2
	ts := fmt.Sprintf("2026-11-26T10:01:%02d.000000000Z", i%60)
	return ts + " stdout P " + line[:half] + "\n" + ts + " stdout F " + line[half:] + "\n"
}

// TestPodLogTreeCRIIngress follows a kubelet pod log tree holding two
// ingress-nginx controllers' CRI-wrapped logs, through a kubelet-style
// rotation (0.log renamed to 0.log.<time>, a new 0.log, the rotated file
// gzipped and removed), and checks exact counts with namespace, container and
// upstream_category labels.
func TestPodLogTreeCRIIngress(t *testing.T) {
	root := t.TempDir()
	pods := filepath.Join(root, "var", "log", "pods")
	a := filepath.Join(pods, "ingress-nginx_ingress-nginx-controller-7d9f_0f1e2d3c", "controller")
	b := filepath.Join(pods, "edge_edge-proxy-5b6c_9a8b7c6d", "controller")
	for _, d := range []string{a, b} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		writeTestFile(t, filepath.Join(d, "0.log"), "")
	}
	cfg := filepath.Join(root, "config.yaml")
	writeTestFile(t, cfg, fmt.Sprintf(`sources:
  - name: ingress
    paths: [%s/*_*/controller/*.log]
    format: auto
    labels: {namespace: true, container: true, upstream_category: true}
`, pods))

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stderr, done := runInProcess(ctx, "--config.file="+cfg, "--web.listen-address=127.0.0.1:0",
		"--checkpoint.file=", "--tail.poll-interval=20ms", "--tail.rotate-wait=300ms")
	addr := waitListening(t, stderr, done)
	c := newClient(nil)
	waitReady(t, c, "http://"+addr)

	// Controller a: 3 x 200 (upstream 200), 2 x 502 (upstream 502), one 200
	// split by the runtime into P+F, one line that is no access line.
	var la strings.Builder
	for i := range 3 {
		la.WriteString(criIngress(i, "200", "200"))
	}
	la.WriteString(criIngress(3, "502", "502") + criIngress(4, "502", "502"))
	la.WriteString(criSplit(5, "200"))
	la.WriteString("2026-11-26T10:02:00.000000000Z stderr F I1126 10:02:00.000000 7 controller.go:190] Configuration changes detected\n")
	appendFile(t, filepath.Join(a, "0.log"), la.String())
	// Controller b: 2 x 200 whose upstream answered 503 first, then 200.
	appendFile(t, filepath.Join(b, "0.log"), criIngress(10, "200", "503, 200")+criIngress(11, "200", "503, 200"))

	// kubelet rotation of a: rename, new file, more lines into both, then the
	// rotated file is compressed and removed.
	rotated := filepath.Join(a, "0.log.20261126-100200")
	waitLines := func(want float64) {
		t.Helper()
		waitFor(t, 10*time.Second, fmt.Sprintf("%v lines read", want), func() (bool, string) {
			f, err := scrape(c, "http://"+addr+"/metrics")
			if err != nil {
				return false, err.Error()
			}
			got := f.series("httpstatus_lines_read_total", "source")["ingress"]
			return got == want, fmt.Sprint(got)
		})
	}
	waitLines(10) // a: 5 + 2 fragments + 1 stderr line; b: 2 (a split line is two lines read)
	if err := os.Rename(filepath.Join(a, "0.log"), rotated); err != nil {
		t.Fatal(err)
	}
	appendFile(t, rotated, criIngress(20, "504", "504")) // the runtime writes on until it reopens
	writeTestFile(t, filepath.Join(a, "0.log"), criIngress(21, "401", "401"))
	waitLines(12)
	data, err := os.ReadFile(rotated)
	if err != nil {
		t.Fatal(err)
	}
	gzf, err := os.Create(rotated + ".gz")
	if err != nil {
		t.Fatal(err)
	}
	zw := gzip.NewWriter(gzf)
	_, _ = zw.Write(data)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	gzf.Close()
	if err := os.Remove(rotated); err != nil {
		t.Fatal(err)
	}
	appendFile(t, filepath.Join(a, "0.log"), criIngress(22, "200", "200"))
	waitLines(13)

	want := map[string]float64{
		// namespace, container, code, upstream_category
		"ingress-nginx controller 200 success": 5, // 3, the joined split line, one after the rotation
		"ingress-nginx controller 502 gateway": 2,
		"ingress-nginx controller 504 gateway": 1, // written to the renamed file
		"ingress-nginx controller 401 auth":    1,
		"edge controller 200 success":          2, // the last upstream answer (503, 200) counts
	}
	var got map[string]float64
	waitFor(t, 10*time.Second, "exact counts by namespace and container", func() (bool, string) {
		f, err := scrape(c, "http://"+addr+"/metrics")
		if err != nil {
			return false, err.Error()
		}
		got = f.series("httpstatus_responses_total", "namespace", "container", "code", "upstream_category")
		diff := cmp.Diff(want, got)
		return diff == "", "responses (-want +got):\n" + diff
	})
	f, err := scrape(c, "http://"+addr+"/metrics")
	if err != nil {
		t.Fatal(err)
	}
	if u := f.series("httpstatus_lines_unparsed_total", "reason")["no_match"]; u != 1 {
		t.Errorf("unparsed no_match = %v, want 1 (the controller's own log line)", u)
	}
	if r := f.series("httpstatus_rotations_total", "kind")["rename"]; r != 1 {
		t.Errorf("rotations{kind=rename} = %v, want 1", r)
	}
	if fm := f.series("httpstatus_log_format_info", "format"); fm["cri+ingress_nginx"] != 1 {
		t.Errorf("detected formats = %v, want cri+ingress_nginx", fm)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("run: %v", err)
	}
}
