package deploytest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// kustomization is the part of kustomize's file that the manifests use.
// Decoded strictly: a field not listed here fails the tests until build
// below learns it (or the check moves to kustomize itself).
type kustomization struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Namespace  string   `json:"namespace,omitempty"`
	Resources  []string `json:"resources"`
	Patches    []struct {
		Path string `json:"path"`
	} `json:"patches,omitempty"`
}

// object is one manifest as kustomize would emit it.
type object struct {
	Source     string // file and document number
	APIVersion string
	Kind       string
	Name       string
	Namespace  string
	YAML       []byte
}

func (o object) String() string { return o.Source + " (" + o.key() + ")" }

func (o object) key() string { return o.Kind + "/" + o.Namespace + "/" + o.Name }

func readKustomization(dir string) (kustomization, error) {
	var k kustomization
	data, err := os.ReadFile(filepath.Join(dir, "kustomization.yaml"))
	if err != nil {
		return k, err
	}
	if err := decodeStrict(data, &k); err != nil {
		return k, fmt.Errorf("%s/kustomization.yaml: %w", dir, err)
	}
	if k.APIVersion != "kustomize.config.k8s.io/v1beta1" || k.Kind != "Kustomization" {
		return k, fmt.Errorf("%s/kustomization.yaml: apiVersion %q kind %q", dir, k.APIVersion, k.Kind)
	}
	return k, nil
}

// build assembles a kustomization as `kustomize build` does for the fields it
// has: each resource file's documents in order, folders recursively, then the
// namespace set on every namespaced object. Patches are kustomize's to apply
// (see TestIngressNginxOverlay).
func build(dir string) ([]object, error) {
	k, err := readKustomization(dir)
	if err != nil {
		return nil, err
	}
	if len(k.Patches) > 0 {
		return nil, fmt.Errorf("%s: patches: only kustomize applies them", dir)
	}
	var out []object
	for _, r := range k.Resources {
		p := filepath.Join(dir, r)
		fi, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("%s: resource %s: %w", dir, r, err)
		}
		var objs []object
		if fi.IsDir() {
			objs, err = build(p)
		} else {
			objs, err = readManifests(p)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, objs...)
	}
	if k.Namespace != "" {
		for i := range out {
			o := &out[i]
			if o.Kind == "Namespace" {
				if o.Name != k.Namespace {
					return nil, fmt.Errorf("%s: Namespace %q beside kustomization namespace %q", o, o.Name, k.Namespace)
				}
				continue
			}
			if o.Namespace == k.Namespace {
				continue
			}
			var m map[string]any
			if err := yaml.Unmarshal(o.YAML, &m); err != nil {
				return nil, err
			}
			m["metadata"].(map[string]any)["namespace"] = k.Namespace
			if o.YAML, err = yaml.Marshal(m); err != nil {
				return nil, err
			}
			o.Namespace = k.Namespace
		}
	}
	return out, nil
}

// readManifests splits a YAML file into its documents.
func readManifests(file string) ([]object, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return splitManifests(filepath.Base(file), f)
}

func splitManifests(name string, r io.Reader) ([]object, error) {
	rd := utilyaml.NewYAMLReader(bufio.NewReader(r))
	var out []object
	for n := 1; ; n++ {
		doc, err := rd.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		var meta struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Metadata   struct {
				Name      string `json:"name"`
				Namespace string `json:"namespace"`
			} `json:"metadata"`
		}
		if err := yaml.Unmarshal(doc, &meta); err != nil {
			return nil, fmt.Errorf("%s document %d: %w", name, n, err)
		}
		if meta.Kind == "" && len(bytes.TrimSpace(stripComments(doc))) == 0 {
			continue // only comments
		}
		if meta.APIVersion == "" || meta.Kind == "" || meta.Metadata.Name == "" {
			return nil, fmt.Errorf("%s document %d: apiVersion, kind and metadata.name are needed", name, n)
		}
		out = append(out, object{
			Source: fmt.Sprintf("%s#%d", name, n), APIVersion: meta.APIVersion, Kind: meta.Kind,
			Name: meta.Metadata.Name, Namespace: meta.Metadata.Namespace, YAML: doc,
		})
	}
}

func stripComments(doc []byte) []byte {
	var b bytes.Buffer
	for _, l := range bytes.Split(doc, []byte("\n")) {
		if t := bytes.TrimSpace(l); len(t) > 0 && t[0] != '#' && !bytes.Equal(t, []byte("---")) {
			b.Write(l)
			b.WriteByte('\n')
		}
	}
	return b.Bytes()
}

// kubectlKustomize runs the real kustomize (kubectl's) on dir.
func kubectlKustomize(t *testing.T, dir string) []object {
	t.Helper()
	kubectl := needTool(t, "kubectl", "kubectl kustomize assembles the kustomizations as users will")
	out, err := exec.Command(kubectl, "kustomize", dir).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("kubectl kustomize %s: %v\n%s", dir, err, ee.Stderr)
		}
		t.Fatalf("kubectl kustomize %s: %v", dir, err)
	}
	objs, err := splitManifests("kubectl kustomize "+dir, bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

// generic maps each object's key to its content, for comparison.
func generic(t *testing.T, objs []object) map[string]any {
	t.Helper()
	m := map[string]any{}
	for _, o := range objs {
		var v any
		if err := yaml.Unmarshal(o.YAML, &v); err != nil {
			t.Fatalf("%s: %v", o, err)
		}
		if _, dup := m[o.key()]; dup {
			t.Fatalf("%s: defined twice", o)
		}
		m[o.key()] = v
	}
	return m
}

func baseDir() string { return path("deploy", "kubernetes") }

// TestKustomizeAsKubectl checks that build assembles the base exactly as
// `kubectl kustomize` does, so the other tests see what users apply.
func TestKustomizeAsKubectl(t *testing.T) {
	mine, err := build(baseDir())
	if err != nil {
		t.Fatal(err)
	}
	theirs := kubectlKustomize(t, baseDir())
	if diff := cmp.Diff(generic(t, theirs), generic(t, mine)); diff != "" {
		t.Errorf("build differs from kubectl kustomize (-kubectl +build):\n%s", diff)
	}
}

// TestEveryManifestListed: a manifest in deploy/kubernetes that the
// kustomization leaves out is never applied.
func TestEveryManifestListed(t *testing.T) {
	k, err := readKustomization(baseDir())
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(baseDir(), "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{"kustomization.yaml": true}
	for _, r := range k.Resources {
		listed[r] = true
	}
	for _, f := range files {
		if !listed[filepath.Base(f)] {
			t.Errorf("deploy/kubernetes/%s is not in kustomization.yaml's resources", filepath.Base(f))
		}
	}
	for r := range listed {
		if strings.Contains(r, "/") {
			t.Errorf("resource %s: the base lists only its own files", r)
		}
	}
}
