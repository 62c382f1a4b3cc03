// Package tailer follows the files that match a set of globs and hands their
// bytes, cut at line ends, to a Handler. It owns finding files (globs re-checked
// so late files are found), following them across rename, copytruncate,
// delete and symlink switches, the bound on line length, and the read
// positions kept in a checkpoint file across restarts.
//
// It knows nothing of log formats or metrics: a Handler gets blocks of
// complete lines and a few events, and decides what they mean.
//
// Reading is done here rather than by github.com/nxadm/tail's line API: that
// API costs two lseek calls and a channel send per line, and it reopens a
// rotated file without draining the old one. From nxadm/tail the tailer takes
// its coalescing change notification (watch.FileChanges), fed by one inotify
// watcher per tailer, and its leaky bucket, which keeps warnings from flooding
// the log.
package tailer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/nxadm/tail/ratelimiter"
	"github.com/nxadm/tail/watch"
)

// Rotation is the kind of rotation a file went through: a label value of
// httpstatus_rotations_total.
type Rotation string

// The rotations the tailer tells apart.
const (
	RotationRename   Rotation = "rename"   // the path now names another file (logrotate's create, a switched symlink)
	RotationTruncate Rotation = "truncate" // the file shrank under the read position (copytruncate)
	RotationDelete   Rotation = "delete"   // the path is gone
)

// Rotations lists every Rotation, in label order.
func Rotations() []Rotation { return []Rotation{RotationRename, RotationTruncate, RotationDelete} }

// ErrorReason is why something failed: a label value of httpstatus_errors_total.
type ErrorReason string

// The reasons the tailer reports.
const (
	ErrOpen            ErrorReason = "open"             // a matching file could not be opened (permissions)
	ErrRead            ErrorReason = "read"             // reading an open file failed
	ErrStat            ErrorReason = "stat"             // a path could not be examined
	ErrNotRegular      ErrorReason = "not_regular"      // a match is a directory, FIFO, socket or device: not followed
	ErrWatch           ErrorReason = "watch"            // inotify refused a watch; polling covers it
	ErrCheckpointRead  ErrorReason = "checkpoint_read"  // the checkpoint file could not be used
	ErrCheckpointWrite ErrorReason = "checkpoint_write" // the checkpoint file could not be written
)

// ErrorReasons lists every ErrorReason, in label order.
func ErrorReasons() []ErrorReason {
	return []ErrorReason{ErrOpen, ErrRead, ErrStat, ErrNotRegular, ErrWatch, ErrCheckpointRead, ErrCheckpointWrite}
}

// Handler receives what a Tailer finds for one source. All its methods are
// called from the Tailer's one goroutine.
type Handler interface {
	// Open is called when the tailer starts reading a file; the returned
	// FileHandler gets that file's lines until it is closed.
	Open(path string) FileHandler
	// Rotated is called once for every rotation found.
	Rotated(kind Rotation)
	// Error is called for every failure; the tailer goes on.
	Error(reason ErrorReason, path string, err error)
	// Progress is called after every pass over the files: how many are
	// followed and how many bytes they hold that are not read yet.
	Progress(files int, unread int64)
}

// FileHandler receives the lines of one file.
type FileHandler interface {
	// Lines gets a block of complete lines, each ending in '\n', except the
	// last line of a file that will not grow any more (rotated away and
	// quiet), which is handed on without one. The block is only valid during
	// the call. A line is never longer than the read buffer; lines longer
	// than the configured bound may still arrive whole inside a block, so a
	// handler that enforces the bound checks length.
	Lines(block []byte)
	// TooLong is called once for each line that was longer than the bound and
	// is skipped without being read into memory.
	TooLong()
	// Skipped is called with the bytes of such a line as they are dropped
	// (its newline included), in one or more calls.
	Skipped(n int)
}

