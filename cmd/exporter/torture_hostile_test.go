package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// secretMarker is in every line the hostile tests write: it must never show
// up in the exporter's own log (log lines carry user data: they are counted,
// not printed).
const secretMarker = "SECRET-LINE-CONTENT"

// TestE2ETortureHostile feeds the exporter what a log glob can match on a
// real node besides access logs: a 50 MiB line, NUL bytes, invalid UTF-8,
// binary and compressed files, a directory, a FIFO, statuses that are not
// statuses, and files that are unreadable for a while. Never a crash, memory
// bounded, every line counted under a code or a reason, other files
// unaffected.
func TestE2ETortureHostile(t *testing.T) {
	skipTorture(t)
	bin := buildExporter(t, t.TempDir())
	t.Run("input", func(t *testing.T) { t.Parallel(); hostileInput(t, bin) })
	t.Run("permissions", func(t *testing.T) { t.Parallel(); hostilePermissions(t, bin) })
}

// hostileFile is one file written into the hostile source's folder.
type hostileFile struct {
	name  string
	write func(t *testing.T, path string)
}

func hostileInput(t *testing.T, bin string) {
	dir := t.TempDir()
	hdir := filepath.Join(dir, "hostile")
	if err := os.Mkdir(hdir, 0o755); err != nil {
		t.Fatal(err)
	}
	// Matched by the glob, never followed: counted as not_regular.
	if err := os.Mkdir(filepath.Join(hdir, "dir.log"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(hdir, "fifo.log"), 0o644); err != nil {
		t.Fatal(err)
	}
	goodPath := filepath.Join(dir, "good.log")
	if err := os.WriteFile(goodPath, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	config := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(config, fmt.Appendf(nil, `sources:
  - name: hostile
    paths: [%q]
    format: combined
  - name: good
    paths: [%q]
    format: combined
`, filepath.Join(hdir, "*.log"), goodPath), 0o644); err != nil {
		t.Fatal(err)
	}
	// Debug logging: the most the exporter ever says about a file.
	p := startExporter(t, bin, "--config.file="+config, "--web.listen-address=127.0.0.1:0",
		"--checkpoint.file="+filepath.Join(dir, "pos.json"), "--log.level=debug")
	base := "http://" + p.addr
	waitReady(t, newClient(nil), base)
	good := startWriter(t, "good", goodPath, 5000)

	hugeMiB := soakOr(50, 500)
	files := []hostileFile{
		{"huge.log", func(t *testing.T, path string) {
			// A line of 50 MiB, written in 1 MiB pieces while the exporter
			// reads it, between valid lines.
			f := createFile(t, path)
			defer f.Close()
			mustWrite(t, f, validLines("huge-a", 10))
			mustWrite(t, f, []byte(secretMarker+" "))
			chunk := bytes.Repeat([]byte("A"), 1<<20)
			for range hugeMiB {
				mustWrite(t, f, chunk)
			}
			mustWrite(t, f, []byte(" "+secretMarker+"\n"))
			mustWrite(t, f, validLines("huge-b", 10))
		}},
		{"nul.log", func(t *testing.T, path string) {
			var b []byte
			b = append(b, bytes.Repeat([]byte{0}, 100)...)
			b = append(b, '\n', 0, '\n')
			for i, l := range bytes.SplitAfter(validLines("nul", 20), []byte("\n")) {
				if len(l) > 20 {
					l = bytes.Clone(l)
					l[10+i%8] = 0 // a NUL inside a line
				}
				b = append(b, l...)
			}
			b = append(b, bytes.Repeat([]byte{0}, 4096)...)
			b = append(b, '\n')
			writeFile(t, path, b)
		}},
		{"utf8.log", func(t *testing.T, path string) {
			var b []byte
			for _, bad := range []string{"\xff\xfe", "\xc3\x28", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80"} {
				l := string(tortureLine(nil, "utf8", len(b)))
				b = append(b, strings.Replace(l, "/torture/", "/"+bad+"/", 1)...)
				b = append(b, strings.Replace(l, "torture/1.0", bad+secretMarker, 1)...)
				b = append(b, bad+secretMarker+"\n"...)
			}
			writeFile(t, path, b)
		}},
		{"binary.log", func(t *testing.T, path string) {
			b := make([]byte, 4<<20)
			if _, err := rand.NewChaCha8([32]byte{1, 2, 3}).Read(b); err != nil {
				t.Fatal(err)
			}
			writeFile(t, path, append(b, '\n'))
		}},
		{"compressed.log", func(t *testing.T, path string) {
			var zb bytes.Buffer
			zw := gzip.NewWriter(&zb)
			if _, err := zw.Write(validLines("gz", 5000)); err != nil {
				t.Fatal(err)
			}
			if err := zw.Close(); err != nil {
				t.Fatal(err)
			}
			writeFile(t, path, append(zb.Bytes(), '\n'))
		}},
		{"status.log", func(t *testing.T, path string) {
			var b []byte
			for i, st := range []string{"2000", "-1", "20", "abc", "000", "999", "600", "099", "1e2", "20x", "-", "+200", "200.0", "0x1F4"} {
				l := string(tortureLine(nil, "status", i))
				code := strconv.Itoa(tortureStatus(i))
				b = append(b, strings.Replace(l, "HTTP/1.1\" "+code+" ", "HTTP/1.1\" "+st+" ", 1)...)
			}
			writeFile(t, path, b)
		}},
		{"valid.log", func(t *testing.T, path string) { writeFile(t, path, validLines("valid", 1000)) }},
	}
	var plain []string
	for _, f := range files {
		path := filepath.Join(hdir, f.name)
		f.write(t, path)
		if f.name != "compressed.log" {
			plain = append(plain, path)
		}
	}
	// What each file holds, by the same parser read once (replay): the
	// follower must count exactly that, line for line. Replay decompresses
	// gzip; the follower reads a compressed file matching its glob as the
	// bytes it holds: its lines are what its newlines end, all unparsed.
	want := replayBinary(t, bin, plain...)
	gz, err := os.ReadFile(filepath.Join(hdir, "compressed.log"))
	if err != nil {
		t.Fatal(err)
	}
	var gzLines uint64
	for _, b := range gz {
		if b == '\n' {
			gzLines++
		}
	}
	want.Lines += gzLines
	want.Unparsed += gzLines
	want.Bytes += uint64(len(gz))
	var c counted
	compareHostile := func() string {
		got := reportOf(&c)
		// Reasons: replay's for the plain files, and the compressed file's
		// lines under any reason.
		var extra uint64
		for r, n := range got.Reasons {
			if n < want.Reasons[r] {
				return fmt.Sprintf("reason %s: %d, replay counts %d", r, n, want.Reasons[r])
			}
			extra += n - want.Reasons[r]
		}
		if extra != gzLines {
			return fmt.Sprintf("unparsed beyond replay's: %d, want the compressed file's %d lines", extra, gzLines)
		}
		got.Reasons = want.Reasons
		if d := cmp.Diff(want, got); d != "" {
			return "(-replay +run)\n" + d
		}
		return ""
	}
	waitFor(t, 60*time.Second, "hostile files counted as replay counts them", func() (bool, string) {
		var err error
		c, err = scrapeSource(base, "hostile")
		if err != nil {
			return false, err.Error()
		}
		d := compareHostile()
		return d == "", d
	})
	time.Sleep(500 * time.Millisecond) // a window for anything counted twice
	c, err = scrapeSource(base, "hostile")
	if err != nil {
		t.Fatal(err)
	}
	if d := compareHostile(); d != "" {
		t.Errorf("hostile source: %s", d)
	}
	if got := c.errors["not_regular"]; got != 2 {
		t.Errorf(`errors_total{reason="not_regular"} = %v, want 2 (dir.log, fifo.log)`, got)
	}
	if c.unparsed["too_long"] < 1 {
		t.Errorf("the 50 MiB line: too_long = %v, want at least 1", c.unparsed["too_long"])
	}
	// Statuses that are not three digits 100-599 are unparsed lines, never
	// series: scrapeSource refuses a code outside 100-599.
	if c.unparsed["bad_status"] < 14 {
		t.Errorf("bad_status = %v, want at least the 14 lines of status.log", c.unparsed["bad_status"])
	}
	good.halt()
	gc := waitCountedSource(t, base, "good", good.total(t), 30*time.Second, 0)
	peak := peakRSS(t, p)
	if limit := 48.0; peak > limit {
		t.Errorf("peak RSS %.1f MiB, want under %.0f MiB (the 50 MiB line must not be held)", peak, limit)
	}
	checkNoLineContent(t, p.stderr.String())
	if code, _ := p.stop(t, 15*time.Second); code != 0 {
		t.Errorf("exit code %d after SIGTERM, want 0", code)
	}
	figures{written: int64(c.lines) + good.total(t).lines, counted: int64(c.lines + gc.lines), peakMiB: peak, extra: []string{
		fmt.Sprintf("hostile_lines=%d", want.Lines), fmt.Sprintf("good_lines=%d", good.total(t).lines),
		fmt.Sprintf("huge_line_mib=%d", hugeMiB), fmt.Sprintf("unparsed=%v", c.unparsed),
		fmt.Sprintf("errors=%v", nonZero(c.errors))}}.log(t)
}

// hostilePermissions runs the exporter as nobody (65534): as root it could
// read any file whatever its mode. A file unreadable at start, one made
// unreadable while followed, and one rotated in unreadable, each made
// readable again: every line is counted once, each refusal is one open error.
func hostilePermissions(t *testing.T, bin string) {
	dir := sharedDir(t)
	shared := sharedBinary(t, bin)
	a := filepath.Join(dir, "a.log")
	b := filepath.Join(dir, "b.log")
	w := startWriter(t, "a", a, 5000)
	writeFile(t, b, validLines("b", 100))
	if err := os.Chmod(b, 0); err != nil {
		t.Fatal(err)
	}
	cp := filepath.Join(dir, "pos.json")
	p := startExporterWith(t, shared, launch{uid: 65534}, "--log.path="+filepath.Join(dir, "*.log"), "--log.format=combined",
		"--web.listen-address=127.0.0.1:0", "--checkpoint.file="+cp, "--checkpoint.interval=1s", "--tail.from=start",
		"--tail.rotate-wait=1s")
	base := "http://" + p.addr
	waitReady(t, newClient(nil), base)
	waitErrors := func(reason string, n float64) {
		t.Helper()
		waitFor(t, 20*time.Second, fmt.Sprintf("%s errors = %v", reason, n), func() (bool, string) {
			c, err := scrapeCounted(base)
			if err != nil {
				return false, err.Error()
			}
			return c.errors[reason] == n, fmt.Sprint(c.errors)
		})
	}
	waitErrors("open", 1) // b.log
	if !strings.Contains(p.stderr.String(), "reason=open path="+b) {
		t.Errorf("no log line for the unreadable b.log:\n%s", p.stderr.String())
	}
	// Readable again: read from its start.
	if err := os.Chmod(b, 0o644); err != nil {
		t.Fatal(err)
	}
	// Unreadable while followed: the open descriptor still reads.
	if err := os.Chmod(a, 0); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second) // written while a.log is unreadable
	if err := os.Chmod(a, 0o644); err != nil {
		t.Fatal(err)
	}
	// Rotated to a new file that is unreadable at first.
	if err := os.Rename(a, a+".1"); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(a, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	w.reopen(t, a)
	waitErrors("open", 2)
	time.Sleep(500 * time.Millisecond) // written while the new a.log is unreadable
	if err := os.Chmod(a, 0o644); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	w.halt()
	want := w.total(t)
	bt := tallyFile(t, b, 0)
	want.add(&bt)
	c := waitCounted(t, base, want, 30*time.Second, 500*time.Millisecond)
	if got := c.errors["open"]; got != 2 {
		t.Errorf(`errors_total{reason="open"} = %v, want 2`, got)
	}
	peak := peakRSS(t, p)
	checkNoLineContent(t, p.stderr.String())
	if code, _ := p.stop(t, 15*time.Second); code != 0 {
		t.Errorf("exit code %d after SIGTERM, want 0", code)
	}
	checkPrivate(t, cp)
	var st syscall.Stat_t
	if err := syscall.Stat(cp, &st); err != nil || st.Uid != 65534 {
		t.Errorf("checkpoint owner uid %d (%v), want 65534", st.Uid, err)
	}
	figures{written: want.lines, counted: int64(c.lines), peakMiB: peak,
		extra: []string{fmt.Sprintf("errors=%v", nonZero(c.errors)), "uid=65534"}}.log(t)
}

// validLines is n torture lines of writer name.
func validLines(name string, n int) []byte {
	var b []byte
	for i := range n {
		b = tortureLine(b, name, i)
	}
	return b
}

func createFile(t *testing.T, path string) *os.File {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func mustWrite(t *testing.T, f *os.File, b []byte) {
	t.Helper()
	if _, err := f.Write(b); err != nil {
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	f := createFile(t, path)
	mustWrite(t, f, b)
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// replayBinary runs `exporter replay --output=json` on files.
func replayBinary(t *testing.T, bin string, files ...string) replayReport {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"replay", "--output=json", "--log.format=combined"}, files...)...)
	cmd.Env = cleanEnv()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("replay: %v\n%s", err, stderr.String())
	}
	var r replayReport
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("replay output: %v\n%s", err, out)
	}
	r.Files = 0 // the run has no such figure
	return r
}

// reportOf puts a scrape's counts in replay's terms.
func reportOf(c *counted) replayReport {
	r := replayReport{Lines: uint64(c.lines), Bytes: uint64(c.bytes), Responses: map[string]uint64{}, Reasons: map[string]uint64{}}
	for code, n := range c.byCode {
		if n > 0 {
			r.Responses[strconv.Itoa(code)] = uint64(n)
		}
	}
	for reason, n := range c.unparsed {
		if n > 0 {
			r.Reasons[reason] = uint64(n)
			r.Unparsed += uint64(n)
		}
	}
	return r
}

func nonZero(m map[string]float64) map[string]float64 {
	out := map[string]float64{}
	for k, v := range m {
		if v != 0 {
			out[k] = v
		}
	}
	return out
}

// checkNoLineContent fails if the exporter's own log holds any part of a log
// line the tests wrote.
func checkNoLineContent(t *testing.T, log string) {
	t.Helper()
	for _, s := range []string{secretMarker, "/torture/", "torture/1.0", "AAAAAAAA", "198.51.100."} {
		if i := strings.Index(log, s); i >= 0 {
			t.Errorf("the exporter's log holds log line content %q: ...%s...", s, log[max(0, i-200):min(len(log), i+200)])
		}
	}
}
