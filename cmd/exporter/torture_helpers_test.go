package main

// Helpers of the torture suite (torture_*_test.go): a paced writer whose
// every line is numbered and whose status is a checksum, exporters started
// under other users or in their own namespaces, and the figures each scenario
// reports. See docs/reliability.md for what the suite proves and its numbers.

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// soak reports whether HTTPSTATUS_SOAK=1 asks for the long version of every
// scenario: the same assertions over longer runs (minutes instead of seconds).
func soak() bool { return os.Getenv("HTTPSTATUS_SOAK") == "1" }

// soakOr returns long under HTTPSTATUS_SOAK=1, else short.
func soakOr[T any](short, long T) T {
	if soak() {
		return long
	}
	return short
}

// skipTorture skips a torture test under -short: CI runs them in a stage of
// their own (scripts/test.sh, -run '^TestE2ETorture').
func skipTorture(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("torture test: runs in the end-to-end stage")
	}
}

// tortureStatus is the status of line seq: every code from 100 to 598 in
// turn (499 is prime, so no block size of a reader or writer lines up with
// it). Per-code counts are then a checksum of which lines were counted: a
// lost range and a duplicated range cancel out only if they have the same
// length and start at the same residue.
func tortureStatus(seq int) int { return 100 + seq%499 }

// tortureLine is line seq of a writer: nginx combined, with a marker that
// must never show up in the exporter's own logs.
func tortureLine(b []byte, name string, seq int) []byte {
	b = append(b, "198.51.100."...)
	b = strconv.AppendInt(b, int64(seq%250+1), 10)
	b = append(b, " - - [12/Mar/2025:10:00:00 +0000] \"GET /torture/"...)
	b = append(b, name...)
	b = append(b, '/')
	b = strconv.AppendInt(b, int64(seq), 10)
	b = append(b, "?token=SECRET-LINE-CONTENT HTTP/1.1\" "...)
	b = strconv.AppendInt(b, int64(tortureStatus(seq)), 10)
	b = append(b, " 512 \"-\" \"torture/1.0\"\n"...)
	return b
}

// tally is what a set of lines holds, by status.
type tally struct {
	lines  int64
	bytes  int64
	byCode [600]int64
}

func (a *tally) add(b *tally) {
	a.lines += b.lines
	a.bytes += b.bytes
	for i := range a.byCode {
		a.byCode[i] += b.byCode[i]
	}
}

// tallyFile reads lines as written by tortureLine from path, starting at
// offset, and tallies the complete ones.
func tallyFile(t *testing.T, path string, offset int64) tally {
	t.Helper()
	return tallyRange(t, path, offset, -1)
}

// tallyRange tallies the complete lines of path between from and to (-1:
// the end). A file still being written is read only up to to, so to must
// be at a line end.
func tallyRange(t *testing.T, path string, from, to int64) tally {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var src io.Reader = io.NewSectionReader(f, from, 1<<62)
	if to >= 0 {
		src = io.NewSectionReader(f, from, to-from)
	}
	var tl tally
	r := bufio.NewReaderSize(src, 1<<20)
	for {
		line, err := r.ReadSlice('\n')
		if err != nil {
			if to >= 0 && len(line) > 0 {
				t.Fatalf("%s: offset %d is not at a line end", path, to)
			}
			break // a partial last line is not counted yet
		}
		tl.lines++
		tl.bytes += int64(len(line))
		// The status is the field after the quoted request.
		i := bytes.Index(line, []byte("HTTP/1.1\" "))
		if i < 0 {
			t.Fatalf("%s: not a torture line: %q", path, line)
		}
		code, err := strconv.Atoi(string(line[i+10 : i+13]))
		if err != nil {
			t.Fatalf("%s: status of %q: %v", path, line, err)
		}
		tl.byCode[code]++
	}
	return tl
}

