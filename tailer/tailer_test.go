package tailer

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// recorder is a Handler that keeps every line it is given, per file.
type recorder struct {
	mu        sync.Mutex
	lines     map[string]int // line text -> times seen
	order     []string
	tooLong   int
	skipped   int
	rotations map[Rotation]int
	errors    map[ErrorReason]int
	passes    int
	files     int
	unread    int64
	opened    []string
}

func newRecorder() *recorder {
	return &recorder{lines: map[string]int{}, rotations: map[Rotation]int{}, errors: map[ErrorReason]int{}}
}

func (r *recorder) Open(path string) FileHandler {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.opened = append(r.opened, path)
	return r
}

func (r *recorder) Lines(block []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(block) == 0 {
		panic("empty block")
	}
	for _, l := range strings.SplitAfter(string(block), "\n") {
		if l == "" {
			continue
		}
		l = strings.TrimSuffix(l, "\n")
		r.lines[l]++
		r.order = append(r.order, l)
	}
}

func (r *recorder) TooLong() { r.mu.Lock(); r.tooLong++; r.mu.Unlock() }
func (r *recorder) Skipped(n int) {
	r.mu.Lock()
	r.skipped += n
	r.mu.Unlock()
}
func (r *recorder) Rotated(k Rotation) {
	r.mu.Lock()
	r.rotations[k]++
	r.mu.Unlock()
}

func (r *recorder) Error(reason ErrorReason, _ string, _ error) {
	r.mu.Lock()
	r.errors[reason]++
	r.mu.Unlock()
}

func (r *recorder) Progress(files int, unread int64) {
	r.mu.Lock()
	r.passes++
	r.files, r.unread = files, unread
	r.mu.Unlock()
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.order)
}

func (r *recorder) snapshot() (lines map[string]int, rot map[Rotation]int, errs map[ErrorReason]int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	lines = map[string]int{}
	for k, v := range r.lines {
		lines[k] = v
	}
	rot = map[Rotation]int{}
	for k, v := range r.rotations {
		rot[k] = v
	}
	errs = map[ErrorReason]int{}
	for k, v := range r.errors {
		errs[k] = v
	}
	return lines, rot, errs
}

func (r *recorder) get(f func(*recorder) int) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return f(r)
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitPasses waits until the tailer has made n more passes: everything
// written before the call has then been looked at.
func waitPasses(t *testing.T, r *recorder, n int) {
	t.Helper()
	start := r.get(func(r *recorder) int { return r.passes })
	waitFor(t, fmt.Sprintf("%d passes", n), func() bool { return r.get(func(r *recorder) int { return r.passes }) >= start+n })
}

// harness runs a tailer in the background until the test ends.
type harness struct {
	t      *testing.T
	tl     *Tailer
	rec    *recorder
	cancel context.CancelFunc
	done   chan error
}

func start(t *testing.T, opts Options) *harness {
	t.Helper()
	return startHooked(t, opts, nil)
}

// startHooked is start with a hook that may change the Tailer before it runs.
func startHooked(t *testing.T, opts Options, hook func(*Tailer)) *harness {
	t.Helper()
	if opts.PollInterval == 0 {
		opts.PollInterval = 10 * time.Millisecond
	}
	if opts.RescanInterval == 0 {
		opts.RescanInterval = 20 * time.Millisecond
	}
	if opts.RotateWait == 0 {
		opts.RotateWait = 300 * time.Millisecond
	}
	if opts.Source == "" {
		opts.Source = "test"
	}
	rec := newRecorder()
	tl, err := New(opts, rec)
	if err != nil {
		t.Fatal(err)
	}
	if hook != nil {
		hook(tl)
	}
	ctx, cancel := context.WithCancel(context.Background())
	h := &harness{t: t, tl: tl, rec: rec, cancel: cancel, done: make(chan error, 1)}
	go func() { h.done <- tl.Run(ctx) }()
	select {
	case <-tl.Ready():
	case <-time.After(10 * time.Second):
		t.Fatal("tailer not ready")
	}
	t.Cleanup(h.stop)
	return h
}

