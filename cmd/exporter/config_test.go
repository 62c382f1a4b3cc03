package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func writeTestFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestConfigErrors(t *testing.T) {
	dir := t.TempDir()
	writeTestFile(t, filepath.Join(dir, "wrong-category.yaml"), "codes:\n  - code: 200\n    category: fine\n    meaning: {en: OK}\n")
	for _, c := range []struct {
		name, config string
		want         []string // all must be in the error
	}{
		{"unknown key", "sources:\n  - name: web\n    paths: [/x]\n    colour: blue\n", []string{"line 4", "colour"}},
		{"unknown label key", "sources:\n  - name: web\n    paths: [/x]\n    labels:\n      pod: true\n", []string{"line 5", "pod"}},
		{"no paths", "sources:\n  - name: web\n", []string{"source 1", "no paths"}},
		{"no sources", "sources: []\n", []string{"no sources"}},
		{"empty", "", []string{"empty"}},
		{"bad name", "sources:\n  - name: 'we b'\n    paths: [/x]\n", []string{"name"}},
		{"bad format", "sources:\n  - name: web\n    paths: [/x]\n    format: nonsense\n", []string{"format", "nonsense"}},
		{"bad glob", "sources:\n  - name: web\n    paths: ['/x/[']\n", []string{"path"}},
		{"reserved static label", "sources:\n  - name: web\n    paths: [/x]\n    labels: {static: {job: x}}\n", []string{"job", "reserved"}},
		{"duplicate source", "sources:\n  - name: web\n    paths: [/x]\n  - name: web\n    paths: [/y]\n", []string{"web", "twice"}},
		{"bad table", "sources:\n  - name: web\n    paths: [/x]\n    table: wrong-category.yaml\n", []string{"wrong-category.yaml", ":3", "fine"}},
		{"missing table", "sources:\n  - name: web\n    paths: [/x]\n    table: nope.yaml\n", []string{"nope.yaml"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "-")+".yaml")
			writeTestFile(t, path, c.config)
			_, err := runCLI(t, "check-config", "--config.file="+path)
			if err == nil {
				t.Fatalf("check-config accepted:\n%s", c.config)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %q", err, w)
				}
			}
		})
	}
}

// TestConfigTwoSourcesTwoTables runs the exporter in-process on a config
// file with two sources, each classified by its own table: each source's
// code_info carries its own meanings, and the counts are per source.
func TestConfigTwoSourcesTwoTables(t *testing.T) {
	dir := t.TempDir()
	writeTestFile(t, filepath.Join(dir, "orders.yaml"), `reference: orders API, status codes page
codes:
  - code: 200
    category: success
    meaning: {en: Order accepted, zh: 订单已接受}
  - code: 409
    category: client
    meaning: {en: Order already exists}
  - code: 503
    category: server
    meaning: {en: Orders paused for maintenance}
`)
	writeTestFile(t, filepath.Join(dir, "billing.yaml"), `codes:
  - code: 200
    category: success
    meaning: {en: Invoice issued}
  - code: 402
    category: client
    meaning: {en: Payment required}
  - code: 503
    category: server
    meaning: {en: Billing backend unavailable}
`)
	ordersLog, billingLog := filepath.Join(dir, "orders.log"), filepath.Join(dir, "billing.log")
	writeTestFile(t, ordersLog, "")
	writeTestFile(t, billingLog, "")
	cfg := filepath.Join(dir, "config.yaml")
	writeTestFile(t, cfg, fmt.Sprintf(`sources:
  - name: orders
    paths: [%s]
    format: combined
    table: orders.yaml
  - name: billing
    paths: [%s]
    table: %s
    labels:
      method: true
      static: {team: payments}
`, ordersLog, billingLog, filepath.Join(dir, "billing.yaml")))

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stderr, done := runInProcess(ctx, "--config.file="+cfg, "--web.listen-address=127.0.0.1:0",
		"--checkpoint.file=", "--tail.poll-interval=20ms")
	addr := waitListening(t, stderr, done)
	c := newClient(nil)
	waitReady(t, c, "http://"+addr)
	appendFile(t, ordersLog, accessLine("200", 1)+accessLine("409", 2)+accessLine("503", 3)+accessLine("503", 4))
	appendFile(t, billingLog, accessLine("402", 1)+accessLine("200", 2))

	// A scrape gathers each metric on its own, so wait for the whole state.
	wantResponses := map[string]float64{
		// orders has no per-line labels, so its table's documented codes
		// (200, 409, 503: not the seed's) existed at 0 from start-up.
		"orders 200 success  ": 1, "orders 409 client  ": 1, "orders 503 server  ": 2,
		"billing 402 client GET payments": 1, "billing 200 success GET payments": 1,
	}
	var f families
	waitFor(t, 10*time.Second, "both sources counted", func() (bool, string) {
		var err error
		if f, err = scrape(c, "http://"+addr+"/metrics"); err != nil {
			return false, err.Error()
		}
		got := f.series("httpstatus_responses_total", "source", "code", "category", "method", "team")
		diff := cmp.Diff(wantResponses, got)
		return diff == "", "responses (-want +got):\n" + diff
	})
	meanings := f.series("httpstatus_code_info", "source", "code", "meaning")
	for _, key := range []string{
		"orders 200 Order accepted", "orders 409 Order already exists", "orders 503 Orders paused for maintenance",
		"billing 200 Invoice issued", "billing 402 Payment required", "billing 503 Billing backend unavailable",
	} {
		if meanings[key] != 1 {
			t.Errorf("code_info %q missing; have %v", key, meanings)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("run: %v", err)
	}
}