// Options configure a Tailer. Zero values take the defaults.
type Options struct {
	Source string   // the name positions are kept under in the checkpoint
	Paths  []string // globs (filepath.Match syntax)
	// FromStart reads files that exist at start-up and have no checkpoint
	// from their first byte; otherwise from the end of their last full line.
	FromStart bool
	// Poll turns off inotify: changes are found by polling alone.
	Poll           bool
	PollInterval   time.Duration // how often every file is checked (250ms)
	RescanInterval time.Duration // how often globs are expanded again (1s)
	// RotateWait is how long a file that was renamed or deleted is still
	// read after it last grew: a writer keeps writing to it until it reopens (5s).
	RotateWait   time.Duration
	MaxLineBytes int // a longer line is skipped and reported by TooLong (256 KiB)
	BufferBytes  int // read size (1 MiB); at least MaxLineBytes+4096
	// PassBytes bounds what one pass reads from one file, so one file with a
	// large backlog does not starve the others (64 MiB).
	PassBytes int64
	// DrainTimeout bounds the last pass after the context is cancelled (5s).
	DrainTimeout time.Duration
	Checkpoint   *Checkpoint // where positions are published; nil keeps none
	Logger       *slog.Logger
}

const (
	fingerprintMax = 1024
	tailWindow     = 64 << 10
)

func (o *Options) setDefaults() error {
	if o.PollInterval <= 0 {
		o.PollInterval = 250 * time.Millisecond
	}
	if o.RescanInterval <= 0 {
		o.RescanInterval = time.Second
	}
	if o.RotateWait <= 0 {
		o.RotateWait = 5 * time.Second
	}
	if o.MaxLineBytes <= 0 {
		o.MaxLineBytes = 256 << 10
	}
	if o.BufferBytes <= 0 {
		o.BufferBytes = 1 << 20
	}
	if o.BufferBytes < o.MaxLineBytes+4096 {
		o.BufferBytes = o.MaxLineBytes + 4096
	}
	if o.PassBytes <= 0 {
		o.PassBytes = 64 << 20
	}
	if o.DrainTimeout <= 0 {
		o.DrainTimeout = 5 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Checkpoint == nil {
		o.Checkpoint = NewCheckpoint("")
	}
	for _, g := range o.Paths {
		if _, err := filepath.Match(g, ""); err != nil {
			return fmt.Errorf("glob %q: %w", g, err)
		}
	}
	return nil
}

type fileID struct{ dev, ino uint64 }

func idOf(fi fs.FileInfo) fileID {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return fileID{dev: uint64(st.Dev), ino: st.Ino} //nolint:unconvert // Dev is int32 on some platforms
	}
	return fileID{}
}

// file is one open file being read.
type file struct {
	path     string
	fd       *os.File
	id       fileID
	h        FileHandler
	offset   int64  // next byte to read
	carry    []byte // the partial last line read so far (not yet counted)
	skipping bool   // inside an over-long line, dropping bytes up to its end
	size     int64  // size at the last stat
	draining bool   // the path names another file or none: read until quiet, then close
	grown    time.Time
	fpLen    int
	fp       uint64
}

// committed is the offset up to which every line has been handed on.
func (f *file) committed() int64 {
	if f.skipping {
		return f.offset
	}
	return f.offset - int64(len(f.carry))
}

// Tailer follows the files of one source. Use New, then Run once.
type Tailer struct {
	opts  Options
	h     Handler
	log   *slog.Logger
	board statusBoard // the files' status, for other goroutines

	buf        []byte
	files      map[fileID]*file
	order      []*file // files sorted by path; nil when files changed
	changed    bool    // positions moved since the last publish
	resume     []Position
	inResume   map[string]bool // paths named in the loaded checkpoint
	failing    map[string]bool // paths whose last open or stat failed: reported once until they recover
	lastRescan time.Time
	// scanWanted is set when inotify saw a file created or moved into a
	// watched folder: the next pass expands the globs at once rather than
	// at the next RescanInterval, so a log that was briefly missing
	// (deleted and created again, renamed away and back) is not waited for.
	scanWanted atomic.Bool
	// removed are paths inotify reported removed or renamed away, for
	// scan to forget as watched folders.
	removedMu sync.Mutex
	removed   []string
	ready     chan struct{}

	wake        *watch.FileChanges
	watcher     *fsnotify.Watcher
	watchedDirs map[string]bool
	// addWatch adds an inotify watch (the watcher's Add; tests replace it to
	// make the kernel's limits fail on purpose).
	addWatch func(dir string) error
	// watchLimited is set once inotify refused a watch for lack of room
	// (fs.inotify.max_user_watches): no more watches are tried, polling
	// covers every file.
	watchLimited bool
	warnings     *ratelimiter.LeakyBucket

	handed   int64         // bytes handed to the file handlers (lines and skipped) since Run began
	lastPass time.Duration // how long the last pass took besides reading
	lastScan time.Duration // how long the last rescan took
}

