package tailer

// The measurements behind the choice to read files here rather than through
// nxadm/tail's line API (README, design notes):
//
//	go test -run='^$' -bench='Lines$' -benchmem ./tailer/
//
// Both read the same 32 MiB log once, to the end, and only count lines and
// statuses; neither parses more.

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/nxadm/tail"
)

func compareLog(b *testing.B) (string, int) {
	b.Helper()
	path := filepath.Join(b.TempDir(), "access.log")
	var buf bytes.Buffer
	const n = 200_000
	for i := range n {
		fmt.Fprintf(&buf, "10.0.%d.%d - - [26/Nov/2026:10:00:00 +0000] \"GET /api/v1/tasks/%d HTTP/1.1\" %d 5120 \"https://example.com/\" \"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Firefox/128.0\"\n",
			i%256, i/256%256, i, 200+i%5)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		b.Fatal(err)
	}
	return path, n
}

func cpuNow() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportLines(b *testing.B, lines int, cpu time.Duration) {
	b.ReportMetric(float64(lines)/b.Elapsed().Seconds(), "lines/s")
	b.ReportMetric(float64(lines)/cpu.Seconds(), "lines/cpu-s")
}

// statusOf is the cheapest status extraction: the digits after the request.
func statusOf(line []byte) int {
	q := bytes.IndexByte(line, '"')
	if q < 0 {
		return 0
	}
	q2 := bytes.IndexByte(line[q+1:], '"')
	if q2 < 0 || q+q2+6 > len(line) {
		return 0
	}
	s := line[q+q2+3:]
	return int(s[0]-'0')*100 + int(s[1]-'0')*10 + int(s[2]-'0')
}

func BenchmarkNxadmTailLines(b *testing.B) {
	path, n := compareLog(b)
	var counts [1000]int
	b.ReportAllocs()
	cpu0 := cpuNow()
	for b.Loop() {
		t, err := tail.TailFile(path, tail.Config{Follow: false, MustExist: true, Poll: true, Logger: tail.DiscardingLogger})
		if err != nil {
			b.Fatal(err)
		}
		got := 0
		for l := range t.Lines {
			got++
			counts[statusOf([]byte(l.Text))%1000]++
		}
		if err := t.Stop(); err != nil {
			b.Fatal(err)
		}
		// Not t.Cleanup(): even for a polled file it starts nxadm/tail's
		// global inotify goroutine, which never ends (goleak in TestMain
		// caught it).
		if got != n {
			b.Fatalf("lines = %d, want %d", got, n)
		}
	}
	reportLines(b, b.N*n, cpuNow()-cpu0)
}

// lineCounter is a FileHandler that counts lines and statuses.
type lineCounter struct {
	lines  int
	counts [1000]int
}

func (c *lineCounter) Lines(block []byte) {
	for len(block) > 0 {
		i := bytes.IndexByte(block, '\n')
		c.lines++
		c.counts[statusOf(block[:i])%1000]++
		block = block[i+1:]
	}
}
func (c *lineCounter) TooLong()    {}
func (c *lineCounter) Skipped(int) {}

func BenchmarkTailerLines(b *testing.B) {
	path, n := compareLog(b)
	b.ReportAllocs()
	cpu0 := cpuNow()
	c := &lineCounter{}
	for b.Loop() {
		c.lines = 0
		if _, err := ReadFile(context.Background(), path, Options{}, c); err != nil {
			b.Fatal(err)
		}
		if c.lines != n {
			b.Fatalf("lines = %d, want %d", c.lines, n)
		}
	}
	reportLines(b, b.N*n, cpuNow()-cpu0)
}