// pacedWriter appends numbered lines at a steady rate, in batches, through
// one descriptor a file (as a web server does), and can be told to switch
// files. With several files, line seq goes to file seq % len(files).
type pacedWriter struct {
	name string
	rate int // lines a second

	mu      sync.Mutex
	files   []*os.File
	seq     int
	written tally
	err     error
	// history is (time, lines written) after every batch: how many lines
	// were written by a given moment.
	history []writeMark

	stop chan struct{}
	done chan struct{}
}

type writeMark struct {
	at    time.Time
	lines int64
}

// startWriter opens path for appending and writes rate lines a second until
// stopped.
func startWriter(t *testing.T, name, path string, rate int) *pacedWriter {
	t.Helper()
	return startWriterFiles(t, name, []string{path}, rate)
}

// startWriterFiles writes rate lines a second in all, spread over paths.
func startWriterFiles(t *testing.T, name string, paths []string, rate int) *pacedWriter {
	t.Helper()
	w := &pacedWriter{name: name, rate: rate, stop: make(chan struct{}), done: make(chan struct{})}
	for _, path := range paths {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			for _, f := range w.files {
				f.Close()
			}
			t.Fatal(err)
		}
		w.files = append(w.files, f)
	}
	go w.loop()
	t.Cleanup(func() {
		w.halt()
		w.mu.Lock()
		for _, f := range w.files {
			f.Close()
		}
		w.mu.Unlock()
	})
	return w
}

func (w *pacedWriter) loop() {
	defer close(w.done)
	start := time.Now()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	bufs := make([][]byte, len(w.files))
	for {
		select {
		case <-w.stop:
			return
		case <-tick.C:
		}
		// The target follows the clock, so a late tick writes a bigger batch
		// and the rate holds on a busy machine.
		target := int(time.Since(start).Seconds() * float64(w.rate))
		w.mu.Lock()
		n := min(target-w.seq, w.rate) // at most one second's worth at once
		if n <= 0 || w.err != nil {
			w.mu.Unlock()
			continue
		}
		var batch tally
		for range n {
			i := w.seq % len(bufs)
			from := len(bufs[i])
			bufs[i] = tortureLine(bufs[i], w.name, w.seq)
			batch.lines++
			batch.bytes += int64(len(bufs[i]) - from)
			batch.byCode[tortureStatus(w.seq)]++
			w.seq++
		}
		for i, b := range bufs {
			if len(b) == 0 {
				continue
			}
			if _, err := w.files[i].Write(b); err != nil && w.err == nil {
				w.err = err
			}
			bufs[i] = b[:0]
		}
		w.written.add(&batch)
		w.history = append(w.history, writeMark{time.Now(), w.written.lines})
		w.mu.Unlock()
	}
}

// halt stops the writer and waits for its last batch. It may be called twice.
func (w *pacedWriter) halt() {
	select {
	case <-w.stop:
	default:
		close(w.stop)
	}
	<-w.done
}

// reopen makes the writer write to path from now on (creating it), as a
// server does when logrotate tells it to reopen its logs.
func (w *pacedWriter) reopen(t *testing.T, path string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	w.mu.Lock()
	old := w.files[0]
	w.files[0] = f
	w.mu.Unlock()
	old.Close()
}

// total is what the writer has written so far.
func (w *pacedWriter) total(t *testing.T) tally {
	t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		t.Fatalf("writer %s: %v", w.name, w.err)
	}
	return w.written
}

// linesBy returns how many lines had been written at time at.
func (w *pacedWriter) linesBy(at time.Time) int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	i := sort.Search(len(w.history), func(i int) bool { return w.history[i].at.After(at) })
	if i == 0 {
		return 0
	}
	return w.history[i-1].lines
}

// counted is what one exporter's scrape says it counted for source.
type counted struct {
	lines, bytes, unread, files float64
	byCode                      [600]float64
	unparsed                    map[string]float64
	errors                      map[string]float64
	rotations                   map[string]float64
}