func (h *harness) stop() {
	h.cancel()
	select {
	case err := <-h.done:
		if err != nil {
			h.t.Errorf("Run: %v", err)
		}
		h.done <- nil // later stops return at once
	case <-time.After(10 * time.Second):
		h.t.Fatal("Run did not return after cancel")
	}
}

// writer appends numbered lines to a file through one descriptor, as a web
// server does.
type writer struct {
	t    *testing.T
	f    *os.File
	name string
	n    int
}

func openWriter(t *testing.T, path, name string) *writer {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return &writer{t: t, f: f, name: name}
}

func (w *writer) write(n int) {
	w.t.Helper()
	var b bytes.Buffer
	for range n {
		w.n++
		fmt.Fprintf(&b, "%s-%06d\n", w.name, w.n)
	}
	if _, err := w.f.Write(b.Bytes()); err != nil {
		w.t.Fatal(err)
	}
}

// want lists the lines a writer wrote from..to, each seen once.
func want(m map[string]int, name string, from, to int) {
	for i := from; i <= to; i++ {
		m[fmt.Sprintf("%s-%06d", name, i)] = 1
	}
}

func checkLines(t *testing.T, r *recorder, wantLines map[string]int) {
	t.Helper()
	got, _, _ := r.snapshot()
	if diff := cmp.Diff(wantLines, got); diff != "" {
		t.Errorf("lines seen (-want +got):\n%s", diff)
	}
}

func waitLines(t *testing.T, r *recorder, n int) {
	t.Helper()
	waitFor(t, fmt.Sprintf("%d lines", n), func() bool { return r.count() >= n })
}

func TestStartsAtEndOrStart(t *testing.T) {
	for _, fromStart := range []bool{false, true} {
		t.Run(fmt.Sprint("fromStart=", fromStart), func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "access.log")
			w := openWriter(t, path, "a")
			w.write(5)
			// A line being written at start-up is read whole, not from its middle.
			if _, err := w.f.WriteString("a-000006"); err != nil {
				t.Fatal(err)
			}
			w.n++
			h := start(t, Options{Paths: []string{path}, FromStart: fromStart})
			if _, err := w.f.WriteString("\n"); err != nil {
				t.Fatal(err)
			}
			w.write(3)
			wantLines := map[string]int{}
			if fromStart {
				want(wantLines, "a", 1, 9)
			} else {
				want(wantLines, "a", 6, 9)
			}
			waitLines(t, h.rec, len(wantLines))
			waitPasses(t, h.rec, 3)
			checkLines(t, h.rec, wantLines)
		})
	}
}

func TestRenameRotationWriterKeepsWriting(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "access.log")
	old := openWriter(t, path, "old")
	h := start(t, Options{Paths: []string{path}, RotateWait: time.Second})
	old.write(100)
	waitLines(t, h.rec, 100)

	// logrotate renames; the server keeps writing to the renamed file until
	// it is told to reopen.
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	old.write(50)
	waitFor(t, "rename noticed", func() bool {
		return h.rec.get(func(r *recorder) int { return r.rotations[RotationRename] }) >= 1
	})
	old.write(10) // after the tailer saw the rename
	cur := openWriter(t, path, "new")
	cur.write(30)
	old.write(20) // the old file still grows after the new one exists
	waitLines(t, h.rec, 210)
	cur.write(5)
	waitLines(t, h.rec, 215)
	waitPasses(t, h.rec, 3)

	wantLines := map[string]int{}
	want(wantLines, "old", 1, 180)
	want(wantLines, "new", 1, 35)
	checkLines(t, h.rec, wantLines)
	_, rot, _ := h.rec.snapshot()
	// Whether the tailer looked between rename and create (the path gone,
	// the file still linked elsewhere) or after (the path names another
	// file), it is one rename.
	if diff := cmp.Diff(map[Rotation]int{RotationRename: 1}, rot); diff != "" {
		t.Errorf("rotations (-want +got):\n%s", diff)
	}
	// The old file is closed once it has been quiet for RotateWait.
	waitFor(t, "old file closed", func() bool { return h.rec.get(func(r *recorder) int { return r.files }) == 1 })
}

