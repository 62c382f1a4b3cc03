package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestE2EStatusPageChromium opens /status of the real binary running --demo
// in a real headless Chromium (Debian's chromium): the page loads, shows the
// demo traffic's codes with their meanings, and a screenshot is taken
// (kept in out/ when HTTPSTATUS_SCREENSHOT_DIR says where).
func TestE2EStatusPageChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: builds the binary and runs Chromium")
	}
	chromium := requireTool(t, "chromium")
	dir := t.TempDir()
	bin := buildExporter(t, dir)
	p := startExporter(t, bin, "--demo", "--web.listen-address=127.0.0.1:0")
	c := newClient(nil)
	waitFor(t, 15*time.Second, "every documented code in the demo traffic", func() (bool, string) {
		f, err := scrape(c, "http://"+p.addr+"/metrics")
		if err != nil {
			return false, err.Error()
		}
		got := f.series("httpstatus_responses_total", "code")
		for _, code := range []string{"200", "201", "400", "401", "403", "404", "500", "501", "502", "503", "504"} {
			if got[code] == 0 {
				return false, "no " + code + " yet"
			}
		}
		return true, ""
	})

	browse := func(args ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		// The flags a headless Chromium needs in a closed sandbox as root.
		base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
			"--disable-background-networking", "--disable-component-update", "--disable-sync",
			"--user-data-dir=" + filepath.Join(dir, "chromium-profile")}
		cmd := exec.CommandContext(ctx, chromium, append(base, args...)...)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			t.Fatalf("chromium %v: %v\n%s", args, err, errb.String())
		}
		return out.String()
	}
	dom := browse("--dump-dom", "http://"+p.addr+"/status")
	for _, want := range []string{
		"httpstatus-exporter status", "source default:",
		"<td>200</td><td>success</td><td>Task submitted</td>",
		"<td>503</td><td>server</td><td>Request not completed: system temporarily unavailable</td>",
		"<td>504</td><td>gateway</td><td>Gateway timeout</td>",
		"<td>429</td><td>client</td><td>Undocumented 4xx: client error</td>",
		"access.log</td>",
	} {
		if !strings.Contains(dom, want) {
			t.Errorf("the page Chromium rendered lacks %q", want)
		}
	}
	shots := os.Getenv("HTTPSTATUS_SCREENSHOT_DIR")
	if shots == "" {
		shots = dir
	}
	shot := filepath.Join(shots, "status.png")
	browse("--screenshot="+shot, "--window-size=1280,1000", "--hide-scrollbars", "http://"+p.addr+"/status")
	png, err := os.ReadFile(shot)
	if err != nil {
		t.Fatal(err)
	}
	if len(png) < 10_000 || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Errorf("screenshot %s: %d bytes, not a PNG of a page", shot, len(png))
	}
	t.Logf("screenshot: %s (%d bytes)", shot, len(png))
}
