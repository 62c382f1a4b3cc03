package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestE2ETortureRestart stops the exporter in the middle of a 20k lines/s
// stream, gracefully and not, and starts it again; and starts it on
// checkpoints that cannot be used.
func TestE2ETortureRestart(t *testing.T) {
	skipTorture(t)
	bin := buildExporter(t, t.TempDir())
	t.Run("sigterm", func(t *testing.T) { t.Parallel(); restartSIGTERM(t, bin) })
	t.Run("sigkill", func(t *testing.T) { t.Parallel(); restartSIGKILL(t, bin) })
	t.Run("checkpoint", func(t *testing.T) { t.Parallel(); badCheckpoints(t, bin) })
}

func restartArgs(dir string) (path, cp string, args []string) {
	path, cp = filepath.Join(dir, "access.log"), filepath.Join(dir, "state", "pos.json")
	return path, cp, []string{"--log.path=" + path, "--log.format=combined", "--web.listen-address=127.0.0.1:0",
		"--checkpoint.file=" + cp, "--checkpoint.interval=1s"}
}

// restartSIGTERM: SIGTERM while the writer writes, a second of writing while
// the exporter is down, a second run. Every line is counted exactly once
// across both runs: the first run's last words (the bytes it handed on,
// logged at stop) equal its checkpoint, and the second run counts exactly
// what follows that offset.
func restartSIGTERM(t *testing.T, bin string) {
	dir := t.TempDir()
	path, cp, args := restartArgs(dir)
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	p1 := startExporter(t, bin, args...)
	waitReady(t, newClient(nil), "http://"+p1.addr)
	w := startWriter(t, "w", path, tortureRate)
	time.Sleep(soakOr(2500*time.Millisecond, time.Minute)) // mid-stream
	code, took := p1.stop(t, 15*time.Second)
	if code != 0 {
		t.Fatalf("exit code after SIGTERM = %d, want 0", code)
	}
	b1 := readBytesAtStop(t, p1)
	o1 := checkpointOffset(t, cp, path)
	if b1 != o1 {
		t.Errorf("run 1 handed on %d bytes but checkpointed offset %d: they must be equal", b1, o1)
	}
	checkPrivate(t, cp)

	time.Sleep(time.Second) // written while the exporter is down
	p2 := startExporter(t, bin, args...)
	time.Sleep(soakOr(2*time.Second, time.Minute)) // the second run reads the stream
	w.halt()
	total := w.total(t)
	run1 := tallyPrefix(t, path, o1)
	run2 := tallyFile(t, path, o1)
	c2 := waitCounted(t, "http://"+p2.addr, run2, 60*time.Second, 500*time.Millisecond)
	if run1.bytes != o1 || run1.bytes+run2.bytes != total.bytes || run1.lines+run2.lines != total.lines {
		t.Errorf("file: %d+%d lines, %d+%d bytes; written %d lines, %d bytes; run 1 checkpointed %d",
			run1.lines, run2.lines, run1.bytes, run2.bytes, total.lines, total.bytes, o1)
	}
	if code, _ := p2.stop(t, 15*time.Second); code != 0 {
		t.Errorf("run 2 exit code = %d, want 0", code)
	}
	if b2 := readBytesAtStop(t, p2); b1+b2 != total.bytes {
		t.Errorf("bytes handed on: run 1 %d + run 2 %d = %d, written %d", b1, b2, b1+b2, total.bytes)
	}
	if off := checkpointOffset(t, cp, path); off != total.bytes {
		t.Errorf("final checkpoint offset %d, want the file's size %d", off, total.bytes)
	}
	counted := run1.lines + int64(c2.lines)
	figures{written: total.lines, counted: counted, lost: max(0, total.lines-counted), dup: max(0, counted-total.lines),
		peakMiB: peakRSSOf(p2), extra: []string{
			fmt.Sprintf("run1=%d", run1.lines), fmt.Sprintf("run2=%d", int64(c2.lines)),
			fmt.Sprintf("sigterm_exit_ms=%d", took.Milliseconds())}}.log(t)
}

