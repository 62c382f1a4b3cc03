package tailer

import (
	"slices"
	"sync"
	"time"
)

// FileStatus is what a Tailer says of one file it follows, for a status page.
type FileStatus struct {
	Path     string
	Offset   int64     // bytes counted (the start of a partial last line)
	Size     int64     // at the last look
	LastRead time.Time // when the file last grew (or was opened)
	Draining bool      // rotated away: read until quiet, then closed
}

// statusBoard keeps the files' status of the last pass for other goroutines.
type statusBoard struct {
	mu    sync.Mutex
	files []FileStatus
}

// Files returns the status of every followed file after the last pass. It
// is safe to call from any goroutine.
func (t *Tailer) Files() []FileStatus {
	t.board.mu.Lock()
	defer t.board.mu.Unlock()
	return slices.Clone(t.board.files)
}

// publishStatus is called by the tailer's goroutine after each pass.
func (t *Tailer) publishStatus() {
	fs := make([]FileStatus, 0, len(t.files))
	for _, f := range t.sorted() {
		fs = append(fs, FileStatus{Path: f.path, Offset: f.committed(), Size: max(f.size, f.offset), LastRead: f.grown, Draining: f.draining})
	}
	t.board.mu.Lock()
	t.board.files = fs
	t.board.mu.Unlock()
}
