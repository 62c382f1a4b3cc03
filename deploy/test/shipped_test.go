package deploytest

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	corev1 "k8s.io/api/core/v1"
)

// shipped reads deploy/kubernetes/NAME, which the rules and dashboard issues
// add: absent, the test is skipped with a note; present, it must be listed in
// the kustomization.
func shipped(t *testing.T, name, from string) []byte {
	t.Helper()
	data, err := os.ReadFile(path("deploy", "kubernetes", name))
	if errors.Is(err, fs.ErrNotExist) {
		t.Skipf("deploy/kubernetes/%s does not exist yet (%s): nothing to check", name, from)
	}
	if err != nil {
		t.Fatal(err)
	}
	k, err := readKustomization(baseDir())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(k.Resources, name) {
		t.Errorf("deploy/kubernetes/%s exists but kustomization.yaml does not list it", name)
	}
	return data
}

// TestPrometheusRule: the PrometheusRule is exactly what
// `exporter rules --format=prometheus-rule` prints (the exporter built from
// this repository's ./cmd/exporter).
func TestPrometheusRule(t *testing.T) {
	const regen = "go run ./cmd/exporter rules --format=prometheus-rule > deploy/kubernetes/prometheusrule.yaml"
	data := shipped(t, "prometheusrule.yaml", "from `exporter rules --format=prometheus-rule`")
	want, err := exec.Command(exporterBin, "rules", "--format=prometheus-rule").Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("exporter rules --format=prometheus-rule: %v\n%s", err, ee.Stderr)
		}
		t.Fatal(err)
	}
	if diff := cmp.Diff(strings.Split(string(want), "\n"), strings.Split(string(data), "\n")); diff != "" {
		t.Errorf("deploy/kubernetes/prometheusrule.yaml differs from the generator's output; regenerate it from the repository root:\n  %s\n(-generated +file):\n%s", regen, diff)
	}
	objs, err := splitManifests("prometheusrule.yaml", strings.NewReader(string(data)))
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 1 {
		t.Fatalf("%d documents, want one PrometheusRule", len(objs))
	}
	v, err := decodeObject(objs[0])
	if err != nil {
		t.Fatal(err)
	}
	pr, ok := v.(*monitoringv1.PrometheusRule)
	if !ok {
		t.Fatalf("%s is a %T, want a PrometheusRule", objs[0], v)
	}
	n, selects := 0, false
	for _, g := range pr.Spec.Groups {
		for _, r := range g.Rules {
			n++
			selects = selects || strings.Contains(r.Expr.String(), `job="`+wantJob+`"`)
		}
	}
	if n == 0 || !selects {
		t.Errorf("%d rules, selecting job=%q: %v", n, wantJob, selects)
	}
}

// kubectl apply (client side) keeps the whole object in an annotation, which
// is limited to 256 KiB.
const maxApplied = 256 << 10

// TestDashboardConfigMap: the ConfigMap for Grafana's sidecar holds exactly
// dashboards/httpstatus-overview.json.
func TestDashboardConfigMap(t *testing.T) {
	const file = "httpstatus-overview.json"
	data := shipped(t, "dashboard-configmap.yaml", "the Grafana dashboard ConfigMap")
	var cm corev1.ConfigMap
	if err := decodeStrict(data, &cm); err != nil {
		t.Fatalf("dashboard-configmap.yaml: %v", err)
	}
	if cm.Labels["grafana_dashboard"] != "1" {
		t.Errorf("labels %v: Grafana's sidecar looks for grafana_dashboard: \"1\"", cm.Labels)
	}
	want := readFile(t, "dashboards", file)
	got, ok := cm.Data[file]
	if !ok || len(cm.Data) != 1 {
		t.Fatalf("data keys %v, want only %s", slices.Collect(func(yield func(string) bool) {
			for k := range cm.Data {
				if !yield(k) {
					return
				}
			}
		}), file)
	}
	if diff := cmp.Diff(strings.Split(strings.TrimRight(string(want), "\n"), "\n"), strings.Split(strings.TrimRight(got, "\n"), "\n")); diff != "" {
		t.Errorf("the ConfigMap's %s differs from dashboards/%s (-file +configmap):\n%s", file, file, diff)
	}
	var dash struct {
		UID string `json:"uid"`
	}
	if err := json.Unmarshal([]byte(got), &dash); err != nil || dash.UID != "httpstatus-overview" {
		t.Errorf("dashboard uid %q (%v), want httpstatus-overview", dash.UID, err)
	}
	if len(data) > maxApplied {
		t.Errorf("dashboard-configmap.yaml is %d bytes: kubectl apply keeps at most %d in its annotation", len(data), maxApplied)
	}
}