// restartSIGKILL: SIGKILL while the writer writes, then a second run. No
// line is lost: the checkpoint is never ahead of what was counted, and the
// second run counts exactly what follows it. Lines counted by the first run
// after its last checkpoint write are counted again: at most what it read in
// the last --checkpoint.interval (1s) and one pass, asserted as "every line
// written more than 2.5 s before the kill is in the checkpoint".
func restartSIGKILL(t *testing.T, bin string) {
	dir := t.TempDir()
	path, cp, args := restartArgs(dir)
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	p1 := startExporter(t, bin, args...)
	base := "http://" + p1.addr
	waitReady(t, newClient(nil), base)
	w := startWriter(t, "w", path, tortureRate)
	time.Sleep(soakOr(2500*time.Millisecond, time.Minute) + time.Duration(time.Now().UnixNano()%1e9)) // mid-stream, anywhere in a checkpoint interval

	// The checkpoint as it is now, then the count: never ahead of it.
	waitFor(t, 10*time.Second, "a checkpoint written", func() (bool, string) {
		_, err := os.Stat(cp)
		return err == nil, fmt.Sprint(err)
	})
	before := tallyPrefix(t, path, checkpointOffset(t, cp, path))
	c1, err := scrapeCounted(base)
	if err != nil {
		t.Fatal(err)
	}
	if float64(before.lines) > c1.lines {
		t.Errorf("checkpoint covers %d lines, but only %v were counted: it is ahead of the count", before.lines, c1.lines)
	}
	killed := time.Now()
	peak := peakRSS(t, p1)
	p1.kill(t)
	written := w.linesBy(killed) // an upper bound of what run 1 read
	o := checkpointOffset(t, cp, path)
	st, err := os.Stat(cp)
	if err != nil {
		t.Fatal(err)
	}
	checkpointed := tallyPrefix(t, path, o)
	age := killed.Sub(st.ModTime())

	time.Sleep(time.Second) // written while down
	p2 := startExporter(t, bin, args...)
	time.Sleep(soakOr(2*time.Second, time.Minute))
	w.halt()
	total := w.total(t)
	after := tallyFile(t, path, o)
	waitCounted(t, "http://"+p2.addr, after, 60*time.Second, 500*time.Millisecond)
	if checkpointed.lines+after.lines != total.lines {
		t.Errorf("lost: %d lines before the checkpoint + %d counted by run 2 != %d written", checkpointed.lines, after.lines, total.lines)
	}
	// Duplicates are the lines run 1 counted beyond the checkpoint: at least
	// what its last scrape showed, at most what had been written at the kill.
	dupLow := max(0, int64(c1.lines)-checkpointed.lines)
	dupHigh := written - checkpointed.lines
	if floor := w.linesBy(killed.Add(-2500 * time.Millisecond)); checkpointed.lines < floor {
		t.Errorf("checkpoint at the kill covers %d lines, but %d were written 2.5 s before it: duplicates exceed the bound (interval 1s + a pass)",
			checkpointed.lines, floor)
	}
	// Reported conservatively: counted and duplicated as the upper bound.
	figures{written: total.lines, counted: total.lines + dupHigh, dup: dupHigh,
		peakMiB: peak, extra: []string{
			fmt.Sprintf("dup_range=%d..%d", dupLow, dupHigh),
			fmt.Sprintf("dup_bound=%d", written-w.linesBy(killed.Add(-2500*time.Millisecond))),
			fmt.Sprintf("checkpoint_age_ms=%d", age.Milliseconds())}}.log(t)
}

// tallyPrefix tallies the lines of path before offset, which must be at a
// line end.
func tallyPrefix(t *testing.T, path string, offset int64) tally {
	t.Helper()
	return tallyRange(t, path, 0, offset)
}

// checkPrivate fails unless path has mode 0600: a checkpoint names the
// logs followed and how far they were read.
func checkPrivate(t *testing.T, path string) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Mode().Perm(); got != 0o600 {
		t.Errorf("%s mode %v, want 0600", path, got)
	}
}

// peakRSSOf is peakRSS for a process that may have exited (then 0).
func peakRSSOf(p *proc) float64 {
	kb, err := procStatus(p.cmd.Process.Pid, "VmHWM")
	if err != nil {
		return 0
	}
	return float64(kb) / 1024
}