// scrapeCounted scrapes base/metrics for the counts of every source.
func scrapeCounted(base string) (counted, error) { return scrapeSource(base, "") }

// scrapeSource scrapes base/metrics for the counts of one source ("": all).
func scrapeSource(base, source string) (counted, error) {
	f, err := scrape(newClient(nil), base+"/metrics")
	if err != nil {
		return counted{}, err
	}
	if source != "" {
		for _, fam := range f {
			ms := fam.Metric[:0]
			for _, m := range fam.GetMetric() {
				if s := labelValue(m, "source"); s == "" || s == source {
					ms = append(ms, m)
				}
			}
			fam.Metric = ms
		}
	}
	c := counted{
		lines:     f.value("httpstatus_lines_read_total"),
		bytes:     f.value("httpstatus_read_bytes_total"),
		unread:    f.value("httpstatus_unread_bytes"),
		files:     f.value("httpstatus_files_followed"),
		unparsed:  f.series("httpstatus_lines_unparsed_total", "reason"),
		errors:    f.series("httpstatus_errors_total", "reason"),
		rotations: f.series("httpstatus_rotations_total", "kind"),
	}
	for code, n := range f.series("httpstatus_responses_total", "code") {
		i, err := strconv.Atoi(code)
		if err != nil || i < 100 || i > 599 {
			return c, fmt.Errorf("responses_total has code %q, outside 100-599", code)
		}
		c.byCode[i] += n
	}
	return c, nil
}

// compare returns the lines the exporter missed and counted twice, by
// status, against what was written.
func compare(want *tally, got *counted) (lost, dup int64) {
	for code := range want.byCode {
		d := int64(got.byCode[code]) - want.byCode[code]
		if d < 0 {
			lost -= d
		} else {
			dup += d
		}
	}
	return lost, dup
}

// waitCounted waits until the exporter at base has counted want exactly and
// has nothing left to read; then, so that a late duplicate would show, it
// waits settle and checks once more. It returns the last scrape.
func waitCounted(t *testing.T, base string, want tally, timeout, settle time.Duration) counted {
	t.Helper()
	return waitCountedSource(t, base, "", want, timeout, settle)
}

// waitCountedSource is waitCounted for one source of several.
func waitCountedSource(t *testing.T, base, source string, want tally, timeout, settle time.Duration) counted {
	t.Helper()
	var last counted
	check := func() (bool, string) {
		c, err := scrapeSource(base, source)
		if err != nil {
			return false, err.Error()
		}
		last = c
		lost, dup := compare(&want, &c)
		ok := lost == 0 && dup == 0 && c.lines == float64(want.lines) && c.bytes == float64(want.bytes) && c.unread == 0
		return ok, fmt.Sprintf("written %d lines %d bytes; counted %v lines %v bytes, %d lost, %d duplicated by status, %v unread bytes, unparsed %v",
			want.lines, want.bytes, c.lines, c.bytes, lost, dup, c.unread, c.unparsed)
	}
	waitFor(t, timeout, "every line counted once", check)
	if settle > 0 {
		time.Sleep(settle) // not a synchronisation: a window for late duplicates to appear
		if ok, msg := check(); !ok {
			t.Fatalf("after %s more: %s", settle, msg)
		}
	}
	return last
}

// procStatus reads a field of /proc/<pid>/status in KiB (VmHWM, VmRSS).
func procStatus(pid int, field string) (int64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, l := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(l, field+":"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		}
	}
	return 0, fmt.Errorf("/proc/%d/status: no %s", pid, field)
}

// peakRSS is the exporter's peak resident set (VmHWM) in MiB.
func peakRSS(t *testing.T, p *proc) float64 {
	t.Helper()
	kb, err := procStatus(p.cmd.Process.Pid, "VmHWM")
	if err != nil {
		t.Fatalf("peak RSS: %v", err)
	}
	return float64(kb) / 1024
}

