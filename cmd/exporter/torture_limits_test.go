package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestE2ETortureLimits runs the exporter against the machine's limits: 2,000
// files followed at once, with inotify and with inotify's limits reached (in a
// user namespace of its own, whose limits the test may lower without touching
// the machine's), and a checkpoint folder that is read-only or full. Each
// time the exporter keeps counting every line and serving, and reports what
// it cannot do.
func TestE2ETortureLimits(t *testing.T) {
	skipTorture(t)
	bin := buildExporter(t, t.TempDir())
	t.Run("files=2000", func(t *testing.T) { t.Parallel(); manyFiles(t, bin, "") })
	t.Run("files=2000/inotify-watches=50", func(t *testing.T) {
		t.Parallel()
		manyFiles(t, bin, "echo 50 > /proc/sys/user/max_inotify_watches")
	})
	t.Run("files=2000/inotify-instances=0", func(t *testing.T) {
		t.Parallel()
		manyFiles(t, bin, "echo 0 > /proc/sys/user/max_inotify_instances")
	})
	t.Run("checkpoint-dir-read-only", func(t *testing.T) { t.Parallel(); checkpointReadOnly(t, bin) })
	t.Run("checkpoint-dir-full", func(t *testing.T) { t.Parallel(); checkpointFull(t, bin) })
}