// New checks opts and returns a Tailer that reports to h.
func New(opts Options, h Handler) (*Tailer, error) {
	if err := opts.setDefaults(); err != nil {
		return nil, err
	}
	t := &Tailer{
		opts:        opts,
		h:           h,
		log:         opts.Logger.With("source", opts.Source),
		files:       map[fileID]*file{},
		inResume:    map[string]bool{},
		failing:     map[string]bool{},
		ready:       make(chan struct{}),
		wake:        watch.NewFileChanges(),
		watchedDirs: map[string]bool{},
		// At most 10 warnings at once, then one every 6 s; the metrics count all.
		warnings: ratelimiter.NewLeakyBucket(10, 6*time.Second),
	}
	t.resume = opts.Checkpoint.resume(opts.Source)
	for _, p := range t.resume {
		t.inResume[p.Path] = true
	}
	return t, nil
}

// Ready is closed once the first pass over the configured paths is done.
func (t *Tailer) Ready() <-chan struct{} { return t.ready }

// Run follows the files until ctx is cancelled, then reads what they hold
// (for at most DrainTimeout), publishes the final positions and returns.
func (t *Tailer) Run(ctx context.Context) error {
	t.buf = make([]byte, t.opts.BufferBytes)
	defer func() {
		for _, f := range t.files {
			f.fd.Close()
		}
	}()
	if !t.opts.Poll {
		w, err := fsnotify.NewWatcher()
		if err != nil {
			t.fail(ErrWatch, "", fmt.Errorf("inotify unavailable, polling only: %w", err))
		} else {
			t.watcher = w
			if t.addWatch == nil {
				t.addWatch = w.Add
			}
			forwarded := make(chan struct{})
			go t.forward(w, forwarded)
			defer func() {
				w.Close()
				<-forwarded
			}()
		}
	}
	t.pass(ctx, true)
	close(t.ready)
	ticker := time.NewTicker(t.opts.PollInterval)
	defer ticker.Stop()
	var rest *time.Timer
	for {
		select {
		case <-ctx.Done():
			t.drain()
			// What this run handed on, for the operator (and the restart
			// tests): with the checkpoint, it says where the next run resumes.
			t.log.Info("tailer stopped", "files", len(t.files), "read_bytes", t.handed)
			return nil
		case <-ticker.C:
		case <-t.wake.Modified:
			// A pass looks at every file. While writes keep coming, inotify
			// would start one pass after another; resting passRest times
			// as long as the last pass spent besides reading keeps
			// following many files (a stat and more per file and pass)
			// under a fifth of a CPU, and costs nothing when a pass is as
			// cheap as one file's. The poll interval bounds the rest.
			if d := min(t.lastPass*passRest, t.opts.PollInterval); d > 0 {
				if rest == nil {
					rest = time.NewTimer(d)
				} else {
					rest.Reset(d)
				}
				select {
				case <-ctx.Done():
					rest.Stop()
					continue
				case <-rest.C:
				}
			}
		}
		for t.pass(ctx, false) && ctx.Err() == nil {
		}
	}
}

// maxRemoved bounds the removed paths kept between two scans.
const maxRemoved = 4096

// scanRest is how many times as long as the last rescan took the tailer
// waits at least before the next regular one.
const scanRest = 10

// passRest is how many times as long as its last pass the tailer waits
// before a pass that inotify asks for.
const passRest = 4