// cpuSeconds is the user and system CPU time the exporter has used.
func cpuSeconds(t *testing.T, p *proc) float64 {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
	if err != nil {
		t.Fatalf("cpu: %v", err)
	}
	// The command name may hold spaces: fields are counted after its ')'.
	fields := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+1:]))
	utime, _ := strconv.ParseFloat(fields[11], 64)
	stime, _ := strconv.ParseFloat(fields[12], 64)
	return (utime + stime) / 100 // USER_HZ is 100 on Linux
}

// figures is one scenario's result line. docs/reliability.md's table is made
// from these lines (grep TORTURE in go test -v output).
type figures struct {
	written, counted, lost, dup int64
	peakMiB                     float64
	extra                       []string
}

func (f figures) log(t *testing.T) {
	t.Helper()
	extra := ""
	if len(f.extra) > 0 {
		extra = " " + strings.Join(f.extra, " ")
	}
	t.Logf("TORTURE %s: written=%d counted=%d lost=%d duplicated=%d peak_rss_mib=%.1f%s",
		t.Name(), f.written, f.counted, f.lost, f.dup, f.peakMiB, extra)
}

// tailString is the last n bytes of s.
func tailString(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "...\n" + s[len(s)-n:]
}

// kill sends SIGKILL and waits for the exit.
func (p *proc) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("SIGKILL: %v", err)
	}
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		t.Fatal("exporter did not die of SIGKILL")
	}
}

// sharedDir makes a folder that a process of another user can use (mode
// 0777; its parent, the test's own temporary root, 0755). It needs root,
// which can run a process as another user at all.
func sharedDir(t *testing.T) string {
	t.Helper()
	needRoot(t, "runs the exporter as nobody")
	dir := t.TempDir()
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	return dir
}

// needRoot skips a scenario that needs root (another user, namespaces, a
// mount), or fails it under CI=true: CI must not pass by skipping.
func needRoot(t *testing.T, why string) {
	t.Helper()
	if os.Geteuid() == 0 {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("this scenario %s: it needs root", why)
	}
	t.Skipf("this scenario %s: it needs root", why)
}

// sharedBinary copies bin into a folder any user may execute from.
func sharedBinary(t *testing.T, bin string) string {
	t.Helper()
	dir := sharedDir(t)
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "exporter")
	if err := os.WriteFile(out, data, 0o755); err != nil {
		t.Fatal(err)
	}
	return out
}

// logLine is one line of the exporter's own log (slog text).
var logKV = regexp.MustCompile(`(\w+)=("(?:[^"\\]|\\.)*"|\S+)`)

// logValue returns the value of key in the first log line whose msg is msg.
func logValue(log, msg, key string) (string, bool) {
	for _, l := range strings.Split(log, "\n") {
		kv := map[string]string{}
		for _, m := range logKV.FindAllStringSubmatch(l, -1) {
			v := m[2]
			if u, err := strconv.Unquote(v); err == nil {
				v = u
			}
			kv[m[1]] = v
		}
		if kv["msg"] == msg {
			v, ok := kv[key]
			return v, ok
		}
	}
	return "", false
}

// readBytesAtStop is the bytes the exporter's tailer handed on in its run, as
// logged when it stopped (the run's final read_bytes_total).
func readBytesAtStop(t *testing.T, p *proc) int64 {
	t.Helper()
	v, ok := logValue(p.stderr.String(), "tailer stopped", "read_bytes")
	if !ok {
		t.Fatalf(`no "tailer stopped" log line with read_bytes:\n%s`, tailString(p.stderr.String(), 4<<10))
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// checkpointOffset is the offset of the one position of path (source
// default) in a checkpoint.
func checkpointOffset(t *testing.T, cpPath, path string) int64 {
	t.Helper()
	offs := checkpointOffsets(t, cpPath)
	off, ok := offs["default "+path]
	if !ok {
		t.Fatalf("checkpoint %s has no position for %s: %v", cpPath, path, offs)
	}
	return off
}
