package tailer

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestWatchLimitFallsBackToPolling makes every inotify watch fail as the
// kernel does when fs.inotify.max_user_watches is reached: one error, no
// retry for every folder, and every line still found by polling.
func TestWatchLimitFallsBackToPolling(t *testing.T) {
	dir := t.TempDir()
	var paths []string
	for i := range 5 {
		d := filepath.Join(dir, fmt.Sprint(i))
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, filepath.Join(d, "access.log"))
	}
	var mu sync.Mutex
	var tries []string
	h := startHooked(t, Options{Paths: []string{filepath.Join(dir, "*", "access.log")}, PollInterval: 30 * time.Millisecond},
		func(tl *Tailer) {
			tl.addWatch = func(d string) error {
				mu.Lock()
				defer mu.Unlock()
				tries = append(tries, d)
				return fmt.Errorf("inotify_add_watch %s: %w", d, syscall.ENOSPC)
			}
		})
	wantLines := map[string]int{}
	for i, p := range paths {
		w := openWriter(t, p, fmt.Sprint("f", i))
		w.write(3 + i)
		want(wantLines, w.name, 1, 3+i)
	}
	waitLines(t, h.rec, len(wantLines))
	waitPasses(t, h.rec, 3)
	checkLines(t, h.rec, wantLines)
	_, _, errs := h.rec.snapshot()
	if errs[ErrWatch] != 1 {
		t.Errorf("watch errors = %d, want 1 (reported once)", errs[ErrWatch])
	}
	mu.Lock()
	defer mu.Unlock()
	if len(tries) != 1 {
		t.Errorf("watches tried = %v, want one: no retry storm once the limit is reached", tries)
	}
}

// TestCheckpointGoneFiles resumes from a checkpoint naming a file that is
// there, one deleted while stopped and one whose folder is gone: the first
// resumes, the others are one checkpoint_read error each and one log line.
func TestCheckpointGoneFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "access.log")
	cpPath := filepath.Join(dir, "positions.json")
	w := openWriter(t, path, "a")
	gone := openWriter(t, filepath.Join(dir, "gone.log"), "g")
	gone.write(3)
	cp := NewCheckpoint(cpPath)
	h := start(t, Options{Paths: []string{filepath.Join(dir, "*.log")}, Checkpoint: cp, FromStart: true})
	w.write(4)
	waitLines(t, h.rec, 7)
	h.stop()
	// A third position, in a folder that does not exist.
	ps := cp.Positions()
	ps = append(ps, Position{Source: "test", Path: filepath.Join(dir, "nowhere", "x.log"), Dev: ps[0].Dev, Inode: 999999999, Offset: 10})
	cp.set("test", ps)
	if err := cp.Write(); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(gone.f.Name()); err != nil {
		t.Fatal(err)
	}
	w.write(2) // while stopped

	var logs bytes.Buffer
	cp2 := NewCheckpoint(cpPath)
	if err := cp2.Load(); err != nil {
		t.Fatal(err)
	}
	h2 := start(t, Options{Paths: []string{filepath.Join(dir, "*.log")}, Checkpoint: cp2,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	waitLines(t, h2.rec, 2)
	waitPasses(t, h2.rec, 3)
	wantLines := map[string]int{}
	want(wantLines, "a", 5, 6)
	checkLines(t, h2.rec, wantLines)
	_, _, errs := h2.rec.snapshot()
	if errs[ErrCheckpointRead] != 2 {
		t.Errorf("checkpoint_read errors = %d, want 2", errs[ErrCheckpointRead])
	}
	h2.stop()
	re := regexp.MustCompile(`level=WARN msg="checkpoint names files that are gone[^"]*" source=test files=2 path=`)
	if n := len(re.FindAllString(logs.String(), -1)); n != 1 {
		t.Errorf("log lines matching %s: %d, want 1:\n%s", re, n, logs.String())
	}
}

// TestStopLogsBytesRead: the tailer says at stop how many bytes it handed on,
// which with the checkpoint tells where the next run begins.
func TestStopLogsBytesRead(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "access.log")
	w := openWriter(t, path, "a")
	var logs syncBuf
	h := start(t, Options{Paths: []string{path}, MaxLineBytes: 64, BufferBytes: 4096,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	w.write(10) // 9 bytes a line
	// Longer than the bound: inside a block it is handed on whole, for the
	// handler to count as too long; its bytes are read either way.
	if _, err := w.f.WriteString(strings.Repeat("x", 100) + "\n"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.f.WriteString("partial"); err != nil { // held: not handed on
		t.Fatal(err)
	}
	waitLines(t, h.rec, 11)
	waitPasses(t, h.rec, 3)
	h.stop()
	if want := "read_bytes=191"; !strings.Contains(logs.String(), `msg="tailer stopped"`) || !strings.Contains(logs.String(), want) {
		t.Errorf("stop log lacks %s:\n%s", want, logs.String())
	}
}

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestCheckpointFileHygiene: the checkpoint is written 0600 whatever the
// umask (it names the logs followed), temporary files a crash left are
// removed at load, and a file too large to be a checkpoint is refused
// without being read whole.
func TestCheckpointFileHygiene(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "positions.json")
	stale := filepath.Join(dir, ".positions.json.tmp123456")
	if err := os.WriteFile(stale, []byte("{half"), 0o600); err != nil {
		t.Fatal(err)
	}
	cp := NewCheckpoint(path)
	if err := cp.Load(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("stale temporary file still there: %v", err)
	}
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	cp.set("s", []Position{{Source: "s", Path: "/x", Offset: 1}})
	if err := cp.Write(); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("checkpoint mode %v, want 0600", st.Mode().Perm())
	}
	if err := os.Truncate(path, maxCheckpointBytes+1); err != nil { // sparse: no disk used
		t.Fatal(err)
	}
	if err := NewCheckpoint(path).Load(); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("Load of a %d-byte file = %v, want an error saying it is too large", maxCheckpointBytes+1, err)
	}
}

