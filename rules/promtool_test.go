package rules

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// tool finds a program of Debian's prometheus package. Missing, the test
// is skipped, except under CI=true where it fails: CI must not pass by
// skipping.
func tool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if _, serr := os.Stat("/usr/bin/" + name); serr == nil {
		return "/usr/bin/" + name
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s not found (Debian's prometheus package; scripts/install-prometheus.sh): %v", name, err)
	}
	t.Skipf("%s not found (Debian's prometheus package; scripts/install-prometheus.sh): %v", name, err)
	return ""
}

// TestPromtoolCheckRules runs promtool check rules on the shipped files, on
// the steady test's files, on a rendering with every option changed and on
// the groups of the PrometheusRule object.
func TestPromtoolCheckRules(t *testing.T) {
	promtool := tool(t, "promtool")
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	o := DefaultOptions()
	o.SLO, o.GroupBy, o.Selector = 0.99, []string{"cluster", "namespace"}, `job="httpstatus-exporter",namespace=~"shop-.*"`
	other, err := Render(o)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := RenderPrometheusRule(DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	var pr struct {
		Spec yaml.Node `yaml:"spec"`
	}
	if err := yaml.Unmarshal(obj, &pr); err != nil {
		t.Fatal(err)
	}
	spec, err := yaml.Marshal(&pr.Spec)
	if err != nil {
		t.Fatal(err)
	}
	sets := map[string][]string{
		"shipped":         {RulesFile, AlertsFile},
		"slo98":           {filepath.Join("tests", "slo98", RulesFile), filepath.Join("tests", "slo98", AlertsFile)},
		"options":         {write("rules.yaml", other.Rules), write("alerts.yaml", other.Alerts)},
		"prometheus-rule": {write("prometheus-rule-spec.yaml", spec)},
	}
	for name, files := range sets {
		t.Run(name, func(t *testing.T) {
			out, err := exec.Command(promtool, append([]string{"check", "rules"}, files...)...).CombinedOutput()
			if err != nil {
				t.Fatalf("promtool check rules %v: %v\n%s", files, err, out)
			}
			if strings.Contains(string(out), "WARNING") || !strings.Contains(string(out), "SUCCESS") {
				t.Errorf("promtool check rules %v:\n%s", files, out)
			}
		})
	}
}

// TestPromtoolTestRules runs every promtool unit test under tests/: the
// scenarios of the rules issue as input series, with the minute each alert
// starts firing asserted (and stated in each file's comments).
func TestPromtoolTestRules(t *testing.T) {
	promtool := tool(t, "promtool")
	files, err := filepath.Glob(filepath.Join("tests", "*_test.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"exporter_down", "gateway", "jump", "low_traffic", "restart", "slow_burn", "steady",
		"steady_slo999", "unparsed"}
	if len(files) != len(want) {
		t.Errorf("tests/ holds %v, want a test file for each of %v", files, want)
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), "_test.yaml"), func(t *testing.T) {
			out, err := exec.Command(promtool, "test", "rules", f).CombinedOutput()
			if err != nil {
				t.Fatalf("promtool test rules %s: %v\n%s", f, err, out)
			}
			t.Logf("%s", out)
		})
	}
}