// forward turns inotify events into one coalesced wake-up. It ends when the
// watcher is closed.
func (t *Tailer) forward(w *fsnotify.Watcher, done chan<- struct{}) {
	defer close(done)
	for {
		select {
		case ev, ok := <-w.Events:
			if !ok {
				return
			}
			if ev.Has(fsnotify.Create) { // created, or moved in
				t.scanWanted.Store(true)
			}
			if ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename) {
				t.removedMu.Lock()
				if len(t.removed) < maxRemoved { // beyond: the next scans re-add nothing they need
					t.removed = append(t.removed, ev.Name)
				}
				t.removedMu.Unlock()
			}
			t.wake.NotifyModified()
		case err, ok := <-w.Errors:
			if !ok {
				return
			}
			// The queue overflowed or similar: the poll still finds everything.
			t.fail(ErrWatch, "", err)
		}
	}
}

// drain is the last pass after cancel: read what every file holds, bounded in time.
func (t *Tailer) drain() {
	ctx, cancel := context.WithTimeout(context.Background(), t.opts.DrainTimeout)
	defer cancel()
	for t.pass(ctx, false) && ctx.Err() == nil {
	}
	t.publish()
}

// pass checks every file for rotation, finds new files when due, reads what
// is new and publishes positions. It reports whether a file still has bytes
// left to read (its pass budget ran out).
func (t *Tailer) pass(ctx context.Context, first bool) bool {
	now := time.Now()
	// Expanding globs over thousands of folders costs a system call or more
	// per folder: rescans are at least scanRest times as far apart as the
	// last one took, so they cost under a tenth of a CPU whatever the tree.
	sinceScan := now.Sub(t.lastRescan)
	rescan := first || sinceScan >= max(t.opts.RescanInterval, scanRest*t.lastScan) ||
		(sinceScan >= scanRest*t.lastScan && t.scanWanted.Load())
	for _, f := range t.sorted() {
		if f.draining {
			continue
		}
		if t.checkRotation(f) {
			rescan = true
		}
	}
	if rescan {
		t.scanWanted.Store(false)
		t.scan(first)
		t.lastRescan = time.Now()
		t.lastScan = t.lastRescan.Sub(now)
	}
	if first {
		t.resumeRotated()
	}
	more := false
	var unread int64
	var reading time.Duration
	for _, f := range t.sorted() {
		start := time.Now()
		n, full := t.read(ctx, f)
		if full {
			more = true
		}
		if n > 0 {
			f.grown = now
			reading += time.Since(start)
		}
		if f.draining && !full && now.Sub(f.grown) >= t.opts.RotateWait {
			t.closeFile(f)
			continue
		}
		if f.size > f.offset {
			unread += f.size - f.offset
		}
	}
	t.publish()
	t.publishStatus()
	t.h.Progress(len(t.files), unread)
	t.lastPass = time.Since(now) - reading
	return more
}

// sorted returns the files in a stable order (by path, then identity), so
// passes are deterministic.
func (t *Tailer) sorted() []*file {
	if t.order != nil {
		return t.order
	}
	// A new slice each time: a caller may still range over the old one.
	fs := make([]*file, 0, len(t.files))
	for _, f := range t.files {
		fs = append(fs, f)
	}
	slices.SortFunc(fs, func(a, b *file) int {
		if a.path != b.path {
			if a.path < b.path {
				return -1
			}
			return 1
		}
		switch {
		case a.id.ino < b.id.ino:
			return -1
		case a.id.ino > b.id.ino:
			return 1
		}
		return 0
	})
	t.order = fs
	return fs
}

// track starts following f.
func (t *Tailer) track(f *file) {
	t.files[f.id] = f
	t.order, t.changed = nil, true
}

// checkRotation compares what f.path names now with the open file. It
// reports whether the path should be looked at again for a new file.
func (t *Tailer) checkRotation(f *file) bool {
	st, err := os.Stat(f.path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		// The path is gone. If the open file still has a name somewhere it
		// was renamed (logrotate's create, seen before the new file is
		// made); with no name left it was deleted.
		t.startDraining(f, goneKind(f.fd))
		return true
	case err != nil:
		t.failOnce(ErrStat, f.path, err)
		return false
	case idOf(st) != f.id:
		t.startDraining(f, RotationRename)
		return true
	}
	delete(t.failing, f.path)
	size := st.Size()
	if size < f.offset || (size > f.size && !t.fingerprintHolds(f)) {
		// Truncated (copytruncate), possibly already written past our offset again.
		t.flushPartial(f)
		f.offset, f.skipping, f.fpLen, f.fp = 0, false, 0, 0
		t.changed = true
		t.h.Rotated(RotationTruncate)
		t.log.Debug("file truncated, reading from its start", "path", f.path)
	}
	f.size = size
	return false
}