// TestRecreatedFileFoundAtOnce: a log deleted and created again is found by
// the inotify event of its creation, not at the next glob rescan (10 s here).
func TestRecreatedFileFoundAtOnce(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "access.log")
	w := openWriter(t, path, "a")
	h := start(t, Options{Paths: []string{path}, RescanInterval: 10 * time.Second})
	w.write(2)
	waitLines(t, h.rec, 2)
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "delete noticed", func() bool { return h.rec.get(func(r *recorder) int { return r.rotations[RotationDelete] }) == 1 })
	start := time.Now()
	w2 := openWriter(t, path, "b")
	w2.write(3)
	waitLines(t, h.rec, 5)
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("the new file was read after %s: found by the rescan, not by inotify", took)
	}
	wantLines := map[string]int{}
	want(wantLines, "a", 1, 2)
	want(wantLines, "b", 1, 3)
	checkLines(t, h.rec, wantLines)
}

// TestNewFolderFileFoundAtOnce: in a kubelet tree, a pod folder and its log
// appear after start-up. The wildcard folders of the glob are watched, so the
// log is found by inotify, not by the next rescan (10 s here): a log rotated
// away within a rescan interval is not missed.
func TestNewFolderFileFoundAtOnce(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "pods"), 0o755); err != nil { // as /var/log/pods is
		t.Fatal(err)
	}
	h := start(t, Options{Paths: []string{filepath.Join(dir, "pods", "*", "*", "*.log")}, RescanInterval: 10 * time.Second})
	waitPasses(t, h.rec, 2)
	sub := filepath.Join(dir, "pods", "ns_pod_uid", "nginx")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	waitPasses(t, h.rec, 3) // the folders' events are handled: no file yet
	began := time.Now()
	w := openWriter(t, filepath.Join(sub, "0.log"), "a")
	w.write(3)
	waitLines(t, h.rec, 3)
	if took := time.Since(began); took > 5*time.Second {
		t.Errorf("the log in a new folder was read after %s: found by the rescan, not by inotify", took)
	}
	// Removed and made again: watched again.
	if err := os.RemoveAll(filepath.Join(dir, "pods", "ns_pod_uid")); err != nil {
		t.Fatal(err)
	}
	waitPasses(t, h.rec, 3)
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	waitPasses(t, h.rec, 3)
	began = time.Now()
	w2 := openWriter(t, filepath.Join(sub, "0.log"), "b")
	w2.write(2)
	waitLines(t, h.rec, 5)
	if took := time.Since(began); took > 5*time.Second {
		t.Errorf("the log in a folder made again was read after %s: found by the rescan, not by inotify", took)
	}
	wantLines := map[string]int{}
	want(wantLines, "a", 1, 3)
	want(wantLines, "b", 1, 2)
	checkLines(t, h.rec, wantLines)
}

func TestDirPatterns(t *testing.T) {
	for _, c := range []struct {
		glob string
		want []string
	}{
		{"/var/log/pods/*/*/*.log", []string{"/var/log/pods/*", "/var/log/pods/*/*"}},
		{"/var/log/nginx/*.log", nil},
		{"/var/log/[ab]*/x/*.log", []string{"/var/log/[ab]*", "/var/log/[ab]*/x"}},
		{"access.log", nil},
	} {
		if got := dirPatterns(c.glob); !slices.Equal(got, c.want) {
			t.Errorf("dirPatterns(%q) = %q, want %q", c.glob, got, c.want)
		}
	}
}
