package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestE2ETortureSecurity extends the TLS and basic auth test of TestE2EBinary:
// every route refuses a wrong or missing password, a burst of wrong ones
// changes nothing, clients below TLS 1.2 and plain HTTP are refused, no
// password and no log line content reaches the exporter's own log, and the
// checkpoint is written 0600 even under umask 000.
func TestE2ETortureSecurity(t *testing.T) {
	skipTorture(t)
	bin := buildExporter(t, t.TempDir())
	dir := t.TempDir()
	const password = "s3cret-PASSWORD-7f3a"
	webConfig, certPEM := tlsWebConfig(t, dir, password)
	logPath := filepath.Join(dir, "access.log")
	if err := os.WriteFile(logPath, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(dir, "state") // made by the exporter
	cp := filepath.Join(state, "pos.json")
	p := startExporterWith(t, bin, launch{prelude: "umask 000"}, "--log.path="+logPath, "--log.format=combined",
		"--web.listen-address=127.0.0.1:0", "--checkpoint.file="+cp, "--checkpoint.interval=1s",
		"--web.config.file="+webConfig, "--log.level=debug")
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(certPEM) {
		t.Fatal("cert not added to pool")
	}
	client := newClient(&http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}})
	base := "https://" + p.addr
	auth := func(user, pass string) func(*http.Request) {
		return func(r *http.Request) { r.SetBasicAuth(user, pass) }
	}
	right := auth("prometheus", password)

	// Lines with content that must never be logged, counted as usual.
	w := startWriter(t, "w", logPath, 2000)

	for _, route := range []string{"/metrics", "/", "/-/healthy", "/-/ready"} {
		for _, tc := range []struct {
			name   string
			modify func(*http.Request)
			want   int
		}{
			{"no auth", nil, http.StatusUnauthorized},
			{"wrong password", auth("prometheus", "wrong-PASSWORD-guess"), http.StatusUnauthorized},
			{"unknown user", auth("admin", password), http.StatusUnauthorized},
			{"right password", right, http.StatusOK},
		} {
			code, _, err := get(client, base+route, tc.modify)
			if err != nil || code != tc.want {
				t.Errorf("%s %s: status %d (%v), want %d", tc.name, route, code, err, tc.want)
			}
		}
	}
	// A burst of wrong passwords: all refused, the exporter still serves.
	refused := 0
	for i := range 200 {
		code, _, err := get(client, base+"/metrics", auth("prometheus", fmt.Sprintf("wrong-PASSWORD-%d", i)))
		if err == nil && code == http.StatusUnauthorized {
			refused++
		}
	}
	if refused != 200 {
		t.Errorf("%d of 200 wrong passwords refused with 401", refused)
	}
	// TLS 1.1 and plain HTTP are refused.
	old := newClient(&http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MaxVersion: tls.VersionTLS11}}) //nolint:gosec // the point: an old client must be refused
	if code, _, err := get(old, base+"/metrics", right); err == nil {
		t.Errorf("a TLS 1.1 client got status %d, want a failed handshake", code)
	}
	code, body, err := get(newClient(nil), "http://"+p.addr+"/metrics", right)
	if err == nil && (code == http.StatusOK || strings.Contains(body, "httpstatus_")) {
		t.Errorf("plain HTTP to the TLS port: status %d, want a refusal", code)
	}

	w.halt()
	want := w.total(t)
	waitFor(t, 30*time.Second, "lines counted over TLS", func() (bool, string) {
		f, err := scrape(&http.Client{Transport: authTransport{client.Transport, "prometheus", password}, Timeout: 5 * time.Second}, base+"/metrics")
		if err != nil {
			return false, err.Error()
		}
		got := f.value("httpstatus_lines_read_total")
		return got == float64(want.lines), fmt.Sprintf("%v of %d", got, want.lines)
	})
	waitFor(t, 10*time.Second, "checkpoint written", func() (bool, string) {
		_, err := os.Stat(cp)
		return err == nil, fmt.Sprint(err)
	})
	peak := peakRSS(t, p)
	if code, _ := p.stop(t, 15*time.Second); code != 0 {
		t.Errorf("exit code %d after SIGTERM, want 0", code)
	}
	checkPrivate(t, cp)
	st, err := os.Stat(state)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm()&0o007 != 0 {
		t.Errorf("checkpoint folder mode %v: others may read it", st.Mode().Perm())
	}
	log := p.stderr.String()
	checkNoLineContent(t, log)
	if strings.Contains(log, "PASSWORD") {
		t.Errorf("a password attempt is in the exporter's log:\n%s", tailString(log, 4<<10))
	}
	figures{written: want.lines, counted: want.lines, peakMiB: peak, extra: []string{
		fmt.Sprintf("wrong_passwords_refused=%d/200", refused), "tls1.1=refused", "checkpoint_mode=0600"}}.log(t)
}

// authTransport adds basic auth to every request.
type authTransport struct {
	next       http.RoundTripper
	user, pass string
}

func (a authTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if a.next == nil {
		return nil, errors.New("no transport")
	}
	r = r.Clone(r.Context())
	r.SetBasicAuth(a.user, a.pass)
	return a.next.RoundTrip(r)
}