func TestCopyTruncate(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "access.log")
	w := openWriter(t, path, "a")
	h := start(t, Options{Paths: []string{path}})
	w.write(100)
	waitLines(t, h.rec, 100)
	// logrotate's copytruncate: copy, then truncate in place; the writer's
	// O_APPEND descriptor goes on at the new end.
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path+".1", data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "truncation noticed", func() bool { return h.rec.get(func(r *recorder) int { return r.rotations[RotationTruncate] }) == 1 })
	w.write(40)
	waitLines(t, h.rec, 140)
	waitPasses(t, h.rec, 3)
	wantLines := map[string]int{}
	want(wantLines, "a", 1, 140)
	checkLines(t, h.rec, wantLines)
}

func TestTruncatedAndRewrittenPastOffset(t *testing.T) {
	// Between two looks the file is truncated and written past the old read
	// position: size alone cannot tell, the fingerprint of the first bytes does.
	dir := t.TempDir()
	path := filepath.Join(dir, "access.log")
	w := openWriter(t, path, "a")
	w.write(10)
	h := start(t, Options{Paths: []string{path}, FromStart: true, Poll: true, PollInterval: 50 * time.Millisecond})
	waitLines(t, h.rec, 10)
	waitPasses(t, h.rec, 2) // fingerprint taken
	// Truncate and rewrite in one go, well within one poll interval.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	for i := 1; i <= 30; i++ {
		fmt.Fprintf(&b, "b-%06d\n", i)
	}
	if _, err := f.Write(b.Bytes()); err != nil {
		t.Fatal(err)
	}
	f.Close()
	waitLines(t, h.rec, 40)
	waitPasses(t, h.rec, 3)
	wantLines := map[string]int{}
	want(wantLines, "a", 1, 10)
	want(wantLines, "b", 1, 30)
	checkLines(t, h.rec, wantLines)
}

func TestDeleteAndRecreate(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "access.log")
	w := openWriter(t, path, "a")
	h := start(t, Options{Paths: []string{path}})
	w.write(10)
	waitLines(t, h.rec, 10)
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	w.write(3) // a writer holding the deleted file: still read
	waitFor(t, "delete noticed", func() bool { return h.rec.get(func(r *recorder) int { return r.rotations[RotationDelete] }) == 1 })
	waitPasses(t, h.rec, 5) // the path stays missing for a while
	w2 := openWriter(t, path, "b")
	w2.write(5)
	waitLines(t, h.rec, 18)
	waitPasses(t, h.rec, 3)
	wantLines := map[string]int{}
	want(wantLines, "a", 1, 13)
	want(wantLines, "b", 1, 5)
	checkLines(t, h.rec, wantLines)
}

func TestLateFileAndGlob(t *testing.T) {
	dir := t.TempDir()
	h := start(t, Options{Paths: []string{filepath.Join(dir, "*.log")}})
	waitPasses(t, h.rec, 2)
	a := openWriter(t, filepath.Join(dir, "a.log"), "a")
	a.write(7) // created after start-up: read from its first byte
	b := openWriter(t, filepath.Join(dir, "b.log"), "b")
	b.write(3)
	ignored := openWriter(t, filepath.Join(dir, "c.txt"), "c")
	ignored.write(3)
	waitLines(t, h.rec, 10)
	waitPasses(t, h.rec, 5)
	wantLines := map[string]int{}
	want(wantLines, "a", 1, 7)
	want(wantLines, "b", 1, 3)
	checkLines(t, h.rec, wantLines)
	if got := h.rec.get(func(r *recorder) int { return r.files }); got != 2 {
		t.Errorf("files followed = %d, want 2", got)
	}
}

