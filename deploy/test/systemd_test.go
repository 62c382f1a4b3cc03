package deploytest

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

const unitName = "httpstatus-exporter.service"

// unit is a systemd unit file: section -> key -> values in order.
type unit map[string]map[string][]string

// parseUnit reads the unit file syntax: [Section], Key=Value, comments,
// lines continued with a trailing backslash.
func parseUnit(t *testing.T, data []byte) unit {
	t.Helper()
	u := unit{}
	section := ""
	sc := bufio.NewScanner(bytes.NewReader(data))
	var cont strings.Builder
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if cont.Len() == 0 && (line == "" || line[0] == '#' || line[0] == ';') {
			continue
		}
		if s, ok := strings.CutSuffix(line, `\`); ok {
			cont.WriteString(s + " ")
			continue
		}
		cont.WriteString(line)
		line = cont.String()
		cont.Reset()
		if strings.HasPrefix(line, "[") {
			if !strings.HasSuffix(line, "]") {
				t.Fatalf("line %d: %q", n, line)
			}
			section = strings.Trim(line, "[]")
			u[section] = map[string][]string{}
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || section == "" {
			t.Fatalf("line %d: %q is not Key=Value in a section", n, line)
		}
		u[section][k] = append(u[section][k], strings.Join(strings.Fields(v), " "))
	}
	if cont.Len() > 0 {
		t.Fatal("the file ends in a continued line")
	}
	return u
}

func (u unit) last(section, key string) string {
	v := u[section][key]
	if len(v) == 0 {
		return ""
	}
	return v[len(v)-1]
}

func loadUnit(t *testing.T) unit {
	t.Helper()
	return parseUnit(t, readFile(t, "deploy", "systemd", unitName))
}

// unitExecArgs is ExecStart's arguments after the binary.
func unitExecArgs(t *testing.T) []string {
	t.Helper()
	f := strings.Fields(loadUnit(t).last("Service", "ExecStart"))
	if len(f) < 2 {
		t.Fatalf("ExecStart %v", f)
	}
	return f[1:]
}

func TestSystemdUnit(t *testing.T) {
	u := loadUnit(t)
	s := u["Service"]
	want := map[string]string{
		"DynamicUser": "yes", "SupplementaryGroups": "adm", "StateDirectory": "httpstatus-exporter",
		"ProtectSystem": "strict", "NoNewPrivileges": "yes", "CapabilityBoundingSet": "", "AmbientCapabilities": "",
		"ProtectHome": "yes", "PrivateTmp": "yes", "PrivateDevices": "yes", "Restart": "on-failure",
	}
	for k, v := range want {
		if got, ok := s[k]; !ok || u.last("Service", k) != v {
			t.Errorf("%s=%q (set: %v), want %q", k, u.last("Service", k), got, v)
		}
	}
	if !slices.Contains(strings.Fields(strings.Join(s["ReadOnlyPaths"], " ")), "/var/log") {
		t.Errorf("ReadOnlyPaths %v lacks /var/log", s["ReadOnlyPaths"])
	}
	exec := strings.Fields(u.last("Service", "ExecStart"))
	if len(exec) < 2 || exec[0] != "/usr/local/bin/httpstatus-exporter" || exec[1] != "run" {
		t.Fatalf("ExecStart %v: want /usr/local/bin/httpstatus-exporter run ...", exec)
	}
	args := exec[1:]
	cp := flag(args, "checkpoint.file", defaultCheckpoint)
	if filepath.Dir(cp) != "/var/lib/"+u.last("Service", "StateDirectory") {
		t.Errorf("checkpoint %s is not in the StateDirectory /var/lib/%s", cp, u.last("Service", "StateDirectory"))
	}
	if cf := flag(args, "config.file", ""); filepath.Dir(cf) != "/etc/"+u.last("Service", "ConfigurationDirectory") {
		t.Errorf("--config.file %q is not in the ConfigurationDirectory /etc/%s", cf, u.last("Service", "ConfigurationDirectory"))
	}
	stop, err := time.ParseDuration(u.last("Service", "TimeoutStopSec"))
	if err != nil || stop < 2*drainBound {
		t.Errorf("TimeoutStopSec %q: want at least %s (the %s drain, then the checkpoint)", u.last("Service", "TimeoutStopSec"), 2*drainBound, drainBound)
	}
	if u.last("Install", "WantedBy") != "multi-user.target" {
		t.Errorf("WantedBy %q", u.last("Install", "WantedBy"))
	}
}

// TestSystemdAnalyze runs systemd's own checks on the unit, its ExecStart
// pointed at the built exporter: `verify` must print nothing (it exits 0 on
// unknown keys and bad values, and only says so), and `security` must rate
// the unit's exposure at 2.0 or lower ("OK").
func TestSystemdAnalyze(t *testing.T) {
	sa := needTool(t, "systemd-analyze", "systemd's checks of the unit")
	data := readFile(t, "deploy", "systemd", unitName)
	const bin = "/usr/local/bin/httpstatus-exporter"
	if !bytes.Contains(data, []byte("ExecStart="+bin+" ")) {
		t.Fatalf("ExecStart does not start %s", bin)
	}
	write := func(t *testing.T, data []byte) string {
		dir := t.TempDir()
		p := filepath.Join(dir, unitName)
		if err := os.WriteFile(p, bytes.ReplaceAll(data, []byte(bin), []byte(exporterBin)), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	verify := func(p string) string {
		out, err := exec.Command(sa, "verify", p).CombinedOutput()
		if err != nil {
			return string(out) + err.Error()
		}
		return string(out)
	}

	t.Run("verify", func(t *testing.T) {
		if out := verify(write(t, data)); out != "" {
			t.Errorf("systemd-analyze verify:\n%s", out)
		}
	})
	t.Run("verify catches a misspelt key", func(t *testing.T) {
		bad := bytes.Replace(data, []byte("ProtectSystem=strict"), []byte("ProtectSytem=strict"), 1)
		if out := verify(write(t, bad)); !strings.Contains(out, "ProtectSytem") {
			t.Errorf("systemd-analyze verify said nothing of the misspelt key: %q", out)
		}
	})
	t.Run("security", func(t *testing.T) {
		out, err := exec.Command(sa, "security", "--offline=true", "--threshold=20", write(t, data)).CombinedOutput()
		overall := ""
		for _, l := range strings.Split(string(out), "\n") {
			if strings.Contains(l, "Overall exposure level") {
				overall = strings.TrimSpace(l)
			}
		}
		if err != nil || overall == "" {
			t.Fatalf("systemd-analyze security: %v (over 2.0?)\n%s", err, out)
		}
		t.Log(overall)
	})
}
