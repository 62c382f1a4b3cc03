package deploytest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// exporterConfig mirrors the exporter's --config.file (cmd/exporter/config.go)
// for a structural check; the exporter's own check-config is the judge.
type exporterConfig struct {
	Sources []struct {
		Name   string   `json:"name"`
		Paths  []string `json:"paths"`
		Format string   `json:"format,omitempty"`
		Table  string   `json:"table,omitempty"`
		Labels struct {
			Method           bool              `json:"method,omitempty"`
			UpstreamCategory bool              `json:"upstream_category,omitempty"`
			Namespace        bool              `json:"namespace,omitempty"`
			Container        bool              `json:"container,omitempty"`
			Static           map[string]string `json:"static,omitempty"`
		} `json:"labels"`
		DurationHistogram bool `json:"duration_histogram,omitempty"`
	} `json:"sources"`
}

const configKey = "config.yaml"

func parseConfig(t *testing.T, where string, data []byte) exporterConfig {
	t.Helper()
	var cfg exporterConfig
	if err := decodeStrict(data, &cfg); err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	if len(cfg.Sources) == 0 {
		t.Fatalf("%s: no sources", where)
	}
	for _, s := range cfg.Sources {
		if s.Name == "" || len(s.Paths) == 0 {
			t.Errorf("%s: source %+v needs a name and paths", where, s)
		}
		for _, p := range s.Paths {
			if !filepath.IsAbs(p) {
				t.Errorf("%s: source %s path %s is not absolute", where, s.Name, p)
			}
		}
	}
	return cfg
}

func configFromMap(t *testing.T, cm *corev1.ConfigMap) exporterConfig {
	t.Helper()
	data, ok := cm.Data[configKey]
	if !ok {
		t.Fatalf("ConfigMap %s has no %s", cm.Name, configKey)
	}
	return parseConfig(t, "ConfigMap "+cm.Name, []byte(data))
}

// rootedConfig writes the config with every path moved under dir (which
// stands for the container's or host's /), as the exporter will read it, and
// returns the copy's path. Everything else is left as written.
func rootedConfig(t *testing.T, data []byte, dir string) string {
	t.Helper()
	var cfg map[string]any
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		t.Fatal(err)
	}
	for _, s := range cfg["sources"].([]any) {
		src := s.(map[string]any)
		paths := src["paths"].([]any)
		for i, p := range paths {
			paths[i] = filepath.Join(dir, p.(string))
		}
	}
	out, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "etc", "httpstatus-exporter", configKey)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// checkConfig runs `exporter check-config` with args, which must pass.
func checkConfig(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command(exporterBin, append([]string{"check-config"}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("exporter check-config %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	if !strings.Contains(string(out), "config OK") {
		t.Fatalf("exporter check-config %s did not say config OK:\n%s", strings.Join(args, " "), out)
	}
	return string(out)
}

// TestConfigsCheck runs the exporter's check-config on every shipped config,
// with the DaemonSet's or the unit's own flags.
func TestConfigsCheck(t *testing.T) {
	b := loadBase(t)
	c := b.exporter(t)
	overlay := overlayConfigMap(t)
	for _, tc := range []struct {
		name string
		data []byte
		args []string
	}{
		{"kubernetes ConfigMap, DaemonSet args", []byte(b.configMap.Data[configKey]), c.Args},
		{"ingress-nginx example, DaemonSet args", []byte(overlay.Data[configKey]), c.Args},
		{"systemd config.yaml, unit's ExecStart", readFile(t, "deploy", "systemd", "config.yaml"), unitExecArgs(t)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := parseConfig(t, tc.name, tc.data)
			dir := t.TempDir()
			args := rootedArgs(t, tc.args, dir, tc.data)
			out := checkConfig(t, args...)
			for _, s := range cfg.Sources {
				if !strings.Contains(out, `source "`+s.Name+`"`) {
					t.Errorf("check-config does not list source %s:\n%s", s.Name, out)
				}
			}
		})
	}
}

// rootedArgs turns run's arguments into check-config's or a test run's: the
// subcommand dropped, the config written under dir with its paths there too,
// the checkpoint under dir, the listen address kept (callers replace it).
func rootedArgs(t *testing.T, args []string, dir string, config []byte) []string {
	t.Helper()
	var out []string
	for i, a := range args {
		switch {
		case i == 0 && a == "run":
		case strings.HasPrefix(a, "--config.file="):
			out = append(out, "--config.file="+rootedConfig(t, config, dir))
		case strings.HasPrefix(a, "--checkpoint.file="):
			out = append(out, "--checkpoint.file="+filepath.Join(dir, strings.TrimPrefix(a, "--checkpoint.file=")))
		case a == "--config.file" || a == "--checkpoint.file":
			t.Fatalf("write %s=VALUE, as one argument", a)
		default:
			out = append(out, a)
		}
	}
	return out
}
