package exporter

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestStatusPage(t *testing.T) {
	reg, s := newTestSource(t, "en")
	fh := s.Open("access.log")
	fh.Lines([]byte(line("200") + line("200") + line("503") + line("418")))
	files := []FileStatus{{Source: "web", Path: "/var/log/nginx/access.log", Offset: 400, Size: 1000, LastRead: time.Now()}}
	h, err := Handler(ServerOptions{TelemetryPath: "/metrics", Gatherer: reg, Logger: discard(), Version: "1.2.3",
		Files: func() []FileStatus { return files }})
	if err != nil {
		t.Fatal(err)
	}
	get := func() string {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/status", nil))
		if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
			t.Fatalf("GET /status = %d %s", rec.Code, rec.Header().Get("Content-Type"))
		}
		b, _ := io.ReadAll(rec.Body)
		return string(b)
	}
	page := get()
	for _, want := range []string{
		"source web: 4 responses",
		`<tr class="success"><td>200</td><td>success</td><td>Task submitted</td><td class="n">2</td>`,
		`<tr class="server"><td>503</td><td>server</td><td>Request not completed: system temporarily unavailable</td><td class="n">1</td>`,
		`<td>418</td><td>client</td><td>Undocumented 4xx: client error</td>`,
		`<td class="n">50.0%</td>`, // 200's share
		`<td>/var/log/nginx/access.log</td><td class="n">400</td><td class="n">600</td>`, // position, unread
		"version 1.2.3",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("status page lacks %q:\n%s", want, page)
		}
	}
	// Meanings are escaped: a table's text cannot inject markup.
	if strings.Contains(page, "<script") {
		t.Error("status page carries a script")
	}
}