func TestPartialLineHeld(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "access.log")
	w := openWriter(t, path, "a")
	h := start(t, Options{Paths: []string{path}})
	if _, err := w.f.WriteString("first half"); err != nil {
		t.Fatal(err)
	}
	waitPasses(t, h.rec, 5)
	if n := h.rec.count(); n != 0 {
		t.Fatalf("a partial line was handed on: %d lines", n)
	}
	if _, err := w.f.WriteString(", second half\r\nnext\n"); err != nil {
		t.Fatal(err)
	}
	waitLines(t, h.rec, 2)
	waitPasses(t, h.rec, 2)
	checkLines(t, h.rec, map[string]int{"first half, second half\r": 1, "next": 1})
}

func TestTooLongLineSkipped(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "access.log")
	w := openWriter(t, path, "a")
	h := start(t, Options{Paths: []string{path}, MaxLineBytes: 1024, BufferBytes: 8192})
	w.write(1)
	// 1 MiB without a newline, written in pieces: never held in memory whole.
	chunk := bytes.Repeat([]byte("x"), 64<<10)
	for range 16 {
		if _, err := w.f.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "too long reported", func() bool { return h.rec.get(func(r *recorder) int { return r.tooLong }) == 1 })
	if _, err := w.f.WriteString("tail of the long line\n"); err != nil {
		t.Fatal(err)
	}
	w.write(2)
	waitLines(t, h.rec, 3)
	waitPasses(t, h.rec, 3)
	wantLines := map[string]int{}
	want(wantLines, "a", 1, 3)
	checkLines(t, h.rec, wantLines)
	if got := h.rec.get(func(r *recorder) int { return r.tooLong }); got != 1 {
		t.Errorf("too long = %d, want 1", got)
	}
	// Every byte of the long line, its newline included, is accounted for.
	if got, want := h.rec.get(func(r *recorder) int { return r.skipped }), 16*64<<10+len("tail of the long line\n"); got != want {
		t.Errorf("skipped bytes = %d, want %d", got, want)
	}
}

func TestCheckpointRestart(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "access.log")
	cpPath := filepath.Join(dir, "positions.json")
	w := openWriter(t, path, "a")
	w.write(10)

	cp := NewCheckpoint(cpPath)
	h := start(t, Options{Paths: []string{path}, FromStart: true, Checkpoint: cp})
	waitLines(t, h.rec, 10)
	w.write(5)
	if _, err := w.f.WriteString("a-partial"); err != nil { // held, so resumed whole
		t.Fatal(err)
	}
	waitLines(t, h.rec, 15)
	h.stop()
	if err := cp.Write(); err != nil {
		t.Fatal(err)
	}

	// Written while the exporter is down.
	if _, err := w.f.WriteString("-done\n"); err != nil {
		t.Fatal(err)
	}
	w.write(7)

	cp2 := NewCheckpoint(cpPath)
	if err := cp2.Load(); err != nil {
		t.Fatal(err)
	}
	// FromStart is false: only the checkpoint makes the restart read the
	// lines written while it was down.
	h2 := start(t, Options{Paths: []string{path}, Checkpoint: cp2})
	waitLines(t, h2.rec, 8)
	waitPasses(t, h2.rec, 3)
	wantLines := map[string]int{"a-partial-done": 1}
	want(wantLines, "a", 16, 22)
	checkLines(t, h2.rec, wantLines)
}

func TestCheckpointRotatedWhileStopped(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "access.log")
	cpPath := filepath.Join(dir, "positions.json")
	w := openWriter(t, path, "a")
	cp := NewCheckpoint(cpPath)
	h := start(t, Options{Paths: []string{path}, Checkpoint: cp})
	w.write(10)
	waitLines(t, h.rec, 10)
	h.stop()
	if err := cp.Write(); err != nil {
		t.Fatal(err)
	}
	// While down: more lines, then logrotate renames, and a new file starts.
	w.write(3)
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	w.write(2)
	w2 := openWriter(t, path, "b")
	w2.write(4)

	cp2 := NewCheckpoint(cpPath)
	if err := cp2.Load(); err != nil {
		t.Fatal(err)
	}
	h2 := start(t, Options{Paths: []string{path}, Checkpoint: cp2})
	waitLines(t, h2.rec, 9)
	waitPasses(t, h2.rec, 3)
	wantLines := map[string]int{}
	want(wantLines, "a", 11, 15)
	want(wantLines, "b", 1, 4)
	checkLines(t, h2.rec, wantLines)
}

