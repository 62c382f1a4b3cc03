package main

import (
	"compress/gzip"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// tortureRate is the writer's pace in the rotation and restart scenarios.
const tortureRate = 20000 // lines a second

// TestE2ETortureRotation writes 20k lines/s into a log while it is rotated
// over and over, the way logrotate, applications and kubelet do it, and checks
// what the exporter counted against what was written, line for line (by
// status, lines and bytes). Rename, delete, symlink and kubelet rotations must
// count every line exactly once; copytruncate has an inherent loss window,
// which is measured (and duplicates must still be none).
func TestE2ETortureRotation(t *testing.T) {
	skipTorture(t)
	bin := buildExporter(t, t.TempDir())
	for _, sc := range []struct {
		name string
		run  func(*testing.T, *rotationRun)
	}{
		{"rename", rotateRename},
		{"copytruncate", rotateCopyTruncate},
		{"delete", rotateDelete},
		{"symlink", rotateSymlink},
		{"kubelet", rotateKubelet},
	} {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			sc.run(t, newRotationRun(t, bin, sc.name))
		})
	}
}

// rotationRun is one exporter following one writer's log while a scenario
// rotates it.
type rotationRun struct {
	t        *testing.T
	bin      string
	dir      string
	duration time.Duration // how long the writer writes
	period   time.Duration // between rotations
	rng      *rand.Rand
	w        *pacedWriter
	p        *proc
	base     string
}

func newRotationRun(t *testing.T, bin, name string) *rotationRun {
	seed := uint64(time.Now().UnixNano())
	t.Logf("%s: random seed %d", name, seed)
	return &rotationRun{
		t: t, bin: bin, dir: t.TempDir(),
		duration: soakOr(8*time.Second, 5*time.Minute),
		period:   soakOr(1500*time.Millisecond, 3*time.Second),
		rng:      rand.New(rand.NewPCG(seed, seed>>1)),
	}
}

// start starts the exporter on glob, then the writer on path.
func (r *rotationRun) start(glob, path string) {
	t := r.t
	r.p = startExporter(t, r.bin, "--log.path="+glob, "--log.format=combined",
		"--web.listen-address=127.0.0.1:0", "--checkpoint.file="+filepath.Join(r.dir, "pos.json"),
		"--tail.rotate-wait=2s")
	r.base = "http://" + r.p.addr
	waitReady(t, newClient(nil), r.base)
	r.w = startWriter(t, "w", path, tortureRate)
}

// rotate calls one rotation every period (with jitter) while the writer
// writes, then stops the writer.
func (r *rotationRun) rotate(one func(i int)) int {
	end := time.Now().Add(r.duration)
	i := 0
	for time.Now().Before(end) {
		time.Sleep(r.period/2 + time.Duration(r.rng.Int64N(int64(r.period)))) // the scenario's timeline
		i++
		one(i)
	}
	time.Sleep(200 * time.Millisecond) // a few more lines into the last file
	r.w.halt()
	return i
}

// pause is the scenario's timeline: a writer that reopens late, a gap.
func (r *rotationRun) pause(upTo time.Duration) {
	time.Sleep(time.Duration(r.rng.Int64N(int64(upTo))))
}

// finish waits for every written line to be counted once, for the rotated
// files to be closed (one file is left), and checks the counts again; it
// logs the figures.
func (r *rotationRun) finish(rotations int) {
	t := r.t
	want := r.w.total(t)
	timeout := soakOr(60*time.Second, 5*time.Minute)
	waitCounted(t, r.base, want, timeout, 0)
	// Rotated files are closed once quiet for --tail.rotate-wait; a partial
	// last line would be handed on then, so the counts are checked again.
	waitFor(t, 30*time.Second, "rotated files closed", func() (bool, string) {
		c, err := scrapeCounted(r.base)
		if err != nil {
			return false, err.Error()
		}
		return c.files == 1, fmt.Sprintf("files_followed %v, want 1", c.files)
	})
	c := waitCounted(t, r.base, want, time.Second, 0)
	var seen float64
	for _, n := range c.rotations {
		seen += n
	}
	if seen < float64(rotations) {
		t.Errorf("rotations_total = %v (%v), want at least %d", seen, c.rotations, rotations)
	}
	figures{written: want.lines, counted: int64(c.lines), peakMiB: peakRSS(t, r.p),
		extra: []string{fmt.Sprintf("rotations=%d", rotations), fmt.Sprintf("seen=%v", c.rotations),
			fmt.Sprintf("cpu_s=%.2f", cpuSeconds(t, r.p))}}.log(t)
}