// badCheckpoints starts the exporter on checkpoints it cannot use. Each time:
// a clear log line, errors_total{reason="checkpoint_read"}, no crash, and no
// line of the existing log read again (files start at their end, as without
// a checkpoint); lines appended afterwards are counted exactly, and the
// checkpoint is written anew at the stop.
func badCheckpoints(t *testing.T, bin string) {
	for _, tc := range []struct {
		name string
		// content makes the checkpoint from the log's identity and size.
		content  func(st *syscall.Stat_t, path string, size int64) string
		wantErrs float64
		wantLog  *regexp.Regexp
		resumed  bool // the checkpoint's position of the log is used
	}{
		{"corrupt", func(*syscall.Stat_t, string, int64) string { return "{\x00\xffnot json at all" }, 1,
			regexp.MustCompile(`level=WARN msg="checkpoint not used, starting without it" err=".*unusable checkpoint .*pos\.json: invalid character`), false},
		{"truncated", func(st *syscall.Stat_t, path string, size int64) string {
			s := checkpointJSON(1, position(st, path, size))
			return s[:len(s)/2]
		}, 1, regexp.MustCompile(`level=WARN msg="checkpoint not used, starting without it" err=".*unusable checkpoint .*pos\.json: unexpected EOF`), false},
		{"older version", func(st *syscall.Stat_t, path string, size int64) string {
			return checkpointJSON(0, position(st, path, size))
		}, 1, regexp.MustCompile(`level=WARN msg="checkpoint not used, starting without it" err=".*unusable checkpoint .*pos\.json: version 0, want 1`), false},
		{"gone files", func(st *syscall.Stat_t, path string, size int64) string {
			gone := position(st, filepath.Join(filepath.Dir(path), "gone.log"), 100)
			gone["inode"] = st.Ino + 1_000_003
			elsewhere := position(st, "/nonexistent/dir/x.log", 100)
			elsewhere["inode"] = st.Ino + 1_000_033
			return checkpointJSON(1, position(st, path, size), gone, elsewhere)
		}, 2, regexp.MustCompile(`level=WARN msg="checkpoint names files that are gone.*" source=default files=2 path=`), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path, cp, args := restartArgs(dir)
			w := startWriter(t, "old", path, 50000)
			waitFor(t, 10*time.Second, "an existing log", func() (bool, string) {
				n := w.total(t).lines
				return n >= 1000, fmt.Sprint(n)
			})
			w.halt()
			old := w.total(t)
			var st syscall.Stat_t
			if err := syscall.Stat(path, &st); err != nil {
				t.Fatal(err)
			}
			if err := os.MkdirAll(filepath.Dir(cp), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(cp, []byte(tc.content(&st, path, old.bytes)), 0o600); err != nil {
				t.Fatal(err)
			}
			// Written "while the exporter was down": counted only when the
			// checkpoint's position is used.
			down := startWriter(t, "down", path, 50000)
			waitFor(t, 10*time.Second, "lines while down", func() (bool, string) {
				n := down.total(t).lines
				return n >= 300, fmt.Sprint(n)
			})
			down.halt()

			p := startExporter(t, bin, args...)
			base := "http://" + p.addr
			waitReady(t, newClient(nil), base)
			if !tc.wantLog.MatchString(p.stderr.String()) {
				t.Errorf("no log line matching %s:\n%s", tc.wantLog, p.stderr.String())
			}
			w2 := startWriter(t, "new", path, tortureRate)
			time.Sleep(time.Second)
			w2.halt()
			want := w2.total(t)
			if tc.resumed {
				d := down.total(t)
				want.add(&d)
			}
			c := waitCounted(t, base, want, 30*time.Second, 500*time.Millisecond)
			if got := c.errors["checkpoint_read"]; got != tc.wantErrs {
				t.Errorf(`errors_total{reason="checkpoint_read"} = %v, want %v`, got, tc.wantErrs)
			}
			code, _ := p.stop(t, 15*time.Second)
			if code != 0 {
				t.Errorf("exit code %d, want 0", code)
			}
			size := old.bytes + down.total(t).bytes + w2.total(t).bytes
			if off := checkpointOffset(t, cp, path); off != size {
				t.Errorf("checkpoint rewritten with offset %d, want %d", off, size)
			}
			checkPrivate(t, cp)
			figures{written: old.lines + down.total(t).lines + w2.total(t).lines, counted: int64(c.lines), peakMiB: peakRSSOf(p), extra: []string{
				fmt.Sprintf("existing_lines_not_reread=%d", old.lines),
				fmt.Sprintf("checkpoint_read_errors=%v", c.errors["checkpoint_read"]),
				fmt.Sprintf("resumed=%t", tc.resumed)}}.log(t)
		})
	}
}

// position is one checkpoint position of path as the tailer writes it.
func position(st *syscall.Stat_t, path string, offset int64) map[string]any {
	return map[string]any{"source": "default", "path": path, "dev": st.Dev, "inode": st.Ino,
		"fingerprint_len": 0, "fingerprint": "0", "offset": offset}
}

// checkpointJSON is a checkpoint file of a version with positions.
func checkpointJSON(version int, ps ...map[string]any) string {
	data, err := json.MarshalIndent(map[string]any{"version": version, "positions": ps}, "", "  ")
	if err != nil {
		panic(err)
	}
	return strings.TrimSpace(string(data)) + "\n"
}
