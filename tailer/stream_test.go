package tailer

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestReadReader(t *testing.T) {
	rec := newRecorder()
	long := strings.Repeat("y", 20000) // longer than the buffer: skipped, never held
	in := "one\n" + long + "\ntwo\r\nlast without newline"
	n, err := ReadReader(context.Background(), strings.NewReader(in), Options{MaxLineBytes: 1024, BufferBytes: 8192}, rec)
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(len(in)) {
		t.Errorf("bytes = %d, want %d", n, len(in))
	}
	checkLines(t, rec, map[string]int{"one": 1, "two\r": 1, "last without newline": 1})
	if rec.tooLong != 1 || rec.skipped != len(long)+1 {
		t.Errorf("too long = %d, skipped = %d; want 1 and %d", rec.tooLong, rec.skipped, len(long)+1)
	}
	// A reader that fails: the error is returned, not swallowed.
	if _, err := ReadReader(context.Background(), io.MultiReader(strings.NewReader("a\n"), failingReader{}), Options{}, newRecorder()); err == nil {
		t.Error("ReadReader hid a read error")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := ReadReader(ctx, strings.NewReader("a\n"), Options{}, newRecorder()); !errors.Is(err, context.Canceled) {
		t.Errorf("ReadReader on a cancelled context = %v", err)
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestFilesStatus(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "access.log")
	w := openWriter(t, path, "a")
	h := start(t, Options{Paths: []string{path}, FromStart: true})
	w.write(10)
	waitLines(t, h.rec, 10)
	waitPasses(t, h.rec, 2)
	fs := h.tl.Files()
	if len(fs) != 1 {
		t.Fatalf("Files = %+v, want one", fs)
	}
	f := fs[0]
	if f.Path != path || f.Offset != 90 || f.Size != 90 || f.Draining || time.Since(f.LastRead) > time.Minute {
		t.Errorf("Files()[0] = %+v, want %s at 90 of 90, not draining, read lately", f, path)
	}
}
