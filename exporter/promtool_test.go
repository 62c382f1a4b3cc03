package exporter

import (
	"bytes"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/httpstatus-exporter/httpstatus-exporter/tailer"
)

// TestPromtoolCheckMetrics feeds a real scrape, after real lines, to
// promtool check metrics (Debian's prometheus package), the linter
// Prometheus itself ships.
func TestPromtoolCheckMetrics(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("promtool not installed (scripts/test.sh installs Debian's prometheus package)")
		}
		t.Skip("promtool not installed; run scripts/test.sh")
	}
	reg, s := newTestSource(t, "zh")
	s.Open("access.log").Lines([]byte(line("200") + line("503") + line("418") + "garbage\n"))
	s.Rotated(tailer.RotationTruncate)
	h, err := Handler(ServerOptions{TelemetryPath: "/metrics", Gatherer: reg, Logger: discard()})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != 200 {
		t.Fatalf("scrape: %d", rec.Code)
	}
	scrape := rec.Body.String()
	if !strings.Contains(scrape, `httpstatus_responses_total{category="client",code="418",source="web"} 1`) {
		t.Fatalf("scrape lacks the 418 line:\n%s", scrape)
	}
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = strings.NewReader(scrape)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil || strings.TrimSpace(out.String()) != "" {
		t.Errorf("promtool check metrics: %v\n%s", err, out.String())
	}
}
