package deploytest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"
)

// scrapeFile mirrors the part of prometheus.yml that
// deploy/prometheus/scrape-config.yaml uses, strictly: a misspelt key fails
// here, since Debian's Prometheus is built without Kubernetes discovery and
// cannot load the file as it is.
type scrapeFile struct {
	ScrapeConfigs []struct {
		JobName             string `json:"job_name"`
		HonorLabels         bool   `json:"honor_labels"`
		ScrapeInterval      string `json:"scrape_interval"`
		MetricsPath         string `json:"metrics_path"`
		KubernetesSDConfigs []struct {
			Role       string `json:"role"`
			Namespaces struct {
				Names []string `json:"names"`
			} `json:"namespaces"`
			Selectors []struct {
				Role  string `json:"role"`
				Label string `json:"label,omitempty"`
				Field string `json:"field,omitempty"`
			} `json:"selectors"`
		} `json:"kubernetes_sd_configs"`
		RelabelConfigs []map[string]any `json:"relabel_configs"`
	} `json:"scrape_configs"`
}

// TestScrapeConfig checks the example scrape config for Prometheus without
// the operator, then runs Debian's Prometheus with it against an exporter:
// the Kubernetes discovery is replaced by a static target carrying the meta
// labels that discovery would give the DaemonSet's pod, and the relabeling,
// job and labels are read back from Prometheus's targets API.
func TestScrapeConfig(t *testing.T) {
	b := loadBase(t)
	c := b.exporter(t)
	data := readFile(t, "deploy", "prometheus", "scrape-config.yaml")
	var f scrapeFile
	if err := decodeStrict(data, &f); err != nil {
		t.Fatalf("scrape-config.yaml: %v", err)
	}
	if len(f.ScrapeConfigs) != 1 {
		t.Fatalf("%d scrape configs, want 1", len(f.ScrapeConfigs))
	}
	sc := f.ScrapeConfigs[0]
	if sc.JobName != wantJob {
		t.Errorf("job_name %q, want %q", sc.JobName, wantJob)
	}
	if !sc.HonorLabels {
		t.Error("honor_labels false: the exporter's namespace and container labels would be renamed")
	}
	if want := flag(c.Args, "web.telemetry-path", defaultTelemetry); sc.MetricsPath != "" && sc.MetricsPath != want {
		t.Errorf("metrics_path %q, the exporter serves %q", sc.MetricsPath, want)
	}
	if len(sc.KubernetesSDConfigs) != 1 || sc.KubernetesSDConfigs[0].Role != "pod" {
		t.Fatalf("kubernetes_sd_configs %+v: want one, role pod", sc.KubernetesSDConfigs)
	}
	sd := sc.KubernetesSDConfigs[0]
	if !slices.Equal(sd.Namespaces.Names, []string{b.ds.Namespace}) {
		t.Errorf("namespaces %v, the DaemonSet is in %s", sd.Namespaces.Names, b.ds.Namespace)
	}
	tmpl := labels.Set(b.ds.Spec.Template.Labels)
	for _, s := range sd.Selectors {
		sel, err := labels.Parse(s.Label)
		if err != nil || s.Role != "pod" || s.Field != "" || !sel.Matches(tmpl) {
			t.Errorf("selector %+v does not select the pods %v (%v)", s, tmpl, err)
		}
	}

	prom := needTool(t, "prometheus", "the scrape config is run by a real Prometheus")
	p := startExporter(t, rootedArgs(t, c.Args, t.TempDir(), []byte(b.configMap.Data[configKey])), nil)
	p.waitOK(c.ReadinessProbe.HTTPGet.Path)
	addr := strings.TrimPrefix(p.base, "http://")

	// The pod's meta labels as Kubernetes discovery gives them, once per
	// container port; a second port that the relabeling must drop.
	meta := func(port string) map[string]any {
		m := map[string]any{
			"__meta_kubernetes_namespace":                 b.ds.Namespace,
			"__meta_kubernetes_pod_name":                  b.ds.Name + "-x7k2p",
			"__meta_kubernetes_pod_container_name":        c.Name,
			"__meta_kubernetes_pod_container_port_name":   port,
			"__meta_kubernetes_pod_node_name":             "node-a",
			"__meta_kubernetes_pod_container_port_number": strconv.Itoa(int(listenPort(t, c))),
		}
		for k, v := range tmpl {
			m["__meta_kubernetes_pod_label_"+strings.NewReplacer(".", "_", "/", "_", "-", "_").Replace(k)] = v
		}
		return m
	}
	var cfg map[string]any
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		t.Fatal(err)
	}
	job := cfg["scrape_configs"].([]any)[0].(map[string]any)
	delete(job, "kubernetes_sd_configs")
	job["scrape_interval"] = "1s"
	job["static_configs"] = []any{
		map[string]any{"targets": []any{addr}, "labels": meta("metrics")},
		map[string]any{"targets": []any{addr}, "labels": meta("profiling")},
	}
	out, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgFile, out, 0o644); err != nil {
		t.Fatal(err)
	}
	if promtool, err := exec.LookPath("promtool"); err == nil {
		if out, err := exec.Command(promtool, "check", "config", cfgFile).CombinedOutput(); err != nil {
			t.Fatalf("promtool check config: %v\n%s", err, out)
		}
	}

	port := freePort(t)
	cmd := exec.Command(prom, "--config.file="+cfgFile, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address=127.0.0.1:"+strconv.Itoa(port), "--log.level=warn")
	var log syncBuffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("prometheus output:\n%s", log.String())
		}
	})
	api := "http://127.0.0.1:" + strconv.Itoa(port)

	type target struct {
		Labels           map[string]string `json:"labels"`
		DiscoveredLabels map[string]string `json:"discoveredLabels"`
		Health           string            `json:"health"`
		LastError        string            `json:"lastError"`
	}
	var targets struct {
		Data struct {
			Active  []target `json:"activeTargets"`
			Dropped []target `json:"droppedTargets"`
		} `json:"data"`
	}
	waitFor(t, 60*time.Second, "the target up in Prometheus", func() (bool, string) {
		body, err := httpGet(api + "/api/v1/targets")
		if err != nil {
			return false, err.Error()
		}
		if err := json.Unmarshal(body, &targets); err != nil {
			return false, err.Error()
		}
		a := targets.Data.Active
		return len(a) == 1 && a[0].Health == "up", fmt.Sprintf("%+v", a)
	})
	want := map[string]string{
		"job": wantJob, "instance": addr, "namespace": b.ds.Namespace, "pod": b.ds.Name + "-x7k2p",
		"container": c.Name, "node": "node-a",
	}
	if diff := cmp.Diff(want, targets.Data.Active[0].Labels); diff != "" {
		t.Errorf("the target's labels (-want +got):\n%s", diff)
	}
	if d := targets.Data.Dropped; len(d) != 1 || d[0].DiscoveredLabels["__meta_kubernetes_pod_container_port_name"] != "profiling" {
		t.Errorf("dropped targets %+v: want the other port's", d)
	}
	// And the series are there under that job.
	waitFor(t, 30*time.Second, "httpstatus_exporter_build_info in Prometheus", func() (bool, string) {
		q := url.Values{"query": {`httpstatus_exporter_build_info{job="` + wantJob + `",node="node-a"}`}}
		body, err := httpGet(api + "/api/v1/query?" + q.Encode())
		if err != nil {
			return false, err.Error()
		}
		var r struct {
			Data struct {
				Result []any `json:"result"`
			} `json:"data"`
		}
		_ = json.Unmarshal(body, &r)
		return len(r.Data.Result) == 1, string(body)
	})
}

func httpGet(u string) ([]byte, error) {
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(u)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s: %.300s", u, resp.Status, b)
	}
	return b, err
}
