package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"
)

// TestRunStopsOnCancel runs the real command line in-process: run returns
// nil promptly once its context is cancelled, has written the checkpoint,
// and leaves no goroutine behind.
func TestRunStopsOnCancel(t *testing.T) {
	tests := []struct {
		name        string
		extra       []string
		cancelFirst bool // cancel before run starts
	}{
		{name: "inotify"},
		{name: "poll", extra: []string{"--tail.poll"}},
		{name: "cancelled before start", cancelFirst: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			defer goleak.VerifyNone(t, goleak.IgnoreCurrent())

			dir := t.TempDir()
			logPath := filepath.Join(dir, "access.log")
			cpPath := filepath.Join(dir, "pos.json")
			if err := os.WriteFile(logPath, nil, 0o644); err != nil {
				t.Fatal(err)
			}
			args := append([]string{"run", "--log.path=" + logPath, "--web.listen-address=127.0.0.1:0",
				"--checkpoint.file=" + cpPath, "--tail.poll-interval=20ms"}, tc.extra...)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tc.cancelFirst {
				cancel()
			}
			stderr, done := runInProcess(ctx, args...)

			var size int64
			if !tc.cancelFirst {
				addr := waitListening(t, stderr, done)
				c := newClient(nil)
				waitReady(t, c, "http://"+addr)
				var b strings.Builder
				for i := range 3 {
					b.WriteString(accessLine("201", i))
				}
				appendFile(t, logPath, b.String())
				size = int64(b.Len())
				waitFor(t, 10*time.Second, "lines counted", func() (bool, string) {
					f, err := scrape(c, "http://"+addr+"/metrics")
					if err != nil {
						return false, err.Error()
					}
					got := f.series("httpstatus_responses_total", "code")["201"]
					return got == 3, fmt.Sprintf("responses_total{code=201} = %v, want 3", got)
				})
				cancel()
			}

			start := time.Now()
			select {
			case err := <-done:
				took := time.Since(start)
				t.Logf("run returned %v after cancel", took.Round(time.Millisecond))
				if err != nil {
					t.Errorf("run = %v, want nil\nstderr:\n%s", err, stderr.String())
				}
				if took > 2*time.Second {
					t.Errorf("run took %s to return after cancel, want under 2s", took)
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("run did not return within 5s of cancel\nstderr:\n%s", stderr.String())
			}
			want := map[string]int64{"default " + logPath: size}
			if diff := cmp.Diff(want, checkpointOffsets(t, cpPath)); diff != "" {
				t.Errorf("checkpoint offsets (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRunDemo runs --demo in-process: every documented code shows up with a
// count above zero within seconds, and the demo's temporary log is removed
// when run returns.
func TestRunDemo(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The default checkpoint file is under /var/lib: --demo must not use it.
	stderr, done := runInProcess(ctx, "--demo", "--web.listen-address=127.0.0.1:0", "--tail.poll-interval=20ms")
	addr := waitListening(t, stderr, done)
	c := newClient(nil)

	waitFor(t, 10*time.Second, "every documented code counted", func() (bool, string) {
		f, err := scrape(c, "http://"+addr+"/metrics")
		if err != nil {
			return false, err.Error()
		}
		got := f.series("httpstatus_responses_total", "code", "category")
		var missing []string
		for _, e := range seedTable {
			if got[e.code+" "+e.category] <= 0 {
				missing = append(missing, e.code)
			}
		}
		return len(missing) == 0, fmt.Sprintf("codes still at 0: %v (all: %v)", missing, got)
	})

	m := regexp.MustCompile(`msg="demo: writing live traffic" path=(\S+)`).FindStringSubmatch(stderr.String())
	if m == nil {
		t.Fatalf("no demo path in the log:\n%s", stderr.String())
	}
	demoDir := filepath.Dir(m[1])

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run = %v, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("run did not return within 5s of cancel\nstderr:\n%s", stderr.String())
	}
	if _, err := os.Stat(demoDir); !os.IsNotExist(err) {
		t.Errorf("demo directory %s still there after run returned (stat: %v)", demoDir, err)
	}
}