// rotateRename is logrotate's default (create): rename, create, and the
// server goes on writing into the renamed file for up to a second before it
// reopens.
func rotateRename(t *testing.T, r *rotationRun) {
	path := filepath.Join(r.dir, "access.log")
	r.start(path, path)
	n := r.rotate(func(i int) {
		if err := os.Rename(path, fmt.Sprintf("%s.%d", path, i)); err != nil {
			t.Fatal(err)
		}
		r.pause(time.Second)
		r.w.reopen(t, path)
		_ = os.Remove(fmt.Sprintf("%s.%d", path, i-5)) // rotate 5
	})
	r.finish(n)
}

// rotateCopyTruncate is logrotate's copytruncate: copy, then truncate in
// place while the server goes on appending. Lines written between the
// exporter's last read and the truncation are in the copy only, which the
// exporter does not follow: the inherent loss window, measured here.
func rotateCopyTruncate(t *testing.T, r *rotationRun) {
	path := filepath.Join(r.dir, "access.log")
	r.start(path, path)
	var copies []string
	n := r.rotate(func(i int) {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		cp := fmt.Sprintf("%s.%d", path, i)
		if err := os.WriteFile(cp, data, 0o644); err != nil {
			t.Fatal(err)
		}
		copies = append(copies, cp)
		if err := os.Truncate(path, 0); err != nil {
			t.Fatal(err)
		}
	})
	want := r.w.total(t)
	// In neither file: written between logrotate's copy and its truncate.
	var kept tally
	for _, cp := range copies {
		tl := tallyFile(t, cp, 0)
		kept.add(&tl)
	}
	last := tallyFile(t, path, 0)
	kept.add(&last)
	inNeither := want.lines - kept.lines

	// The exporter's count settles once it has read the last file to its end.
	var c counted
	waitFor(t, 60*time.Second, "last file read", func() (bool, string) {
		var err error
		c, err = scrapeCounted(r.base)
		if err != nil {
			return false, err.Error()
		}
		return c.unread == 0 && c.lines > 0, fmt.Sprintf("unread %v", c.unread)
	})
	waitFor(t, 10*time.Second, "count stable", func() (bool, string) {
		prev := c.lines
		var err error
		c, err = scrapeCounted(r.base)
		if err != nil {
			return false, err.Error()
		}
		return c.lines == prev && c.unread == 0, fmt.Sprintf("lines %v then %v", prev, c.lines)
	})
	lost, dup := compare(&want, &c)
	if dup != 0 {
		t.Errorf("copytruncate: %d lines counted twice, want none", dup)
	}
	if c.unparsed["bad_status"]+c.unparsed["no_match"] != 0 {
		t.Errorf("copytruncate: unparsed %v: a line was read from its middle", c.unparsed)
	}
	// The loss is what was written between the exporter's last read and
	// each truncation: inotify wakes it within milliseconds. The bound is
	// generous (a loaded CI machine); the figure is what the README reports.
	if bound := int64(n) * tortureRate / 4; lost > bound {
		t.Errorf("copytruncate lost %d lines over %d rotations, want at most %d (a quarter second of writing each)", lost, n, bound)
	}
	figures{written: want.lines, counted: int64(c.lines), lost: lost, dup: dup, peakMiB: peakRSS(t, r.p),
		extra: []string{fmt.Sprintf("rotations=%d", n), fmt.Sprintf("seen=%v", c.rotations),
			fmt.Sprintf("lost_per_rotation=%.1f", float64(lost)/float64(n)),
			fmt.Sprintf("loss_window_ms=%.2f", float64(lost)/float64(n)/tortureRate*1000),
			fmt.Sprintf("in_neither_file=%d", inNeither)}}.log(t)
}