// manyFiles follows 2,000 container logs in a kubelet tree (one folder each,
// so one inotify watch each) while 20k lines/s are spread over all of them.
// limit, if set, is a shell line run in the exporter's own user namespace to
// lower its inotify limits first.
func manyFiles(t *testing.T, bin, limit string) {
	const n = 2000
	dir := t.TempDir()
	paths := make([]string, n)
	for i := range paths {
		d := filepath.Join(dir, "pods", fmt.Sprintf("default_web-%04d_%08x", i, i*7919), "nginx")
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		paths[i] = filepath.Join(d, "0.log")
		if err := os.WriteFile(paths[i], nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var l launch
	if limit != "" {
		needRoot(t, "lowers inotify limits in a user namespace")
		l = launch{prelude: limit, cloneflags: syscall.CLONE_NEWUSER}
	}
	p := startExporterWith(t, bin, l, "--log.path="+filepath.Join(dir, "pods", "*", "*", "*.log"), "--log.format=combined",
		"--web.listen-address=127.0.0.1:0", "--checkpoint.file="+filepath.Join(dir, "pos.json"), "--checkpoint.interval=1s")
	base := "http://" + p.addr
	waitReady(t, newClient(nil), base)
	c, err := scrapeCounted(base)
	if err != nil {
		t.Fatal(err)
	}
	if c.files != n {
		t.Fatalf("files_followed = %v, want %d", c.files, n)
	}
	idle := cpuSeconds(t, p)
	start := time.Now()
	w := startWriterFiles(t, "many", paths, tortureRate)
	time.Sleep(soakOr(5*time.Second, 2*time.Minute))
	w.halt()
	want := w.total(t)
	took := time.Since(start)
	c = waitCounted(t, base, want, 60*time.Second, 500*time.Millisecond)
	cpu := cpuSeconds(t, p) - idle
	log := p.stderr.String()
	switch {
	case strings.Contains(limit, "watches"):
		if c.errors["watch"] != 1 || !strings.Contains(log, "inotify watch limit reached") {
			t.Errorf("watch limit: errors_total{reason=\"watch\"} = %v, want 1, and a log line saying so:\n%s", c.errors["watch"], tailString(log, 4<<10))
		}
	case strings.Contains(limit, "instances"):
		if c.errors["watch"] != 1 || !strings.Contains(log, "inotify unavailable, polling only") {
			t.Errorf("no inotify: errors_total{reason=\"watch\"} = %v, want 1, and a log line saying so:\n%s", c.errors["watch"], tailString(log, 4<<10))
		}
	default:
		if c.errors["watch"] != 0 {
			t.Errorf("errors_total{reason=\"watch\"} = %v, want 0", c.errors["watch"])
		}
	}
	figures{written: want.lines, counted: int64(c.lines), peakMiB: peakRSS(t, p), extra: []string{
		fmt.Sprintf("files=%d", n), fmt.Sprintf("cpu_s=%.2f", cpu),
		fmt.Sprintf("cpu_share=%.0f%%", 100*cpu/took.Seconds()),
		fmt.Sprintf("errors=%v", nonZero(c.errors))}}.log(t)
}

// checkpointReadOnly runs the exporter as nobody with a checkpoint folder it
// may not write (root ignores modes), then lets it write.
func checkpointReadOnly(t *testing.T, bin string) {
	dir := sharedDir(t)
	shared := sharedBinary(t, bin)
	state := filepath.Join(dir, "state")
	if err := os.Mkdir(state, 0o755); err != nil {
		t.Fatal(err)
	}
	cp := filepath.Join(state, "pos.json")
	path := filepath.Join(dir, "access.log")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	p := startExporterWith(t, shared, launch{uid: 65534}, "--log.path="+path, "--log.format=combined",
		"--web.listen-address=127.0.0.1:0", "--checkpoint.file="+cp, "--checkpoint.interval=1s")
	base := "http://" + p.addr
	waitReady(t, newClient(nil), base)
	w := startWriter(t, "w", path, tortureRate)
	failures := checkpointFailing(t, p, base, "permission denied")
	if err := os.Chown(state, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	checkpointRecovers(t, base, cp)
	w.halt()
	want := w.total(t)
	c := waitCounted(t, base, want, 30*time.Second, 0)
	waitCheckpointAt(t, cp, path, want.bytes)
	checkPrivate(t, cp)
	figures{written: want.lines, counted: int64(c.lines), peakMiB: peakRSS(t, p), extra: []string{
		fmt.Sprintf("checkpoint_write_errors=%v", c.errors["checkpoint_write"]),
		fmt.Sprintf("failing_while_read_only=%v", failures)}}.log(t)
}

// checkpointFull puts the checkpoint folder on a full 16 KiB tmpfs, in a
// mount namespace of the exporter's own (so nothing is left mounted on the
// machine), then frees it.
func checkpointFull(t *testing.T, bin string) {
	needRoot(t, "mounts a tmpfs in a mount namespace")
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	if err := os.Mkdir(state, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "access.log")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	prelude := fmt.Sprintf(`set -e
mount --make-rprivate /
mount -t tmpfs -o size=16k,mode=0755 torture-full '%s'
head -c 65536 /dev/zero > '%[1]s/fill' 2>/dev/null || true`, state)
	p := startExporterWith(t, bin, launch{prelude: prelude, cloneflags: syscall.CLONE_NEWNS},
		"--log.path="+path, "--log.format=combined", "--web.listen-address=127.0.0.1:0",
		"--checkpoint.file="+filepath.Join(state, "pos.json"), "--checkpoint.interval=1s")
	base := "http://" + p.addr
	// The folder as the exporter sees it, in its mount namespace.
	inside := fmt.Sprintf("/proc/%d/root%s", p.cmd.Process.Pid, state)
	if _, err := os.Stat(filepath.Join(inside, "fill")); err != nil {
		t.Fatalf("the tmpfs is not there: %v", err)
	}
	waitReady(t, newClient(nil), base)
	w := startWriter(t, "w", path, tortureRate)
	failures := checkpointFailing(t, p, base, "no space left on device")
	if err := os.Remove(filepath.Join(inside, "fill")); err != nil {
		t.Fatal(err)
	}
	checkpointRecovers(t, base, filepath.Join(inside, "pos.json"))
	w.halt()
	want := w.total(t)
	c := waitCounted(t, base, want, 30*time.Second, 0)
	waitCheckpointAt(t, filepath.Join(inside, "pos.json"), path, want.bytes)
	leftovers, _ := filepath.Glob(filepath.Join(inside, ".pos.json.tmp*"))
	if len(leftovers) > 0 {
		t.Errorf("temporary checkpoint files left behind: %v", leftovers)
	}
	figures{written: want.lines, counted: int64(c.lines), peakMiB: peakRSS(t, p), extra: []string{
		fmt.Sprintf("checkpoint_write_errors=%v", c.errors["checkpoint_write"]),
		fmt.Sprintf("failing_while_full=%v", failures)}}.log(t)
}

// checkpointFailing waits for two failed checkpoint writes, logged with why,
// while lines are still counted and scrapes served. It returns the count.
func checkpointFailing(t *testing.T, p *proc, base, why string) float64 {
	t.Helper()
	var c counted
	waitFor(t, 20*time.Second, "checkpoint writes failing", func() (bool, string) {
		var err error
		c, err = scrapeCounted(base)
		if err != nil {
			return false, err.Error()
		}
		return c.errors["checkpoint_write"] >= 2 && c.lines > 0, fmt.Sprintf("errors %v, lines %v", c.errors, c.lines)
	})
	log := p.stderr.String()
	if !strings.Contains(log, `msg="checkpoint not written"`) || !strings.Contains(log, why) {
		t.Errorf("no warning naming %q:\n%s", why, tailString(log, 4<<10))
	}
	// Still counting: more lines than a moment ago.
	before := c.lines
	waitFor(t, 10*time.Second, "still counting", func() (bool, string) {
		c2, err := scrapeCounted(base)
		if err != nil {
			return false, err.Error()
		}
		return c2.lines > before, fmt.Sprintf("lines %v", c2.lines)
	})
	return c.errors["checkpoint_write"]
}

// checkpointRecovers waits for the checkpoint to be written and for the
// failures to stop.
func checkpointRecovers(t *testing.T, base, cp string) {
	t.Helper()
	waitFor(t, 20*time.Second, "checkpoint written again", func() (bool, string) {
		_, err := os.Stat(cp)
		return err == nil, fmt.Sprint(err)
	})
	c, err := scrapeCounted(base)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(cp)
	if err != nil {
		t.Fatal(err)
	}
	// Two more writes (interval 1s) without a failure.
	waitFor(t, 20*time.Second, "two more checkpoint writes", func() (bool, string) {
		st2, err := os.Stat(cp)
		if err != nil {
			return false, err.Error()
		}
		return st2.ModTime().Sub(st.ModTime()) >= 1500*time.Millisecond, fmt.Sprint(st2.ModTime())
	})
	c2, err := scrapeCounted(base)
	if err != nil {
		t.Fatal(err)
	}
	if c2.errors["checkpoint_write"] > c.errors["checkpoint_write"]+1 {
		t.Errorf("checkpoint_write errors went on: %v then %v", c.errors["checkpoint_write"], c2.errors["checkpoint_write"])
	}
}

// waitCheckpointAt waits for the checkpoint to hold offset for path.
func waitCheckpointAt(t *testing.T, cp, path string, offset int64) {
	t.Helper()
	waitFor(t, 10*time.Second, "checkpoint at the end of the log", func() (bool, string) {
		off := checkpointOffsets(t, cp)["default "+path]
		return off == offset, fmt.Sprintf("offset %d, want %d", off, offset)
	})
}