func (t *Tailer) startDraining(f *file, kind Rotation) {
	f.draining = true
	f.grown = time.Now()
	t.h.Rotated(kind)
	t.log.Debug("file rotated, draining the old one", "path", f.path, "kind", string(kind))
}

// scan expands the globs and opens every regular file not yet followed.
func (t *Tailer) scan(first bool) {
	// Paths followed now name the file followed: checkRotation has just
	// looked. Stat-ing them again would cost a system call per file.
	followed := make(map[string]bool, len(t.files))
	for _, f := range t.files {
		if !f.draining {
			followed[f.path] = true
		}
	}
	t.forgetRemovedDirs()
	for _, g := range t.opts.Paths {
		t.watchDir(globBase(g))
		t.watchGlobDirs(g)
		matches, _ := filepath.Glob(g) // patterns were checked in New
		for _, p := range matches {
			if followed[p] {
				continue
			}
			st, err := os.Stat(p)
			if err != nil {
				if !errors.Is(err, fs.ErrNotExist) {
					t.failOnce(ErrStat, p, err)
				}
				continue
			}
			if !st.Mode().IsRegular() {
				t.failOnce(ErrNotRegular, p, fmt.Errorf("not a regular file (%s)", st.Mode().Type()))
				continue
			}
			id := idOf(st)
			if f, ok := t.files[id]; ok {
				if f.draining {
					// A rotated file that still matches a glob (access.log.1
					// under access.log*): follow it under its new name.
					f.path, f.draining, f.size = p, false, max(f.size, st.Size())
					t.order, t.changed = nil, true
					followed[p] = true
				}
				continue
			}
			t.open(p, first)
		}
	}
}

// watchGlobDirs watches every folder the glob's wildcards match above its
// files (pods/* and pods/*/* for pods/*/*/*.log), files or not: a file
// created in a folder that appeared since the last scan is then found by its
// inotify event at once, not by the next rescan (a log that lives less than
// RescanInterval before it is rotated away would be missed whole).
func (t *Tailer) watchGlobDirs(g string) {
	if t.watcher == nil || t.watchLimited {
		return
	}
	for _, pat := range dirPatterns(g) {
		dirs, _ := filepath.Glob(pat)
		for _, d := range dirs {
			if t.watchedDirs[d] {
				continue
			}
			if st, err := os.Stat(d); err == nil && st.IsDir() {
				t.watchDir(d)
			}
		}
	}
}

// dirPatterns are the folder levels of glob g below its base that hold a
// pattern character, from the top: for /var/log/pods/*/*/*.log,
// /var/log/pods/* and /var/log/pods/*/*.
func dirPatterns(g string) []string {
	base := globBase(g)
	var pats []string
	for dir := filepath.Dir(g); dir != base && dir != "/" && dir != "."; dir = filepath.Dir(dir) {
		pats = append(pats, dir)
	}
	slices.Reverse(pats)
	return pats
}

// forgetRemovedDirs drops watched folders that inotify said were removed or
// renamed: inotify has dropped their watches, and a folder made again under
// the same name must be watched again.
func (t *Tailer) forgetRemovedDirs() {
	t.removedMu.Lock()
	removed := t.removed
	t.removed = nil
	t.removedMu.Unlock()
	for _, d := range removed {
		delete(t.watchedDirs, d)
	}
}

// globBase is the directory part of a glob before its first pattern character.
func globBase(g string) string {
	dir := filepath.Dir(g)
	for dir != "/" && dir != "." && hasMeta(dir) {
		dir = filepath.Dir(dir)
	}
	return dir
}