// rotateDelete deletes the log while the server still writes into it, and
// the server creates it again 2 s later.
func rotateDelete(t *testing.T, r *rotationRun) {
	path := filepath.Join(r.dir, "access.log")
	r.period = soakOr(3*time.Second, 5*time.Second) // the 2 s gap fits in
	r.start(path, path)
	n := r.rotate(func(int) {
		if err := os.Remove(path); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Second) // the gap: the path is missing, the deleted file still written
		r.w.reopen(t, path)
	})
	r.finish(n)
}

// rotateSymlink follows a symlink, as /var/log/containers/*.log are, that
// is switched atomically to a new target; the old target gets its last lines
// before or after the switch.
func rotateSymlink(t *testing.T, r *rotationRun) {
	link := filepath.Join(r.dir, "current.log")
	targets := filepath.Join(r.dir, "targets")
	if err := os.Mkdir(targets, 0o755); err != nil {
		t.Fatal(err)
	}
	target := func(i int) string { return filepath.Join(targets, fmt.Sprintf("%d.data", i)) }
	if err := os.WriteFile(target(0), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target(0), link); err != nil {
		t.Fatal(err)
	}
	r.start(link, target(0))
	swap := func(i int) {
		tmp := link + ".tmp"
		if err := os.Symlink(target(i), tmp); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, link); err != nil {
			t.Fatal(err)
		}
	}
	n := r.rotate(func(i int) {
		if i%2 == 0 {
			// The new target is written before the link names it.
			r.w.reopen(t, target(i))
			r.pause(300 * time.Millisecond)
			swap(i)
		} else {
			// The old target is written after the link moved on.
			if err := os.WriteFile(target(i), nil, 0o644); err != nil {
				t.Fatal(err)
			}
			swap(i)
			r.pause(time.Second)
			r.w.reopen(t, target(i))
		}
		_ = os.Remove(target(i - 5))
	})
	r.finish(n)
}

// rotateKubelet is kubelet's container log rotation: 0.log is renamed to
// 0.log.<timestamp>, the runtime reopens 0.log shortly after, and the
// previous rotated file is compressed to .gz and deleted.
func rotateKubelet(t *testing.T, r *rotationRun) {
	dir := filepath.Join(r.dir, "pods", "default_web-7d4b9c_0f1e2d3c", "nginx")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "0.log")
	r.start(filepath.Join(r.dir, "pods", "*", "*", "*.log"), path)
	var rotated []string
	n := r.rotate(func(i int) {
		name := fmt.Sprintf("%s.%s-%03d", path, time.Now().UTC().Format("20060102-150405"), i)
		if err := os.Rename(path, name); err != nil {
			t.Fatal(err)
		}
		r.pause(200 * time.Millisecond) // until the runtime's ReopenContainerLog
		r.w.reopen(t, path)
		rotated = append(rotated, name)
		if len(rotated) >= 2 { // the newest rotated file stays uncompressed
			gzipAndRemove(t, rotated[len(rotated)-2])
		}
		if len(rotated) > 5 {
			_ = os.Remove(rotated[len(rotated)-6] + ".gz")
		}
	})
	r.finish(n)
}

// gzipAndRemove compresses path to path.gz and removes path, as kubelet does.
func gzipAndRemove(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path + ".gz")
	if err != nil {
		t.Fatal(err)
	}
	zw := gzip.NewWriter(f)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
}
