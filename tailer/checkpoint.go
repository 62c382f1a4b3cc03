package tailer

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
)

// checkpointVersion is written into every checkpoint file. A file of another
// version is ignored with an error rather than misread.
const checkpointVersion = 1

// Position is the read position of one followed file, as kept in the
// checkpoint file. Offset is the start of the first byte not yet counted: a
// partial last line is never included, so a restart reads it whole.
type Position struct {
	Source string `json:"source"`
	Path   string `json:"path"`
	Dev    uint64 `json:"dev"`
	Inode  uint64 `json:"inode"`
	// FingerprintLen bytes from the start of the file hash to Fingerprint; a
	// reused inode is told apart from the file that was checkpointed by it.
	FingerprintLen int    `json:"fingerprint_len"`
	Fingerprint    string `json:"fingerprint"`
	Offset         int64  `json:"offset"`
	// Skipping is true while the rest of an over-long line is being skipped.
	Skipping bool `json:"skipping,omitempty"`
}

type checkpointFile struct {
	Version   int        `json:"version"`
	Positions []Position `json:"positions"`
}

// ErrCheckpoint marks a checkpoint file that exists but cannot be used.
var ErrCheckpoint = errors.New("tailer: unusable checkpoint")

// Checkpoint keeps the read positions of every source and writes them to a
// file atomically. Tailers publish their positions with set; the owner calls
// Write periodically and once more after every tailer has stopped.
type Checkpoint struct {
	path string

	mu      sync.Mutex
	loaded  map[string][]Position // by source, as read at start-up
	current map[string][]Position // by source, as last published
}

// NewCheckpoint returns a checkpoint kept in path. An empty path keeps
// positions in memory only.
func NewCheckpoint(path string) *Checkpoint {
	return &Checkpoint{path: path, loaded: map[string][]Position{}, current: map[string][]Position{}}
}

// Path is the file the checkpoint is written to ("" when disabled).
func (c *Checkpoint) Path() string { return c.path }

// maxCheckpointBytes bounds what Load reads: 2,000 followed files take about
// 600 KB, so a larger file is not a checkpoint of this program.
const maxCheckpointBytes = 64 << 20

// Load reads the checkpoint file. A missing file is not an error. A file that
// cannot be parsed, is larger than any checkpoint, or is of another version,
// is left as it is and an error wrapping ErrCheckpoint is returned: the caller
// logs and counts it and starts as if there were no checkpoint (it will be
// overwritten at the next write). Temporary files left by a write that was
// interrupted (a crash between create and rename) are removed.
func (c *Checkpoint) Load() error {
	if c.path == "" {
		return nil
	}
	if stale, err := filepath.Glob(c.tempPattern()); err == nil {
		for _, p := range stale {
			_ = os.Remove(p) // best effort: the next write makes its own
		}
	}
	fd, err := os.Open(c.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read checkpoint %s: %w", c.path, err)
	}
	defer fd.Close()
	data, err := io.ReadAll(io.LimitReader(fd, maxCheckpointBytes+1))
	if err != nil {
		return fmt.Errorf("read checkpoint %s: %w", c.path, err)
	}
	if len(data) > maxCheckpointBytes {
		return fmt.Errorf("%w %s: larger than %d bytes", ErrCheckpoint, c.path, maxCheckpointBytes)
	}
	var cf checkpointFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cf); err != nil {
		return fmt.Errorf("%w %s: %w", ErrCheckpoint, c.path, err)
	}
	if cf.Version != checkpointVersion {
		return fmt.Errorf("%w %s: version %d, want %d", ErrCheckpoint, c.path, cf.Version, checkpointVersion)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range cf.Positions {
		if p.Offset < 0 || p.FingerprintLen < 0 || p.Path == "" {
			continue
		}
		c.loaded[p.Source] = append(c.loaded[p.Source], p)
	}
	return nil
}

// tempPattern matches the temporary files Write makes beside the checkpoint.
func (c *Checkpoint) tempPattern() string {
	return filepath.Join(filepath.Dir(c.path), "."+filepath.Base(c.path)+".tmp*")
}

// resume returns the positions loaded for source.
func (c *Checkpoint) resume(source string) []Position {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.loaded[source])
}

// set publishes the current positions of source, replacing earlier ones.
func (c *Checkpoint) set(source string, ps []Position) {
	c.mu.Lock()
	c.current[source] = ps
	c.mu.Unlock()
}

// Positions returns a copy of every published position, sorted by source and path.
func (c *Checkpoint) Positions() []Position {
	c.mu.Lock()
	var all []Position
	for _, ps := range c.current {
		all = append(all, ps...)
	}
	c.mu.Unlock()
	slices.SortFunc(all, func(a, b Position) int {
		if a.Source != b.Source {
			return strings.Compare(a.Source, b.Source)
		}
		if a.Path != b.Path {
			return strings.Compare(a.Path, b.Path)
		}
		return cmp.Compare(a.Inode, b.Inode)
	})
	return all
}

// Write stores the published positions: a temporary file in the same
// directory, fsync, rename over the old file, fsync of the directory. A crash
// at any point leaves either the old or the new checkpoint, never a mix.
func (c *Checkpoint) Write() error {
	if c.path == "" {
		return nil
	}
	data, err := json.MarshalIndent(checkpointFile{Version: checkpointVersion, Positions: c.Positions()}, "", "  ")
	if err != nil {
		return fmt.Errorf("encode checkpoint: %w", err)
	}
	dir := filepath.Dir(c.path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(c.path)+".tmp*")
	if err != nil {
		return fmt.Errorf("write checkpoint %s: %w", c.path, err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename this finds nothing
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		_ = tmp.Close() // the write error is the one to report
		return fmt.Errorf("write checkpoint %s: %w", c.path, err)
	}
	if err := tmp.Sync(); err != nil {
		_ = tmp.Close() // the sync error is the one to report
		return fmt.Errorf("sync checkpoint %s: %w", c.path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("close checkpoint %s: %w", c.path, err)
	}
	if err := os.Rename(tmp.Name(), c.path); err != nil {
		return fmt.Errorf("rename checkpoint %s: %w", c.path, err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync() // best effort: some filesystems refuse fsync on directories
		_ = d.Close()
	}
	return nil
}