func TestCheckpointUnusable(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"corrupt":   "{not json",
		"truncated": `{"version":1,"positions":[{"source":"test","pa`,
		"version":   `{"version":99,"positions":[]}`,
	} {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(dir, name+".json")
			if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
			err := NewCheckpoint(p).Load()
			if err == nil || !strings.Contains(err.Error(), p) {
				t.Fatalf("Load = %v, want an error naming %s", err, p)
			}
		})
	}
	if err := NewCheckpoint(filepath.Join(dir, "missing.json")).Load(); err != nil {
		t.Errorf("missing checkpoint: %v, want nil", err)
	}
}

func TestSymlinkSwitched(t *testing.T) {
	dir := t.TempDir()
	link := filepath.Join(dir, "current.log")
	a := openWriter(t, filepath.Join(dir, "a.data"), "a")
	if err := os.Symlink("a.data", link); err != nil {
		t.Fatal(err)
	}
	h := start(t, Options{Paths: []string{link}})
	a.write(5)
	waitLines(t, h.rec, 5)
	b := openWriter(t, filepath.Join(dir, "b.data"), "b")
	b.write(2)
	// Switch atomically, as kubelet does for /var/log/containers.
	if err := os.Symlink("b.data", link+".tmp"); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(link+".tmp", link); err != nil {
		t.Fatal(err)
	}
	a.write(3) // the old target still gets its last lines
	b.write(2)
	waitLines(t, h.rec, 12)
	waitPasses(t, h.rec, 3)
	wantLines := map[string]int{}
	want(wantLines, "a", 1, 8)
	want(wantLines, "b", 1, 4)
	checkLines(t, h.rec, wantLines)
}

func TestNotRegularFilesIgnored(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "dir.log"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo.log"), 0o644); err != nil {
		t.Fatal(err)
	}
	w := openWriter(t, filepath.Join(dir, "real.log"), "a")
	h := start(t, Options{Paths: []string{filepath.Join(dir, "*.log")}, FromStart: true})
	w.write(4)
	waitLines(t, h.rec, 4)
	waitPasses(t, h.rec, 5)
	_, _, errs := h.rec.snapshot()
	if errs[ErrNotRegular] != 2 {
		t.Errorf("not_regular errors = %d, want 2 (reported once each)", errs[ErrNotRegular])
	}
	wantLines := map[string]int{}
	want(wantLines, "a", 1, 4)
	checkLines(t, h.rec, wantLines)
}

func TestUnreadBytesReported(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "access.log")
	w := openWriter(t, path, "a")
	w.write(1000) // 9 bytes a line
	h := start(t, Options{Paths: []string{path}, FromStart: true, PassBytes: 4096, BufferBytes: 4096, MaxLineBytes: 256})
	waitLines(t, h.rec, 1000)
	waitPasses(t, h.rec, 2)
	if got := h.rec.get(func(r *recorder) int { return int(r.unread) }); got != 0 {
		t.Errorf("unread = %d, want 0", got)
	}
}

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "access.log")
	if err := os.WriteFile(path, []byte("one\ntwo\nthree without newline"), 0o644); err != nil {
		t.Fatal(err)
	}
	rec := newRecorder()
	n, err := ReadFile(context.Background(), path, Options{}, rec)
	if err != nil {
		t.Fatal(err)
	}
	if n != 29 {
		t.Errorf("bytes = %d, want 29", n)
	}
	checkLines(t, rec, map[string]int{"one": 1, "two": 1, "three without newline": 1})
	if _, err := ReadFile(context.Background(), dir, Options{}, rec); err == nil {
		t.Error("ReadFile on a directory: no error")
	}
}