func hasMeta(p string) bool { return bytes.ContainsAny([]byte(p), `*?[\`) }

func (t *Tailer) watchDir(dir string) {
	if t.watcher == nil || t.watchLimited || t.watchedDirs[dir] {
		return
	}
	t.watchedDirs[dir] = true
	err := t.addWatch(dir)
	switch {
	case err == nil:
	case errors.Is(err, fs.ErrNotExist):
		delete(t.watchedDirs, dir) // try again once it exists
	case errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EMFILE):
		// The kernel's inotify limits (fs.inotify.max_user_watches or
		// max_user_instances) are reached: one error, then polling alone
		// finds changes in the folders not watched yet. Trying again for
		// every folder would only fail again and flood the log.
		t.watchLimited = true
		t.fail(ErrWatch, dir, fmt.Errorf("inotify watch limit reached (%d folders watched; raise fs.inotify.max_user_watches), "+
			"polling every %s covers the rest: %w", len(t.watchedDirs)-1, t.opts.PollInterval, err))
	default:
		t.fail(ErrWatch, dir, fmt.Errorf("inotify watch, polling covers it: %w", err))
	}
}

// open starts following path. Files found in the first pass without a
// checkpoint start at the end of their last full line (or at 0 with
// FromStart); files found later were created since, and start at 0.
func (t *Tailer) open(path string, first bool) {
	// O_NONBLOCK: should a FIFO replace the file between stat and open, the
	// open must not wait for a writer.
	fd, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.failOnce(ErrOpen, path, err)
		return
	}
	st, err := fd.Stat()
	if err != nil || !st.Mode().IsRegular() {
		fd.Close()
		if err == nil {
			err = errors.New("not a regular file")
		}
		t.failOnce(ErrNotRegular, path, err)
		return
	}
	delete(t.failing, path)
	f := &file{path: path, fd: fd, id: idOf(st), size: st.Size(), grown: time.Now()}
	switch pos, ok := t.matchResume(f); {
	case ok:
		f.offset, f.skipping = pos.Offset, pos.Skipping
		if f.offset > f.size {
			f.offset, f.skipping = 0, false
			t.h.Rotated(RotationTruncate)
		}
	case first && !t.opts.FromStart && !t.inResume[path]:
		f.offset = t.lastLineEnd(f)
	}
	f.h = t.h.Open(path)
	if t.watcher != nil {
		t.watchDir(filepath.Dir(path))
	}
	t.track(f)
	t.log.Debug("following file", "path", path, "offset", f.offset)
}

// matchResume finds the checkpointed position of f: same device, inode and
// first bytes. It is used once.
func (t *Tailer) matchResume(f *file) (Position, bool) {
	for i, p := range t.resume {
		if p.Dev != f.id.dev || p.Inode != f.id.ino {
			continue
		}
		if p.FingerprintLen > 0 {
			sum, n := t.fingerprint(f.fd, p.FingerprintLen)
			if n != p.FingerprintLen || strconv.FormatUint(sum, 16) != p.Fingerprint {
				continue
			}
			f.fpLen, f.fp = n, sum
		}
		t.resume = slices.Delete(t.resume, i, i+1)
		return p, true
	}
	return Position{}, false
}

// resumeRotated looks, after the first scan, for checkpointed files that were
// rotated away while the exporter was stopped (access.log became
// access.log.1): a file in the same directory with the same identity is read
// from the checkpointed offset to its end, so its last lines are not lost.
// Checkpointed files that are gone altogether (deleted, or compressed and
// deleted, while the exporter was stopped) are counted as checkpoint_read
// errors and logged once: their unread rest, if they had one, is lost.
func (t *Tailer) resumeRotated() {
	var gone []string
	for _, p := range slices.Clone(t.resume) {
		id := fileID{p.Dev, p.Inode}
		if _, ok := t.files[id]; ok {
			continue // the inode is followed but holds other bytes now: replaced, read as a new file
		}
		dir := filepath.Dir(p.Path)
		entries, err := os.ReadDir(dir)
		if errors.Is(err, fs.ErrNotExist) {
			gone = append(gone, p.Path)
			continue
		}
		if err != nil {
			t.failOnce(ErrStat, dir, err)
			continue
		}
		if !t.resumeIn(dir, entries, p) {
			gone = append(gone, p.Path)
		}
	}
	t.resume = nil
	if len(gone) == 0 {
		return
	}
	for _, path := range gone {
		t.h.Error(ErrCheckpointRead, path, errors.New("checkpointed file is gone"))
	}
	t.log.Warn("checkpoint names files that are gone (deleted or rotated out of their folder while stopped); "+
		"what they held after their checkpointed offset is not counted",
		"files", len(gone), "path", gone[0])
}

// resumeIn looks in dir for the file p names (by identity) and, when its
// first bytes are still those checkpointed, follows it from p's offset to its
// end. It reports whether a file with p's identity exists there.
func (t *Tailer) resumeIn(dir string, entries []fs.DirEntry, p Position) bool {
	id := fileID{p.Dev, p.Inode}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		info, err := e.Info()
		if err != nil || idOf(info) != id {
			continue
		}
		path := filepath.Join(dir, e.Name())
		fd, err := os.Open(path)
		if err != nil {
			t.failOnce(ErrOpen, path, err)
			return true
		}
		f := &file{path: path, fd: fd, id: id, size: info.Size(), grown: time.Now(), draining: true}
		if _, ok := t.matchResume(f); !ok || p.Offset > f.size {
			fd.Close() // same inode, other bytes: a new file reusing it
			return true
		}
		f.offset, f.skipping = p.Offset, p.Skipping
		f.h = t.h.Open(path)
		t.track(f)
		t.h.Rotated(RotationRename)
		t.log.Info("reading the rest of a file rotated while stopped", "path", path)
		return true
	}
	return false
}

// lastLineEnd is where to start in a file read from its end: just after its
// last newline, so a line being written now is read whole.
func (t *Tailer) lastLineEnd(f *file) int64 {
	n := min(f.size, tailWindow)
	if n == 0 {
		return 0
	}
	buf := t.buf[:n]
	if _, err := f.fd.ReadAt(buf, f.size-n); err != nil && !errors.Is(err, io.EOF) {
		return f.size
	}
	i := bytes.LastIndexByte(buf, '\n')
	if i < 0 {
		return f.size
	}
	return f.size - n + int64(i) + 1
}

// read reads f from its offset until the end or the pass budget. It returns
// the bytes read and whether the budget stopped it before the end.
func (t *Tailer) read(ctx context.Context, f *file) (int64, bool) {
	if !f.draining && f.offset >= f.size {
		// Not grown since checkRotation or open looked, in this pass: a
		// read would find nothing. (Rotated files are read regardless:
		// nobody stats them.)
		return 0, false
	}
	var total int64
	for total < t.opts.PassBytes {
		if ctx.Err() != nil {
			return total, true
		}
		n := copy(t.buf, f.carry)
		m, err := f.fd.ReadAt(t.buf[n:], f.offset)
		if m > 0 {
			f.offset += int64(m)
			total += int64(m)
			t.changed = true
			t.consume(f, t.buf[:n+m])
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				t.failOnce(ErrRead, f.path, err)
			}
			break
		}
	}
	if f.offset > f.size {
		f.size = f.offset
	}
	return total, total >= t.opts.PassBytes
}

// consume hands the complete lines of data on and keeps the partial last one.
func (t *Tailer) consume(f *file, data []byte) {
	if f.skipping {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			t.skipped(f, len(data))
			f.carry = f.carry[:0]
			return
		}
		t.skipped(f, i+1)
		data, f.skipping = data[i+1:], false
	}
	if last := bytes.LastIndexByte(data, '\n'); last >= 0 {
		t.lines(f, data[:last+1])
		data = data[last+1:]
	}
	if len(data) > t.opts.MaxLineBytes {
		f.h.TooLong()
		t.skipped(f, len(data))
		f.skipping = true
		f.carry = f.carry[:0]
		return
	}
	f.carry = append(f.carry[:0], data...)
}

// lines hands a block of lines on and counts its bytes.
func (t *Tailer) lines(f *file, block []byte) {
	t.handed += int64(len(block))
	f.h.Lines(block)
}

// skipped tells f's handler of n bytes of an over-long line dropped.
func (t *Tailer) skipped(f *file, n int) {
	t.handed += int64(n)
	f.h.Skipped(n)
}

// flushPartial hands on a partial last line of a file that will not grow any
// more, as a line of its own (without a newline): it is counted, not lost.
func (t *Tailer) flushPartial(f *file) {
	if len(f.carry) > 0 && !f.skipping {
		t.lines(f, f.carry)
	}
	f.carry = f.carry[:0]
}

func (t *Tailer) closeFile(f *file) {
	t.flushPartial(f)
	f.fd.Close()
	delete(t.files, f.id)
	t.order, t.changed = nil, true
	t.log.Debug("stopped following rotated file", "path", f.path)
}

// fingerprint hashes the first n bytes of fd (fewer if it is shorter).
func (t *Tailer) fingerprint(fd *os.File, n int) (uint64, int) {
	var b [fingerprintMax]byte
	n = min(n, fingerprintMax)
	m, _ := fd.ReadAt(b[:n], 0)
	h := fnv.New64a()
	h.Write(b[:m])
	return h.Sum64(), m
}

// fingerprintHolds reports whether the first bytes of f are still those read
// before: false means the file was truncated and rewritten between two looks.
func (t *Tailer) fingerprintHolds(f *file) bool {
	if f.fpLen == 0 {
		return true
	}
	sum, n := t.fingerprint(f.fd, f.fpLen)
	return n == f.fpLen && sum == f.fp
}

// publish sends the current positions to the checkpoint.
func (t *Tailer) publish() {
	if !t.changed {
		return
	}
	t.changed = false
	ps := make([]Position, 0, len(t.files))
	for _, f := range t.sorted() {
		c := f.committed()
		if f.fpLen < fingerprintMax && c > int64(f.fpLen) {
			f.fp, f.fpLen = t.fingerprint(f.fd, int(min(c, fingerprintMax)))
		}
		ps = append(ps, Position{
			Source: t.opts.Source, Path: f.path, Dev: f.id.dev, Inode: f.id.ino,
			FingerprintLen: f.fpLen, Fingerprint: strconv.FormatUint(f.fp, 16),
			Offset: c, Skipping: f.skipping,
		})
	}
	t.opts.Checkpoint.set(t.opts.Source, ps)
}

// fail reports an error to the handler and logs it, at a bounded rate.
func (t *Tailer) fail(reason ErrorReason, path string, err error) {
	t.h.Error(reason, path, err)
	if t.warnings.Pour(1) {
		t.log.Warn("tail error", "reason", string(reason), "path", path, "err", err)
	}
}

// failOnce reports a failure of path once until the path recovers, so a file
// left unreadable is one error, not one a second.
func (t *Tailer) failOnce(reason ErrorReason, path string, err error) {
	if t.failing[path] {
		return
	}
	t.failing[path] = true
	t.fail(reason, path, err)
}

// ReadFile reads path once from its start to its end, handing its lines to h
// exactly as Run would (same line bound, a partial last line handed on as a
// line). It returns the bytes read.
func ReadFile(ctx context.Context, path string, opts Options, h FileHandler) (int64, error) {
	if err := opts.setDefaults(); err != nil {
		return 0, err
	}
	fd, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("open %s: %w", path, err)
	}
	defer fd.Close()
	st, err := fd.Stat()
	if err != nil {
		return 0, fmt.Errorf("stat %s: %w", path, err)
	}
	if !st.Mode().IsRegular() {
		return 0, fmt.Errorf("read %s: not a regular file", path)
	}
	// The same line cutting as ReadReader: one loop for files and streams.
	return ReadReader(ctx, fd, opts, h)
}

// goneKind tells a renamed file from a deleted one by its link count.
func goneKind(fd *os.File) Rotation {
	if st, err := fd.Stat(); err == nil {
		if sys, ok := st.Sys().(*syscall.Stat_t); ok && sys.Nlink > 0 {
			return RotationRename
		}
	}
	return RotationDelete
}
