package deploytest

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

func overlayDir() string { return path("deploy", "examples", "ingress-nginx") }

func overlayConfigMap(t *testing.T) *corev1.ConfigMap {
	t.Helper()
	var cm corev1.ConfigMap
	data := readFile(t, "deploy", "examples", "ingress-nginx", "configmap.yaml")
	if err := decodeStrict(data, &cm); err != nil {
		t.Fatalf("ingress-nginx/configmap.yaml: %v", err)
	}
	return &cm
}

// TestIngressNginxOverlay checks the example overlay: its patches decode
// strictly and name objects of the base, and kustomize's result is the base
// with only the config and the supplemental groups changed.
func TestIngressNginxOverlay(t *testing.T) {
	k, err := readKustomization(overlayDir())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(k.Resources, []string{"../../kubernetes"}) {
		t.Errorf("resources %v, want the base alone", k.Resources)
	}
	baseObjs, err := build(baseDir())
	if err != nil {
		t.Fatal(err)
	}
	inBase := map[string]bool{}
	for _, o := range baseObjs {
		inBase[o.key()] = true
	}
	for _, p := range k.Patches {
		objs, err := readManifests(filepath.Join(overlayDir(), p.Path))
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range objs {
			if _, err := decodeObject(o); err != nil {
				t.Error(err)
			}
			if !inBase[o.key()] {
				t.Errorf("patch %s: %s is not in the base", p.Path, o.key())
			}
		}
	}

	got := generic(t, kubectlKustomize(t, overlayDir()))
	want := generic(t, baseObjs)
	// What the overlay is meant to change, applied by hand to the base.
	cm := overlayConfigMap(t)
	cmKey := "ConfigMap/" + cm.Namespace + "/" + cm.Name
	want[cmKey].(map[string]any)["data"].(map[string]any)[configKey] = cm.Data[configKey]
	dsKey := ""
	for _, o := range baseObjs {
		if o.Kind == "DaemonSet" {
			dsKey = o.key()
		}
	}
	podSC := want[dsKey].(map[string]any)["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)["securityContext"].(map[string]any)
	podSC["supplementalGroups"] = []any{float64(admGID), float64(0)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("kubectl kustomize %s (-want +got):\n%s", overlayDir(), diff)
	}

	// The result decodes as the base does, and its pods stay non-root.
	var ds appsv1.DaemonSet
	raw, err := yaml.Marshal(got[dsKey])
	if err != nil {
		t.Fatal(err)
	}
	if err := decodeStrict(raw, &ds); err != nil {
		t.Fatal(err)
	}
	if sc := ds.Spec.Template.Spec.SecurityContext; sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
		t.Error("the overlay's pods may run as root")
	}
}

// TestIngressNginxConfig: the example follows ingress-nginx controllers' pod
// logs with the labels that tell pods and upstreams apart.
func TestIngressNginxConfig(t *testing.T) {
	cfg := configFromMap(t, overlayConfigMap(t))
	if len(cfg.Sources) != 1 {
		t.Fatalf("%d sources, want 1", len(cfg.Sources))
	}
	s := cfg.Sources[0]
	if !slices.Equal(s.Paths, []string{"/var/log/pods/ingress-nginx_*/controller/*.log"}) || s.Format != "cri+ingress_nginx" {
		t.Errorf("source %s: paths %v format %s", s.Name, s.Paths, s.Format)
	}
	if !s.Labels.Namespace || !s.Labels.Container || !s.Labels.UpstreamCategory {
		t.Errorf("source %s: labels %+v, want namespace, container and upstream_category", s.Name, s.Labels)
	}
	if _, err := os.Stat(filepath.Join(overlayDir(), "kustomization.yaml")); err != nil {
		t.Fatal(err)
	}
}