func TestBadGlob(t *testing.T) {
	if _, err := New(Options{Paths: []string{"/var/log/[.log"}}, newRecorder()); err == nil {
		t.Error("New accepted a malformed glob")
	}
}

func TestNestedGlobLateDirectory(t *testing.T) {
	// Kubernetes-style trees: the directory of a file appears after start-up.
	dir := t.TempDir()
	h := start(t, Options{Paths: []string{filepath.Join(dir, "pods", "*", "*", "*.log")}})
	waitPasses(t, h.rec, 2)
	sub := filepath.Join(dir, "pods", "ns_pod_uid", "nginx")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	w := openWriter(t, filepath.Join(sub, "0.log"), "a")
	w.write(6)
	waitLines(t, h.rec, 6)
	waitPasses(t, h.rec, 3)
	wantLines := map[string]int{}
	want(wantLines, "a", 1, 6)
	checkLines(t, h.rec, wantLines)
}

func TestGlobBase(t *testing.T) {
	for _, c := range []struct{ glob, want string }{
		{"/var/log/nginx/*.log", "/var/log/nginx"},
		{"/var/log/pods/*/*/*.log", "/var/log/pods"},
		{"/var/log/[ab]*/x.log", "/var/log"},
		{"access.log", "."},
		{"/*.log", "/"},
	} {
		if got := globBase(c.glob); got != c.want {
			t.Errorf("globBase(%q) = %q, want %q", c.glob, got, c.want)
		}
	}
}

func TestLabelSets(t *testing.T) {
	// These are label values of the contract's metrics: a change here is a
	// change of the contract.
	if diff := cmp.Diff([]Rotation{"rename", "truncate", "delete"}, Rotations()); diff != "" {
		t.Errorf("rotations (-want +got):\n%s", diff)
	}
	want := []ErrorReason{"open", "read", "stat", "not_regular", "watch", "checkpoint_read", "checkpoint_write"}
	if diff := cmp.Diff(want, ErrorReasons()); diff != "" {
		t.Errorf("error reasons (-want +got):\n%s", diff)
	}
}

func TestCheckpointWriteAndPositions(t *testing.T) {
	dir := t.TempDir()
	cp := NewCheckpoint(filepath.Join(dir, "positions.json"))
	if cp.Path() != filepath.Join(dir, "positions.json") {
		t.Errorf("Path = %q", cp.Path())
	}
	cp.set("b", []Position{{Source: "b", Path: "/x", Inode: 2, Offset: 5}})
	cp.set("a", []Position{{Source: "a", Path: "/y", Inode: 9}, {Source: "a", Path: "/y", Inode: 3}})
	got := cp.Positions()
	wantOrder := []string{"a/y/3", "a/y/9", "b/x/2"}
	for i, p := range got {
		if s := fmt.Sprintf("%s%s/%d", p.Source, p.Path, p.Inode); s != wantOrder[i] {
			t.Errorf("position %d = %s, want %s", i, s, wantOrder[i])
		}
	}
	if err := cp.Write(); err != nil {
		t.Fatal(err)
	}
	again := NewCheckpoint(cp.Path())
	if err := again.Load(); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(got[2:], again.resume("b")); diff != "" {
		t.Errorf("reloaded positions (-want +got):\n%s", diff)
	}
	// No temporary file is left behind.
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("files in the checkpoint folder = %d, want 1", len(entries))
	}
	// A checkpoint that cannot be written is an error, not a crash.
	bad := NewCheckpoint(filepath.Join(dir, "missing", "positions.json"))
	if err := bad.Write(); err == nil {
		t.Error("Write into a missing folder: no error")
	}
	if err := NewCheckpoint("").Write(); err != nil {
		t.Errorf("disabled checkpoint: %v", err)
	}
}

func TestReadFileMissing(t *testing.T) {
	if _, err := ReadFile(context.Background(), filepath.Join(t.TempDir(), "nope.log"), Options{}, newRecorder()); err == nil {
		t.Error("ReadFile on a missing file: no error")
	}
}
